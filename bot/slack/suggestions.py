"""Review buttons and the reject modal for community suggestions."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot import blocks, texts
from bot.blocks import suggestions as kit
from bot.features import suggestions as feature
from bot.router import Router
from bot.services import Services
from bot.slack.gateway import slack_error

logger = logging.getLogger(__name__)


def _suggestion_id(value: Any) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number > 0 else None


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _from_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


async def _tell(respond: AsyncRespond, text: str) -> None:
    """An ephemeral note to the clicker, leaving the message they clicked unchanged."""
    await respond(
        text=blocks.fallback(text),
        blocks=blocks.build_message(text),
        response_type="ephemeral",
        replace_original=False,
    )


def register(app: AsyncApp, router: Router, services: Services) -> None:
    @app.action(kit.ACTION_APPROVE)
    async def on_approve(
        ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        suggestion_id = _suggestion_id(action.get("value"))
        if suggestion_id is None:
            await _tell(respond, texts.SUGGESTION_GONE)
            return
        decision = await feature.decide(services, suggestion_id, _user(body), approve=True)
        if decision.outcome != "decided" or _from_ephemeral(body):
            await _tell(respond, decision.message())

    @app.action(kit.ACTION_REJECT)
    async def on_reject(
        ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        suggestion_id = _suggestion_id(action.get("value"))
        check = (
            await feature.check_reviewable(services, suggestion_id, _user(body))
            if suggestion_id
            else feature.Decision("missing")
        )
        if check.outcome != "decided" or check.row is None:
            await _tell(respond, check.message())
            return
        assert services.slack is not None
        try:
            await services.slack.open_view(
                str(body.get("trigger_id") or ""),
                kit.build_reject_modal(check.row.id, check.row.title),
            )
        except SlackApiError as exc:
            logger.warning("could not open the reject modal: %s", slack_error(exc))
            await _tell(respond, texts.GENERIC_ERROR)

    @app.view(kit.REJECT_CALLBACK)
    async def on_reject_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        suggestion_id = _suggestion_id(view.get("private_metadata"))
        if suggestion_id is None:
            await ack(response_action="update", view=kit.build_info_modal(texts.SUGGESTION_GONE))
            return
        decision = await feature.decide(
            services,
            suggestion_id,
            _user(body),
            approve=False,
            reason=kit.read_reason(view) or None,
            notify=False,  # Slack closes the modal only when we ack; tell people after
        )
        if decision.outcome != "decided" or decision.row is None:
            await ack(response_action="update", view=kit.build_info_modal(decision.message()))
            return
        await ack()
        await feature.announce(services, decision.row)
