"""`mlops-bot` command line: serve, console, run, search, validate (and feature commands)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.app import StartupError, lifespan
from bot.console import Console
from bot.core.catalog import Catalog
from bot.core.content import ContentError, load_catalog
from bot.core.search import INTENT_HELP, INTENT_OUT_OF_SCOPE, INTENT_UNSUPPORTED_SCRIPT
from bot.features import FEATURES
from bot.health import readiness
from bot.logs import configure_logging
from bot.metrics import METRICS_PATH, Metrics, metrics_handler
from bot.router import CliCommand
from bot.server import create_web_app, start_site
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.installs import web_routes
from bot.store.engine import (
    MIGRATION_TIMEOUT,
    create_engine,
    current_revision,
    head_revision,
    revision_history,
    upgrade,
)

logger = logging.getLogger("bot")

EXIT_CONFIG = 2


def load_or_report(settings: Settings) -> Catalog | None:
    """The catalog, or None after printing every content problem as path:line: message."""
    try:
        return load_catalog(settings.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {settings.content_dir}", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_or_report(settings)
    if catalog is None:
        return 1
    print(
        f"ok: {len(catalog.topics)} topics, {len(catalog.resources)} resources,"
        f" {len(catalog.lessons)} lessons"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_or_report(settings)
    if catalog is None:
        return 1
    return asyncio.run(_search(args, settings, catalog))


async def _search(args: argparse.Namespace, settings: Settings, catalog: Catalog) -> int:
    async with lifespan(settings, slack=False, catalog=catalog, offline=True) as bot:
        results = bot.services.index.search(" ".join(args.query), limit=max(1, args.limit))
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
                "level": hit.resource.level.value if hit.resource.level else None,
                "year": hit.resource.year,
                "score": round(hit.score, 4),
            }
            for hit in results.hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if results.intent == INTENT_HELP:
        print("That reads like a question for me: try `mlops-bot console` and type `help`.")
        return 0
    if not results.hits:
        hint = f" Did you mean: {', '.join(results.suggestions)}?" if results.suggestions else ""
        why = {
            INTENT_OUT_OF_SCOPE: " The catalog is about running ML in production.",
            INTENT_UNSUPPORTED_SCRIPT: " The catalog isn't written in that script.",
        }.get(results.intent, "")
        print(f"No resources for “{results.query}”.{why}{hint}")
        return 0
    if results.note:
        print(f"({results.note})")
    for rank, hit in enumerate(results.hits, start=1):
        res = hit.resource
        print(f"{rank}. {res.title}  [{res.kind.value}]  {hit.score:.2f}")
        print(f"   {res.url}")
        print(f"   {res.summary}")
    return 0


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_or_report(settings)
    if catalog is None:
        return 1
    return asyncio.run(_console(settings, catalog))


async def _console(settings: Settings, catalog: Catalog) -> int:
    async with lifespan(settings, slack=False, catalog=catalog, offline=True) as bot:
        await Console(bot).run()
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
        catalog = load_or_report(settings)
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


async def _serve(settings: Settings, catalog: Catalog) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    commands = {name for f in FEATURES for name in f.commands}
    metrics = Metrics(commands)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    try:
        async with lifespan(settings, catalog=catalog, serve=True, metrics=metrics) as bot:
            bolt = create_app(bot)
            _settle_memory()
            secret = settings.slack_signing_secret
            web_app = create_web_app(
                bolt,
                {"mode": "socket" if settings.socket_mode else "http"},
                signing_secret=None
                if settings.socket_mode or not secret
                else secret.get_secret_value(),
                readiness=lambda: readiness(bot.services.engine),
                extra_routes=lambda app: _extra_routes(app, bolt, settings, metrics, token),
            )
            runner, port = await start_site(web_app, settings.host, settings.port)
            try:
                if settings.socket_mode:
                    from slack_bolt.adapter.socket_mode.async_handler import (
                        AsyncSocketModeHandler,
                    )

                    assert settings.slack_app_token is not None
                    handler = AsyncSocketModeHandler(
                        bolt, settings.slack_app_token.get_secret_value()
                    )
                    await handler.connect_async()
                    logger.info("connected to Slack in Socket Mode; health check on port %d", port)
                    try:
                        await stop.wait()
                    finally:
                        await handler.close_async()
                else:
                    logger.info("listening on http://%s:%d/slack/events", settings.host, port)
                    if settings.multi_workspace:
                        logger.info("multi-workspace mode: install at /slack/install")
                    await stop.wait()
                logger.info("shutting down")
            finally:
                await runner.cleanup()
    except StartupError as exc:
        print(f"mlops-bot serve: {exc}", file=sys.stderr)
        return 1
    return 0


def _extra_routes(
    app: web.Application, bolt: AsyncApp, settings: Settings, metrics: Metrics, token: str | None
) -> None:
    """/metrics, and in multi-workspace mode the install pages."""
    app.router.add_get(METRICS_PATH, metrics_handler(metrics, token))
    if settings.multi_workspace:
        web_routes(bolt)(app)


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
    db = sub.add_parser("db", help="the database schema (Alembic revisions)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="upgrade to the newest revision").set_defaults(
        func=cmd_db_upgrade
    )
    db_sub.add_parser("current", help="the revision the database is at").set_defaults(
        func=cmd_db_current
    )
    db_sub.add_parser("history", help="every revision, oldest first").set_defaults(
        func=cmd_db_history
    )
    _add_feature_commands(sub)
    return parser


def _add_feature_commands(sub: argparse._SubParsersAction) -> None:
    """Each feature's `mlops-bot <group> <name>` commands, grouped under their group."""
    groups: dict[str, argparse._SubParsersAction] = {}
    for feature in FEATURES:
        for command in feature.cli:
            if not command.name:  # `mlops-bot <group>` on its own
                alone = sub.add_parser(command.group, help=command.help)
                if command.configure is not None:
                    command.configure(alone)
                alone.set_defaults(func=_feature_runner(command))
                continue
            if command.group not in groups:
                group = sub.add_parser(command.group, help=f"{command.group} commands")
                groups[command.group] = group.add_subparsers(
                    dest=f"{command.group}_command", required=True
                )
            parser = groups[command.group].add_parser(command.name, help=command.help)
            if command.configure is not None:
                command.configure(parser)
            parser.set_defaults(func=_feature_runner(command))


def _feature_runner(command: CliCommand) -> Callable[[argparse.Namespace, Settings], int]:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        token = bool(settings.slack_bot_token and settings.slack_bot_token.get_secret_value())
        token = token or settings.multi_workspace
        if command.slack and not token:
            print(
                f"mlops-bot {command.group} {command.name} needs SLACK_BOT_TOKEN.",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        slack = command.slack or (command.slack_if_configured and token)
        catalog = load_or_report(settings)
        if catalog is None:
            return 1

        async def main() -> int:
            async with lifespan(settings, slack=slack, catalog=catalog) as bot:
                return await command.run(args, bot.services)

        return asyncio.run(main())

    return run


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> int:
        engine = create_engine(settings.database_url, statement_timeout=MIGRATION_TIMEOUT)
        try:
            print(f"database at revision {await upgrade(engine)}")
        finally:
            await engine.dispose()
        return 0

    return asyncio.run(main())


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> int:
        engine = create_engine(settings.database_url)
        try:
            current = await current_revision(engine)
        finally:
            await engine.dispose()
        head = head_revision()
        state = "up to date" if current == head else f"newest is {head}: run `mlops-bot db upgrade`"
        print(f"{current or 'empty (no revision)'} ({state})")
        return 0

    return asyncio.run(main())


def cmd_db_history(args: argparse.Namespace, settings: Settings) -> int:
    for line in revision_history():
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
