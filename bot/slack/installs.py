"""Multi-workspace mode: the OAuth install flow, and the bot token of each workspace.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and no SLACK_BOT_TOKEN) the bot is installed
through Slack's OAuth v2 flow:

    GET /                      an "Add to Slack" page (its button leads to /slack/install)
    GET /slack/install         302 to Slack's authorize URL, with the bot scopes and a state
                               (kept in slack_oauth_states and in a cookie on the browser)
    GET /slack/oauth_redirect  Slack sends the installer back with a code: oauth.v2.access,
                               the installation is stored, a success page links to the app

Bolt's AsyncOAuthFlow runs the flow over slack_sdk's SQLAlchemy stores on the bot's own
database (bot.store.installs). Every Web API call then uses the installing workspace's token:
`enter_request` (a Bolt middleware, bot.slack.app) and the digest put the team in context,
and `TokenSource.bot_token` finds its token (refreshing a rotated one when it is about to
expire), which SlackGateway uses.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logs import current_team
from bot.settings import Settings
from bot.store import installs as store

logger = logging.getLogger(__name__)

HOME_PATH = "/"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# The bot scopes of manifest.http.yml (tests/slack/test_installs.py keeps them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "channels:read",
    "groups:read",
    "mpim:read",
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "users:read",
)

# Seconds a looked-up token is reused before the store is asked again (uninstalls clear it).
TOKEN_CACHE_SECONDS = 60.0

# The workspace of the request being handled: (enterprise, team, org-wide install).
request_workspace: ContextVar[store.BotKey | None] = ContextVar(
    "mlops_request_workspace", default=None
)


def enter_request(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
) -> store.BotKey:
    """Put the request's workspace in context for the rest of the request (a Bolt middleware).

    Not a `with` block: Bolt's global middleware `next()` only marks the chain as continuing,
    and the listeners run after the middleware has returned, in tasks started from this
    request's context. Every request that reaches a listener passes here first, so a value
    never outlives its request into another one's listeners."""
    key = store.BotKey(enterprise_id or None, team_id or None, bool(is_enterprise_install))
    request_workspace.set(key)
    current_team.set(team_id or enterprise_id or None)
    return key


def workspace_of(installation: Installation) -> str:
    """The id subscriptions and settings are kept under: the team, or for an org-wide
    install (no team) the enterprise."""
    return str(installation.team_id or installation.enterprise_id or "")


class TokenSource:
    """Bot tokens by workspace, from the installation store, cached briefly."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        client: AsyncWebClient,
        *,
        clock: Callable[[], datetime],
        cache_seconds: float = TOKEN_CACHE_SECONDS,
    ) -> None:
        assert settings.slack_client_id and settings.slack_client_secret
        self.engine = engine
        self.client_id = settings.slack_client_id
        self.store = store.InstallationStore(self.client_id, engine)
        self.rotator = AsyncTokenRotator(
            client_id=self.client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=client,
        )
        self.rotation_minutes = settings.slack_token_rotation_minutes
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, str]] = {}
        self._enterprise_known: set[str] = set()

    def forget(self, team_id: str | None = None) -> None:
        """Drop cached tokens (of one workspace, or all: an org-wide uninstall)."""
        if team_id is None:
            self._cache.clear()
        else:
            self._cache.pop(team_id, None)

    async def key_for(self, team_id: str) -> store.BotKey | None:
        """Where the token of `team_id` is stored: the request's own key when the request is
        from that team, else what the database knows."""
        key = request_workspace.get()
        if key is not None and team_id in (key.team_id, key.enterprise_id):
            return key
        return await store.bot_key(self.engine, team_id, self.client_id)

    async def seen(self, key: store.BotKey) -> None:
        """A request came from `key`: for a workspace of an org-wide install, keep its
        enterprise (once per process) so its jobs find the org's token by team alone."""
        team, enterprise = key.team_id, key.enterprise_id
        if not (key.is_enterprise_install and team and enterprise):
            return
        if team in self._enterprise_known:
            return
        await store.remember_enterprise(self.engine, team, enterprise, now=self.clock())
        self._enterprise_known.add(team)

    async def bot_token(self, team_id: str) -> str | None:
        cached = self._cache.get(team_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        key = await self.key_for(team_id)
        if key is None:
            return None
        bot = await self.store.async_find_bot(
            enterprise_id=key.enterprise_id,
            team_id=key.team_id,
            is_enterprise_install=key.is_enterprise_install,
        )
        if bot is None or not bot.bot_token:
            return None
        try:
            refreshed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.rotation_minutes
            )
        except SlackTokenRotationError as exc:
            logger.error("could not refresh the bot token of %s: %s", team_id, exc)
            return None
        if refreshed is not None:
            await self.store.async_save_bot(refreshed)
            logger.info("refreshed the rotated bot token of %s", team_id)
            bot = refreshed
        keep = self.cache_seconds
        if bot.bot_token_expires_at is not None:
            left = float(bot.bot_token_expires_at) - time.time() - self.rotation_minutes * 60
            keep = max(0.0, min(keep, left))
        token = str(bot.bot_token)
        self._cache[team_id] = (time.monotonic() + keep, token)
        return token


Installed = Callable[[Installation], Awaitable[None]]


def oauth_settings(
    settings: Settings, engine: AsyncEngine, client: AsyncWebClient, on_installed: Installed
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings over our stores; `on_installed` runs after an install is saved."""
    assert settings.slack_client_id and settings.slack_client_secret
    secret = settings.slack_client_secret.get_secret_value()

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await on_installed(installation)
        logger.info("installed in workspace %s", workspace_of(installation))
        return BoltResponse(
            status=200,
            body=success_page(installation),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        logger.warning("an installation failed: %s", args.reason)
        return await args.default.failure(args)

    oauth_logger = logging.getLogger("bot.slack.oauth")
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        authorization_url=settings.slack_oauth_authorize_url,
        installation_store=store.InstallationStore(settings.slack_client_id, engine),
        # Requests and jobs both read (and refresh) the bot rows, never a stale copy.
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=settings.slack_token_rotation_minutes,
        state_store=store.StateStore(engine),
        logger=logging.getLogger("bot.slack.oauth"),
    )
    # Bolt's default authorize refreshes tokens through a client of its own that always
    # calls slack.com; this one uses SLACK_API_URL like every other call.
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=oauth_logger,
        installation_store=oauth.installation_store,
        client_id=settings.slack_client_id,
        client_secret=secret,
        token_rotation_expiration_minutes=settings.slack_token_rotation_minutes,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    return oauth


def web_routes(bolt: AsyncApp) -> Callable[[web.Application], None]:
    """The install pages for the aiohttp edge (bot.server.create_web_app's extra_routes)."""
    flow = bolt.oauth_flow
    if flow is None:
        raise ValueError("the install pages need an AsyncApp built with oauth_settings")

    async def home(_request: web.Request) -> web.Response:
        return web.Response(text=INSTALL_PAGE, content_type="text/html")

    async def install(request: web.Request) -> web.Response:
        response = await flow.handle_installation(await to_bolt_request(request))
        if response.status == 302:
            location = html.escape(str(response.first_headers().get("location") or ""))
            response.body = page(f'<p>Continue to <a href="{location}">Slack</a>.</p>')
        return await to_aiohttp_response(response)

    async def redirect(request: web.Request) -> web.Response:
        try:
            response = await flow.handle_callback(await to_bolt_request(request))
        except SlackApiError as exc:  # e.g. auth.test refused the new token
            logger.warning("installation failed: %s", exc.response.get("error"))
            return web.Response(status=502, text=FAILED_PAGE, content_type="text/html")
        return await to_aiohttp_response(response)

    def add(web_app: web.Application) -> None:
        web_app.router.add_get(HOME_PATH, home)
        web_app.router.add_get(INSTALL_PATH, install)
        web_app.router.add_get(REDIRECT_PATH, redirect)

    return add


def app_link(installation: Installation) -> str:
    """Slack's link that opens the app in the workspace it was installed in."""
    team = installation.team_id or installation.enterprise_id or ""
    return f"https://slack.com/app_redirect?app={installation.app_id}&team={team}"


def success_page(installation: Installation) -> str:
    name = installation.team_name or installation.enterprise_name or "your workspace"
    return page(
        "<h1>MLOps is installed in " + html.escape(name) + "</h1>"
        "<p>Type <code>/mlops help</code> in any channel to start.</p>"
        f'<p><a class="button" href="{html.escape(app_link(installation))}">'
        "Open MLOps in Slack</a></p>"
    )


def page(body: str) -> str:
    """A small HTML page around `body` (already escaped)."""
    return _PAGE.replace("%BODY%", body)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MLOps for Slack</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}
a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:.3rem;background:#4a154b;
color:#fff;text-decoration:none}</style></head>
<body>%BODY%</body></html>
"""

INSTALL_PAGE = page(
    "<h1>MLOps for Slack</h1><p>The best MLOps resources on any topic, a weekly lesson"
    " in your team's channel, and a catalog your team grows.</p>"
    f'<p><a class="button" href="{INSTALL_PATH}">Add to Slack</a></p>'
)
FAILED_PAGE = page(
    f'<h1>The installation did not finish</h1><p><a href="{INSTALL_PATH}">Try again</a>.</p>'
)
