"""Claims on Events API event ids, so a re-delivered event is handled once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import writing
from bot.store.schema import processed_events

KEEP_FOR = timedelta(days=1)


async def claim_event(engine: AsyncEngine, event_id: str, now: datetime | None = None) -> bool:
    """Return True the first time an event id is seen, False for a re-delivery."""
    now = now or datetime.now(UTC)
    try:
        async with writing(engine) as conn:
            await conn.execute(processed_events.insert().values(event_id=event_id, seen_at=now))
    except IntegrityError:
        return False
    return True


async def forget_old_events(engine: AsyncEngine, now: datetime | None = None) -> None:
    """Drop claims older than Slack's retry window; they can never be re-delivered."""
    now = now or datetime.now(UTC)
    async with writing(engine) as conn:
        await conn.execute(
            delete(processed_events).where(processed_events.c.seen_at < now - KEEP_FOR)
        )
