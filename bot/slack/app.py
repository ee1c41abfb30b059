"""create_app(bot): the Bolt AsyncApp with every listener registered (no network until used)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.app import Bot
from bot.features import workspaces
from bot.slack import installs, listeners

logger = logging.getLogger(__name__)


def create_app(bot: Bot) -> AsyncApp:
    """Build the AsyncApp over the bot's router; no network calls until the first request."""
    services = bot.services
    settings = services.settings
    if services.slack is None:
        raise ValueError("create_app needs a Slack gateway (lifespan with slack=True)")
    signing = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    oauth = None
    if settings.multi_workspace:
        oauth = installs.oauth_settings(
            settings,
            services.engine,
            services.slack.client,
            lambda installation: workspaces.installed(services, installation),
        )
    app = AsyncApp(
        client=services.slack.client,
        signing_secret=signing,
        oauth_settings=oauth,
        # The HTTP edge (bot.server) verifies every request before Bolt sees it; Socket Mode
        # payloads come over Slack's own authenticated websocket.
        request_verification_enabled=False,
        process_before_response=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )

    tokens = services.slack.tokens

    @app.middleware
    async def workspace_in_context(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        key = installs.enter_request(
            context.enterprise_id, context.team_id, bool(context.is_enterprise_install)
        )
        if isinstance(tokens, installs.TokenSource):
            await tokens.seen(key)
        return await next()

    listeners.register(app, bot.router, services.slack)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # Handlers run inside the router, which answers the user itself; what reaches here
        # is a failure in Bolt or in sending the answer. Nothing is sent to a URL from the
        # body: only a verified request could get this far, but one line of log is enough.
        logger.error("Slack listener failed: %s", type(error).__name__, exc_info=error)
        return BoltResponse(status=200, body="")

    return app
