"""The lifespan: open every resource in order, close in reverse."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.core.search import SearchIndex
from bot.services import Services
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, build_client
from bot.store.engine import create_engine, upgrade

logger = logging.getLogger(__name__)


async def run_startup_hooks(services: Services) -> None:
    """Run each feature's start-up work (e.g. load approved community resources)."""
    from bot.features import STARTUP_HOOKS

    for hook in STARTUP_HOOKS:
        await hook(services)


@asynccontextmanager
async def open_services(
    settings: Settings, *, slack: bool = True, catalog: Catalog | None = None
) -> AsyncIterator[Services]:
    """Database (migrated), catalog and index, and a Slack gateway when `slack` is set."""
    catalog = catalog or load_catalog(settings.content_dir)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        gateway = None
        if slack:
            token = (
                settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
            )
            gateway = SlackGateway(build_client(token, settings.slack_api_url))
        services = Services(
            settings=settings,
            catalog=catalog,
            index=SearchIndex.build(catalog),
            engine=engine,
            slack=gateway,
        )
        await run_startup_hooks(services)
        yield services
    finally:
        await engine.dispose()
