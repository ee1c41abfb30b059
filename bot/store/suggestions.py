"""Suggestions repository: community resources proposed with `/mlops suggest`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Kind, Resource
from bot.store.schema import suggestions

COMMUNITY_SUMMARY = "Suggested by the team: {note}"


def row_to_resource(row: Any) -> Resource:
    """An approved suggestion as a catalog resource, marked as community-suggested."""
    topics = tuple(t for t in (row.topics or "").split() if t) or ("mlops-overview",)
    note = (row.note or "").strip()
    summary = COMMUNITY_SUMMARY.format(note=note) if note else "Suggested by the team."
    return Resource(
        id=row.resource_id or f"community-{row.id}",
        title=row.title[:300],
        url=row.url,
        kind=Kind.ARTICLE,
        topics=topics,
        summary=summary[:300],
        community=True,
    )


async def approved_resources(engine: AsyncEngine) -> list[Resource]:
    """Every approved suggestion, oldest first (loaded into the catalog at start)."""
    query = (
        select(suggestions)
        .where(suggestions.c.status == "approved")
        .order_by(suggestions.c.decided_at, suggestions.c.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [row_to_resource(r) for r in rows]


async def approved_since(engine: AsyncEngine, since: datetime | None) -> list[Resource]:
    """Resources approved after `since` (None: all), for "New from the community"."""
    query = select(suggestions).where(suggestions.c.status == "approved")
    if since is not None:
        query = query.where(suggestions.c.decided_at > since)
    query = query.order_by(suggestions.c.decided_at, suggestions.c.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [row_to_resource(r) for r in rows]
