"""The baseline for benchmark 1: a bare slack-bolt AsyncApp whose /mlops only acks a fixed text.

It sits behind exactly the HTTP stack `mlops-bot serve` uses (bot.server: aiohttp, the Bolt
aiohttp adapter, request signature verification, a web client pointed at the same fake Slack),
so the difference between the two is what our handler does. Reads SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL and PORT from the environment, like `serve`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import create_web_app, start_site

FIXED = "ok"


def create_bare_app() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    app = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=False,
        logger=logging.getLogger("bench.bare"),
    )

    @app.command("/mlops")
    async def on_command(ack: AsyncAck) -> None:
        await ack(text=FIXED)

    return app


async def serve() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner, _port = await start_site(
        create_web_app(create_bare_app(), signing_secret=os.environ["SLACK_SIGNING_SECRET"]),
        "127.0.0.1",
        int(os.environ["PORT"]),
    )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
