"""The dependencies handlers need: built once by the lifespan (`bot.app`), never changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.core.catalog import Catalog
from bot.core.search import SearchIndex
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.fetch import TitleFetcher
    from bot.scheduler import JobScheduler
    from bot.slack.gateway import SlackGateway


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: Settings
    catalog: Catalog
    index: SearchIndex
    engine: AsyncEngine
    fetcher: TitleFetcher
    scheduler: JobScheduler
    # None in the console and in offline CLI commands: nothing there talks to Slack.
    slack: SlackGateway | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    metrics: Any = None
    # Searches noted for `/mlops stats`, written in batches by a job (never on the answer path).
    search_log_pending: list[dict[str, Any]] = field(default_factory=list)
