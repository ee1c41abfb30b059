"""The dependencies handlers need, built once in the lifespan and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.catalog import Catalog
from bot.core.search import SearchIndex
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.fetch import TitleFetcher
    from bot.scheduler import DigestScheduler
    from bot.slack.gateway import SlackGateway


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    index: SearchIndex
    engine: AsyncEngine | None = None
    slack: SlackGateway | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    # The lesson scheduler while `serve` runs it, so commands can update jobs at once.
    scheduler: DigestScheduler | None = None
    # Page-title fetcher for suggestions; built from settings when None (tests inject one).
    fetcher: TitleFetcher | None = None
