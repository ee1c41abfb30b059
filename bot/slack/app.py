"""create_app(settings, services): the Bolt AsyncApp with every listener registered."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot import texts
from bot.features import build_router
from bot.services import Services
from bot.slack import listeners

logger = logging.getLogger(__name__)


def create_app(services: Services) -> AsyncApp:
    """Build the AsyncApp; no network calls happen until the first request."""
    settings = services.settings
    assert services.slack is not None, "create_app needs a Slack gateway"
    signing = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = AsyncApp(
        client=services.slack.client,
        signing_secret=signing,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    router = build_router(services)
    listeners.register(app, router, services)
    from bot.slack import extensions

    extensions.register(app, router, services)
    listeners.register_fallbacks(app)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> BoltResponse:
        logger.error("unhandled error in listener", exc_info=error)
        if respond is not None and body.get("response_url"):
            try:
                await respond(
                    text=texts.GENERIC_ERROR, response_type="ephemeral", replace_original=False
                )
            except Exception:  # the user message is best effort; the error is already logged
                logger.warning("could not tell the user about the error")
        return BoltResponse(status=200, body="")

    return app
