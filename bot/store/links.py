"""Link health repository: the last check of every URL and its running state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.link_health import LinkResult, LinkState
from bot.core.suggestions import as_utc
from bot.store.schema import link_checks


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LinkRow:
    url: str
    state: LinkState
    last_checked: datetime
    last_outcome: str
    last_error: str | None


def _state(row: object) -> LinkState:
    day = getattr(row, "last_failure_day", None)
    return LinkState(
        consecutive_failures=int(getattr(row, "consecutive_failures", 0) or 0),
        last_failure_day=day if isinstance(day, date) else None,
        last_status=getattr(row, "last_status", None),
        final_url=getattr(row, "final_url", None),
        dead=bool(getattr(row, "dead", False)),
    )


async def all_rows(engine: AsyncEngine) -> dict[str, LinkRow]:
    """Every stored check, by URL."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(link_checks))).all()
    return {
        row.url: LinkRow(
            url=row.url,
            state=_state(row),
            last_checked=as_utc(row.last_checked) or row.last_checked,
            last_outcome=row.last_outcome,
            last_error=row.last_error,
        )
        for row in rows
    }


async def dead_urls(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(link_checks.c.url).where(link_checks.c.dead.is_(True)))
        return {row.url for row in rows}


async def save(engine: AsyncEngine, result: LinkResult, state: LinkState, now: datetime) -> None:
    """Store one check's result and the link's new state (insert or replace)."""
    values = {
        "url": result.url,
        "last_checked": now,
        "last_status": result.status,
        "last_outcome": result.outcome.value,
        "last_error": (result.error or "")[:500] or None,
        "consecutive_failures": state.consecutive_failures,
        "last_failure_day": state.last_failure_day,
        "final_url": state.final_url,
        "dead": state.dead,
    }
    key = url_hash(result.url)
    async with engine.begin() as conn:
        updated = await conn.execute(
            link_checks.update().where(link_checks.c.url_hash == key).values(**values)
        )
        if not updated.rowcount:
            await conn.execute(link_checks.insert().values(url_hash=key, **values))
