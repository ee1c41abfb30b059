"""Search log repository: one row per search (team, day, normalised query, topic, matched).

No user ids, channel ids or timestamps finer than the day are stored; rows older than the
retention (MLOPS_SEARCH_LOG_DAYS) are deleted by a daily job.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.stats import Count
from bot.store.engine import writing
from bot.store.schema import search_log


def row(*, team_id: str, day: date, query: str, topic: str | None, matched: bool) -> dict[str, Any]:
    """One search as the table stores it (lengths capped)."""
    return {
        "team_id": team_id[:32],
        "day": day,
        "query": query[:200],
        "topic": (topic or None) and topic[:80],
        "matched": matched,
    }


async def record_many(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    """Store buffered searches in one short write (searches never wait on the database)."""
    if not rows:
        return
    async with writing(engine) as conn:
        await conn.execute(insert(search_log), rows)


async def record(
    engine: AsyncEngine, *, team_id: str, day: date, query: str, topic: str | None, matched: bool
) -> None:
    await record_many(
        engine, [row(team_id=team_id, day=day, query=query, topic=topic, matched=matched)]
    )


async def prune(engine: AsyncEngine, before: date) -> int:
    """Delete rows logged before `before`; how many went."""
    async with engine.begin() as conn:
        result = await conn.execute(delete(search_log).where(search_log.c.day < before))
    return int(result.rowcount or 0)


async def count_since(engine: AsyncEngine, team_id: str, since: date) -> int:
    query = select(func.count()).where(search_log.c.team_id == team_id, search_log.c.day >= since)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _most_frequent(
    engine: AsyncEngine, column: Any, team_id: str, since: date, limit: int, *where: Any
) -> list[Count]:
    """The values of `column` logged most often since `since` (ties by value), most first."""
    n = func.count().label("n")
    query = (
        select(column, n)
        .where(search_log.c.team_id == team_id, search_log.c.day >= since, *where)
        .group_by(column)
        .order_by(n.desc(), column)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Count(str(row[0]), int(row[1])) for row in rows]


async def top_topics(engine: AsyncEngine, team_id: str, since: date, limit: int = 5) -> list[Count]:
    """The topics searched most since `since` (matched searches with a topic), most first."""
    column = search_log.c.topic
    return await _most_frequent(engine, column, team_id, since, limit, column.is_not(None))


async def unmatched(engine: AsyncEngine, team_id: str, since: date, limit: int = 10) -> list[Count]:
    """Queries that got the no-match page since `since`, grouped by text, most asked first."""
    matched = search_log.c.matched.is_(False)
    return await _most_frequent(engine, search_log.c.query, team_id, since, limit, matched)
