"""Thin Bolt listeners: acknowledge, turn the payload into a typed request, call the router,
send what it returns. No feature logic lives here; every feature's commands, buttons, modals
and events reach it through the router's tables.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.router import (
    ActionRequest,
    CommandRequest,
    EventRequest,
    Reply,
    Router,
    ViewRequest,
    ViewResult,
)
from bot.slack.gateway import SlackGateway, slack_error
from bot.store.events import claim_event

logger = logging.getLogger(__name__)

COMMAND = "/mlops"


def response(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "blocks": reply.blocks,
        "response_type": "in_channel" if reply.public else "ephemeral",
    }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def command_request(body: dict[str, Any]) -> CommandRequest:
    channel = _str(body.get("channel_id"))
    return CommandRequest(
        text=_str(body.get("text")),
        team_id=_str(body.get("team_id")),
        channel_id=channel,
        user_id=_str(body.get("user_id")),
        source="slash",
        is_dm=body.get("channel_name") == "directmessage" or channel.startswith("D"),
        trigger_id=_str(body.get("trigger_id")),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _team(body: dict[str, Any]) -> str:
    return _str(_dict(body.get("team")).get("id")) or _str(body.get("team_id"))


def action_request(body: dict[str, Any], action: dict[str, Any]) -> ActionRequest:
    container = _dict(body.get("container"))
    if container.get("is_ephemeral"):
        where = "ephemeral"
    elif container.get("type") == "view":
        where = "view"
    else:
        where = "message"
    message = _dict(body.get("message"))
    selected = _dict(action.get("selected_option")).get("value")
    return ActionRequest(
        action_id=_str(action.get("action_id")),
        value=_str(action.get("value")),
        team_id=_team(body),
        user_id=_str(_dict(body.get("user")).get("id")),
        channel_id=_str(_dict(body.get("channel")).get("id")) or _str(container.get("channel_id")),
        message_ts=_str(container.get("message_ts")) or _str(message.get("ts")),
        thread_ts=_str(container.get("thread_ts")) or _str(message.get("thread_ts")),
        trigger_id=_str(body.get("trigger_id")),
        container=where,
        selected=_str(selected),
    )


def _input_value(element: dict[str, Any]) -> str:
    for key in ("value", "selected_time", "selected_conversation", "selected_channel"):
        if isinstance(element.get(key), str):
            return str(element[key])
    return _str(_dict(element.get("selected_option")).get("value"))


def view_request(body: dict[str, Any], view: dict[str, Any]) -> ViewRequest:
    values: dict[str, str] = {}
    for block_id, elements in _dict(_dict(view.get("state")).get("values")).items():
        for element in _dict(elements).values():
            values[str(block_id)] = _input_value(_dict(element))
            break
    return ViewRequest(
        callback_id=_str(view.get("callback_id")),
        values=values,
        private_metadata=_str(view.get("private_metadata")),
        team_id=_team(body) or _str(view.get("team_id")),
        user_id=_str(_dict(body.get("user")).get("id")),
    )


async def _send_action_reply(
    reply: Reply, request: ActionRequest, respond: AsyncRespond, body: dict[str, Any],
    gateway: SlackGateway | None,
) -> None:  # fmt: skip
    """Open the modal, or answer where the button was: its message, or the clicker's DM."""
    if reply.modal is not None:
        if gateway is not None:
            try:
                await gateway.open_view(request.trigger_id, reply.modal)
            except SlackApiError as exc:
                logger.warning("could not open a modal: %s", slack_error(exc))
        return
    if body.get("response_url"):
        await respond(**response(reply), replace_original=reply.replace)
    elif gateway is not None and request.user_id:
        # App Home buttons have no response_url: tell the person in their DM with the app.
        await gateway.notify_user(request.user_id, reply.text, reply.blocks)


def register(app: AsyncApp, router: Router, gateway: SlackGateway | None) -> None:
    """Bolt listeners for the slash command, every action, view and event of the router."""
    services = router.services

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        reply = await router.dispatch(command_request(command))
        await ack(**response(reply))
        if reply.followup:
            follow = await router.run_followup(reply.followup)
            if follow:
                await respond(**response(follow))

    async def on_action(
        ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        request = action_request(body, action)
        reply = await router.dispatch_action(request)
        if reply is not None:
            await _send_action_reply(reply, request, respond, body, gateway)

    async def on_view(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        result: ViewResult = await router.dispatch_view(view_request(body, view))
        if result.errors:
            await ack(response_action="errors", errors=result.errors)
        elif result.update:
            await ack(response_action="update", view=result.update)
        else:
            await ack()
        if result.after:
            # What `after` says is for the console; in Slack the surfaces it updates show it.
            await router.run_followup(result.after)

    async def fresh(body: dict[str, Any]) -> bool:
        """False for an event Slack re-delivers (same event_id): it is handled once."""
        event_id = _str(body.get("event_id"))
        if event_id and not await claim_event(services.engine, event_id):
            logger.info("ignoring re-delivered event %s", event_id[:64])
            return False
        return True

    async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not await fresh(body):
            return
        channel = _str(event.get("channel"))
        thread_ts = _str(event.get("thread_ts")) or _str(event.get("ts")) or None
        request = CommandRequest(
            text=_str(event.get("text")),
            team_id=_str(body.get("team_id")) or _str(event.get("team")),
            channel_id=channel,
            user_id=_str(event.get("user")),
            source="mention",
            thread_ts=thread_ts,
            is_dm=channel.startswith("D"),
        )
        reply = await router.dispatch(request)
        if reply.followup:
            reply = (await router.run_followup(reply.followup)) or reply
        if gateway is not None:
            await gateway.answer_mention(
                request.channel_id,
                request.user_id,
                thread_ts,
                reply.text,
                reply.blocks,
                public=reply.public,
            )

    async def on_event(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not await fresh(body):
            return
        await router.dispatch_event(
            EventRequest(
                type=_str(event.get("type")),
                event=event,
                team_id=_str(body.get("team_id")),
                user_id=_str(event.get("user")),
                enterprise_id=_str(body.get("enterprise_id")),
            )
        )

    for action_id in router.actions:
        app.action(action_id)(on_action)
    for callback_id in router.views:
        app.view(callback_id)(on_view)
    app.event("app_mention")(on_mention)
    for event_type in router.events:
        app.event(event_type)(on_event)
    _register_fallbacks(app)


def _register_fallbacks(app: AsyncApp) -> None:
    """Acknowledge and log interactions nobody handles (registered last, so they match last)."""

    @app.action(re.compile(".*"))
    async def on_unknown_action(ack: AsyncAck, action: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled action %s", _str(action.get("action_id"))[:64])

    @app.view(re.compile(".*"))
    async def on_unknown_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled view %s", _str(view.get("callback_id"))[:64])

    @app.shortcut(re.compile(".*"))
    async def on_unknown_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        logger.warning("unhandled shortcut %s", _str(shortcut.get("callback_id"))[:64])

    @app.event(re.compile(".*"))
    async def on_other_event(event: dict[str, Any]) -> None:
        logger.debug("ignoring event %s", _str(event.get("type"))[:64])
