"""HTTP edge: POST /slack/events into Bolt; /healthz (liveness) and /readyz (readiness).

Every request to /slack/events is verified here, before Bolt parses anything: a request that
fails verification for any reason (missing, empty or non-numeric timestamp, stale, bad
signature) gets 401 and nothing else runs, so nothing is ever sent to a URL taken from an
unverified body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot import texts

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
MAX_BODY = 1024 * 1024

Readiness = Callable[[], Awaitable[tuple[bool, str]]]


def verified(verifier: SignatureVerifier | None, body: str, headers: Any) -> bool:
    """Slack's v0 signature over the raw body, with a timestamp within five minutes."""
    if verifier is None:  # Socket Mode: Slack's requests never come over HTTP
        return False
    timestamp = str(headers.get("X-Slack-Request-Timestamp") or "")
    signature = str(headers.get("X-Slack-Signature") or "")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError):
        return False


def create_web_app(
    bolt: AsyncApp,
    status: dict[str, Any] | None = None,
    *,
    signing_secret: str | None = None,
    readiness: Readiness | None = None,
    extra_routes: Callable[[web.Application], object] | None = None,
) -> web.Application:
    """An aiohttp application serving Slack's requests and the health checks."""
    started = time.monotonic()
    web_app = web.Application(client_max_size=MAX_BODY)
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def slack_events(request: web.Request) -> web.Response:
        body = await request.text()
        if not verified(verifier, body, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
            bolt_response = await bolt.async_dispatch(bolt_request)
        except Exception:  # a verified but malformed body: Slack must not see a 500
            logger.warning("could not parse a verified Slack request (%d bytes)", len(body))
            return web.Response(status=200, text="")
        if bolt_response.status == 404:
            return _unanswered(body)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        body = {"status": "ok", "uptime_s": round(time.monotonic() - started, 1)}
        body.update(status or {})
        return web.json_response(body)

    async def readyz(_request: web.Request) -> web.Response:
        ready, reason = (True, "ok") if readiness is None else await readiness()
        return web.json_response(
            {"status": "ready" if ready else "not ready", "reason": reason},
            status=200 if ready else 503,
        )

    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.router.add_get(READY_PATH, readyz)
    if extra_routes is not None:
        extra_routes(web_app)
    return web_app


def _unanswered(body: str) -> web.Response:
    """Bolt found no listener that acknowledged: unknown payload types, or one that missed
    Slack's 3 seconds. A slash command still gets a visible answer, never a silent 200."""
    if "command=" in body and "payload=" not in body:
        logger.warning("a slash command was not acknowledged in time")
        return web.json_response({"response_type": "ephemeral", "text": texts.DATABASE_DOWN})
    logger.warning("acknowledged a Slack request no listener handled")
    return web.Response(status=200, text="")


async def start_site(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (to clean up) and the bound port (port 0 picks one)."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None)
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound
