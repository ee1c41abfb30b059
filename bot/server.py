"""HTTP edge: POST /slack/events into Bolt, GET /healthz for the platform's health checks."""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1024 * 1024


def create_web_app(bolt: AsyncApp, status: dict[str, Any] | None = None) -> web.Application:
    """An aiohttp application serving Slack's requests and a health check."""
    started = time.monotonic()
    web_app = web.Application(client_max_size=MAX_BODY)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        if bolt_response.status == 404:
            # An interaction or event type nobody handles: acknowledge it rather than make
            # Slack show the user an error or re-deliver it.
            logger.warning("acknowledged an unhandled Slack request")
            return web.Response(status=200, text="")
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        body = {"status": "ok", "uptime_s": round(time.monotonic() - started, 1)}
        body.update(status or {})
        return web.json_response(body)

    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    return web_app


async def start_site(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (to clean up) and the bound port (port 0 picks one)."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    bound = server.sockets[0].getsockname()[1] if server and server.sockets else port
    return runner, bound
