"""`mlops-bot` command line: serve, console, run, search, validate (and feature commands)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Sequence

from bot.core.content import ContentError, load_catalog
from bot.core.search import SearchIndex
from bot.settings import Settings

logger = logging.getLogger("bot")

EXIT_CONFIG = 2


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; slack_sdk logs payloads at DEBUG.
    for noisy in ("httpx", "httpcore", "slack_sdk", "apscheduler.executors", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _load_or_report(settings: Settings):  # type: ignore[no-untyped-def]
    try:
        return load_catalog(settings.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {settings.content_dir}", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    catalog = _load_or_report(settings)
    if catalog is None:
        return 1
    print(
        f"ok: {len(catalog.topics)} topics, {len(catalog.resources)} resources,"
        f" {len(catalog.lessons)} lessons"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    catalog = _load_or_report(settings)
    if catalog is None:
        return 1
    return asyncio.run(_search(args, settings, catalog))


async def _search(args: argparse.Namespace, settings: Settings, catalog) -> int:  # type: ignore[no-untyped-def]
    from bot.runtime import open_services

    async with open_services(settings, slack=False, catalog=catalog) as services:
        index: SearchIndex = services.index
        results = index.search(" ".join(args.query), limit=max(1, args.limit))
    if args.json:
        rows = [
            {
                "id": hit.resource.id,
                "title": hit.resource.title,
                "url": hit.resource.url,
                "kind": hit.resource.kind.value,
                "topics": list(hit.resource.topics),
                "summary": hit.resource.summary,
                "community": hit.resource.community,
                "score": round(hit.score, 4),
            }
            for hit in results.hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not results.hits:
        hint = f" Did you mean: {', '.join(results.suggestions)}?" if results.suggestions else ""
        print(f"No resources for “{results.query}”.{hint}")
        return 0
    for rank, hit in enumerate(results.hits, start=1):
        res = hit.resource
        print(f"{rank}. {res.title}  [{res.kind.value}]  {hit.score:.2f}")
        print(f"   {res.url}")
        print(f"   {res.summary}")
    return 0


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    catalog = _load_or_report(settings)
    if catalog is None:
        return 1
    return asyncio.run(_console(settings, catalog))


async def _console(settings: Settings, catalog) -> int:  # type: ignore[no-untyped-def]
    from bot.console import Console
    from bot.runtime import open_services

    async with open_services(settings, slack=False, catalog=catalog) as services:
        await Console(services).run()
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    missing = settings.missing_for_serve()
    if missing:
        print(
            "mlops-bot serve needs Slack credentials. Set "
            + " and ".join(missing)
            + " (in the environment or .env); see README 'Connect Slack'.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    gc.disable()  # until start-up is over: see _settle_memory
    try:
        catalog = _load_or_report(settings)
        if catalog is None:
            return 1
        return asyncio.run(_serve(settings, catalog))
    finally:
        gc.enable()


def _settle_memory() -> None:
    """Start-up is over: turn the collector back on and move everything loaded so far (catalog,
    index) out of its reach. Collecting while 10,000 resources load doubled the start-up time,
    and full passes over them stalled requests for ~100 ms (docs/benchmarks.md)."""
    gc.enable()
    gc.collect()
    gc.freeze()


async def _serve(settings: Settings, catalog) -> int:  # type: ignore[no-untyped-def]
    from contextlib import AsyncExitStack

    from bot.features import BACKGROUND
    from bot.runtime import open_services
    from bot.server import create_web_app, start_site
    from bot.slack.app import create_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        services = await stack.enter_async_context(open_services(settings, catalog=catalog))
        bolt = create_app(services)
        _settle_memory()
        status = {"mode": "socket" if settings.socket_mode else "http"}
        runner, port = await start_site(create_web_app(bolt, status), settings.host, settings.port)
        stack.push_async_callback(runner.cleanup)
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            assert settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
            await handler.connect_async()
            stack.push_async_callback(handler.close_async)
            logger.info("connected to Slack in Socket Mode; health check on port %d", port)
        else:
            logger.info("listening on http://%s:%d/slack/events", settings.host, port)
        for background in BACKGROUND:
            await stack.enter_async_context(background(services))
        await stop.wait()
        logger.info("shutting down")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """`make run`: serve when Slack is configured, otherwise the console with a hint."""
    if not settings.missing_for_serve():
        return cmd_serve(args, settings)
    print(
        "No Slack credentials found: starting the local console."
        " To connect Slack, set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or SLACK_SIGNING_SECRET)"
        " in .env — see README.",
        file=sys.stderr,
    )
    return cmd_console(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the Slack app (Socket Mode or HTTP)").set_defaults(
        func=cmd_serve
    )
    sub.add_parser("console", help="try the bot in a terminal").set_defaults(func=cmd_console)
    sub.add_parser("run", help="serve if Slack is configured, else console").set_defaults(
        func=cmd_run
    )
    sub.add_parser("validate", help="check content/").set_defaults(func=cmd_validate)
    search = sub.add_parser("search", help="print ranked resources for a query")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)
    from bot.features import CLI_COMMANDS

    for add in CLI_COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
