"""Thin listeners: parse the payload, call the router or a feature, render, send."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import texts
from bot.blocks import search as search_blocks
from bot.features import search
from bot.router import CommandRequest, Reply, Router
from bot.services import Services
from bot.slack.gateway import SlackGateway
from bot.store.events import claim_event

logger = logging.getLogger(__name__)

COMMAND = "/mlops"


def _response(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "blocks": reply.blocks,
        "response_type": "in_channel" if reply.public else "ephemeral",
    }


def command_request(body: dict[str, Any]) -> CommandRequest:
    channel = str(body.get("channel_id") or "")
    return CommandRequest(
        text=str(body.get("text") or ""),
        team_id=str(body.get("team_id") or ""),
        channel_id=channel,
        user_id=str(body.get("user_id") or ""),
        source="slash",
        is_dm=body.get("channel_name") == "directmessage" or channel.startswith("D"),
    )


def register(app: AsyncApp, router: Router, services: Services) -> None:
    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        reply = await router.dispatch(command_request(command))
        await ack(**_response(reply))
        if reply.followup:
            follow = await reply.followup()
            if follow:
                await respond(**_response(follow))

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        gateway: SlackGateway = services.slack  # type: ignore[assignment]
        event_id = str(body.get("event_id") or "")
        if event_id and services.engine and not await claim_event(services.engine, event_id):
            logger.info("ignoring re-delivered event %s", event_id)
            return
        channel = str(event.get("channel") or "")
        thread_ts = event.get("thread_ts") or event.get("ts")
        request = CommandRequest(
            text=str(event.get("text") or ""),
            team_id=str(body.get("team_id") or event.get("team") or ""),
            channel_id=channel,
            user_id=str(event.get("user") or ""),
            source="mention",
            thread_ts=thread_ts,
            is_dm=channel.startswith("D"),
        )
        reply = await router.dispatch(request)
        if reply.followup:
            reply = (await reply.followup()) or reply
        if reply.public:
            await gateway.post_message(channel, reply.text, reply.blocks, thread_ts=thread_ts)
        else:
            await gateway.post_ephemeral(
                channel, request.user_id, reply.text, reply.blocks, thread_ts=thread_ts
            )

    async def on_search_button(
        ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any], body: dict[str, Any]
    ) -> None:
        """Share posts the same page publicly; More replaces the answer with the next page."""
        await ack()
        state = search_blocks.read_search_state(action.get("value"))
        if state is None:
            await respond(text=texts.EXPIRED, response_type="ephemeral", replace_original=False)
            return
        query, offset = state
        if action.get("action_id") == search_blocks.ACTION_SHARE:
            user = str((body.get("user") or {}).get("id") or "")
            reply = search.answer(services, query, offset, shared_by=user)
            await respond(**_response(reply), replace_original=False)
            return
        in_thread = bool((body.get("container") or {}).get("thread_ts"))
        reply = search.answer(services, query, offset, in_thread=in_thread)
        await respond(**_response(reply), replace_original=True)

    app.action(search_blocks.ACTION_MORE)(on_search_button)
    app.action(search_blocks.ACTION_SHARE)(on_search_button)


def register_fallbacks(app: AsyncApp) -> None:
    """Acknowledge and log interactions nobody handles (registered last, so they match last)."""

    @app.action(re.compile(".*"))
    async def on_unknown_action(ack: AsyncAck, action: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled action %s", action.get("action_id"))

    @app.view(re.compile(".*"))
    async def on_unknown_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled view %s", view.get("callback_id"))

    @app.shortcut(re.compile(".*"))
    async def on_unknown_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled shortcut %s", shortcut.get("callback_id"))

    @app.event(re.compile(".*"))
    async def on_other_event(event: dict[str, Any]) -> None:
        logger.debug("ignoring event %s", event.get("type"))
