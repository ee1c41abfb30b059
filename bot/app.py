"""The lifespan: one owner for every resource, opened in order and closed in reverse.

database (upgraded to the newest revision) → page fetcher (one httpx client) → Slack gateway
→ scheduler (started only by `serve`) → each feature's start-up hooks. `serve`, `console`,
`digest run` and every CLI command enter it; tests boot through it too. `Services` is
complete when it is built and never changes afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.core.search import SearchIndex
from bot.features import FEATURES
from bot.fetch import FetchResult, TitleFetcher
from bot.router import Feature, Router
from bot.scheduler import JobScheduler
from bot.services import Services, utc_now
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, build_client
from bot.slack.installs import TokenSource
from bot.store.engine import MIGRATION_TIMEOUT, create_engine, upgrade

logger = logging.getLogger(__name__)


class StartupError(Exception):
    """A resource could not be opened; the message is the one line an operator needs."""


class OfflineFetcher(TitleFetcher):
    """The console's fetcher: it works offline, so it never looks a page (or a name) up."""

    async def fetch_title(self, url: str) -> FetchResult:
        return FetchResult(None, texts.CONSOLE_NO_FETCH)


@dataclass(frozen=True)
class Bot:
    """What the lifespan yields: the services and the router over every feature."""

    services: Services
    router: Router
    features: Sequence[Feature]


async def open_database(settings: Settings, wait: float) -> AsyncEngine:
    """Create the engine and upgrade the schema; retry with backoff for up to `wait` seconds.

    The upgrade runs through its own engine: a migration statement (or waiting for another
    replica's migration lock) may take longer than a command's statement timeout."""
    engine = create_engine(settings.database_url, timeout=settings.answer_budget)
    migrator = create_engine(settings.database_url, statement_timeout=MIGRATION_TIMEOUT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay, attempt = 0.5, 1
    while True:
        try:
            await upgrade(migrator)
            await migrator.dispose()
            return engine
        except (OSError, OperationalError, DBAPIError, TimeoutError) as exc:
            reason = _one_line(exc)
            if loop.time() + delay > deadline:
                await migrator.dispose()
                await engine.dispose()
                raise StartupError(f"cannot open the database: {reason}") from exc
            logger.warning(
                "database not reachable (attempt %d): %s; retrying in %.1f s",
                attempt,
                reason,
                delay,
            )
            await asyncio.sleep(delay)
            delay, attempt = min(delay * 2, 10.0), attempt + 1


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split()) or type(cause).__name__
    return text[:200]


def schedule_feature_jobs(services: Services, features: Sequence[Feature]) -> None:
    """Put every feature's declared jobs on the scheduler (periodic, or once at start)."""
    for feature in features:
        for job in feature.jobs:
            trigger = IntervalTrigger(seconds=job.every(services.settings)) if job.every else None
            services.scheduler.put(job.id, job.run, trigger, args=(services,))


def multi_workspace_gateway(
    settings: Settings,
    engine: AsyncEngine,
    client: AsyncWebClient | None,
    clock: Callable[[], datetime],
    session: aiohttp.ClientSession | None = None,
) -> SlackGateway:
    """A gateway whose calls use each workspace's own token (bot.slack.installs)."""
    base = client or build_client(None, settings.slack_api_url, session=session)
    return SlackGateway(base, TokenSource(engine, settings, base, clock=clock))


@asynccontextmanager
async def lifespan(
    settings: Settings,
    *,
    slack: bool = True,
    catalog: Catalog | None = None,
    serve: bool = False,
    offline: bool = False,
    features: Sequence[Feature] = FEATURES,
    clock: Callable[[], datetime] = utc_now,
    slack_client: AsyncWebClient | None = None,
    fetcher: TitleFetcher | None = None,
    metrics: object = None,
) -> AsyncIterator[Bot]:
    """Open everything the bot needs; `serve` also starts the scheduler and its jobs.

    `offline` (the console) swaps the page fetcher for one that never touches the network."""
    catalog = catalog or load_catalog(settings.content_dir)
    index = SearchIndex.build(catalog)
    engine = await open_database(settings, settings.db_start_wait if serve else 0.0)
    try:
        if fetcher is None:
            offline_only = offline and not settings.console_fetch
            fetcher = (
                OfflineFetcher() if offline_only else TitleFetcher(settings.allowed_fetch_hosts)
            )
        try:
            gateway = None
            session: aiohttp.ClientSession | None = None
            if slack and slack_client is None:
                # One connection pool for every Web API call: a new session per call (the
                # SDK's default) cost a TCP connect and ~2 ms of CPU each.
                session = aiohttp.ClientSession()
            if slack and settings.multi_workspace:
                gateway = multi_workspace_gateway(settings, engine, slack_client, clock, session)
            elif slack:
                token = settings.slack_bot_token
                gateway = SlackGateway(
                    slack_client
                    or build_client(
                        token.get_secret_value() if token else None,
                        settings.slack_api_url,
                        session=session,
                    )
                )
            scheduler = JobScheduler()
            services = Services(
                settings=settings,
                catalog=catalog,
                index=index,
                engine=engine,
                fetcher=fetcher,
                scheduler=scheduler,
                slack=gateway,
                clock=clock,
                metrics=metrics,
            )
            router = Router(services, features)
            for feature in features:
                for hook in feature.on_start:
                    await hook(services)
            if serve:
                schedule_feature_jobs(services, features)
                scheduler.start()
            try:
                yield Bot(services, router, features)
            finally:
                await scheduler.stop()
                for feature in features:
                    for hook in feature.on_stop:
                        try:
                            await hook(services)
                        except Exception:  # shutting down: log and close the rest anyway
                            logger.exception("stop hook of %s failed", feature.name)
                if session is not None:
                    await session.close()
        finally:
            await fetcher.aclose()
    finally:
        await engine.dispose()
