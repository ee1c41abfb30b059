"""Suggestions repository: community resources proposed with `/mlops suggest`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Resource
from bot.core.suggestions import (
    APPROVED,
    PENDING,
    REJECTED,
    Suggestion,
    SuggestionRow,
    as_utc,
    guess_kind,
    resource_id,
    topic_ids,
)
from bot.store.engine import writing
from bot.store.schema import suggestions

COMMUNITY_SUMMARY = "Suggested by the team: {note}"
DEFAULT_TOPIC = "mlops-overview"


class DuplicateSuggestion(Exception):
    """Another suggestion with the same normalised URL was stored first."""


def row_to_resource(row: Any) -> Resource:
    """An approved suggestion as a catalog resource, marked as community-suggested.

    Topics are the suggester's (or the overview topic when none was given); the summary
    carries the suggester's note.
    """
    topics = topic_ids(row.topics) or (DEFAULT_TOPIC,)
    note = " ".join((row.note or "").split())
    summary = COMMUNITY_SUMMARY.format(note=note) if note else "Suggested by the team."
    title = " ".join((row.title or "").split()) or row.url
    if len(summary) > 300:
        summary = summary[:299] + "…"
    return Resource(
        id=row.resource_id or resource_id(row.id, title),
        title=title[:300],
        url=row.url,
        kind=guess_kind(row.url),
        topics=topics,
        summary=summary,
        community=True,
    )


async def add_suggestion(
    engine: AsyncEngine,
    suggestion: Suggestion,
    *,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    title: str,
    fetch_ok: bool,
    now: datetime,
) -> int:
    """Store a pending suggestion and return its id; DuplicateSuggestion if its URL is known."""
    values = {
        "team_id": team_id,
        "user_id": user_id,
        "channel_id": channel_id,
        "url": suggestion.url,
        "url_key": suggestion.url_key,
        "url_hash": suggestion.url_hash,
        "title": title,
        "fetch_ok": fetch_ok,
        "topics": " ".join(suggestion.topics),
        "note": suggestion.note,
        "status": PENDING,
        "created_at": as_utc(now),
    }
    try:
        async with writing(engine) as conn:
            result = await conn.execute(suggestions.insert().values(**values))
    except IntegrityError:
        raise DuplicateSuggestion(suggestion.url_key) from None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def find_by_url(engine: AsyncEngine, url_hash: str) -> SuggestionRow | None:
    """The suggestion stored for a normalised URL's digest, whatever its status."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(suggestions).where(suggestions.c.url_hash == url_hash))
        ).first()
    return SuggestionRow.from_row(row) if row else None


async def get(engine: AsyncEngine, suggestion_id: int) -> SuggestionRow | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(suggestions).where(suggestions.c.id == suggestion_id))
        ).first()
    return SuggestionRow.from_row(row) if row else None


async def count_since(engine: AsyncEngine, user_id: str, since: datetime) -> int:
    """How many suggestions a user has made after `since` (for the daily limit)."""
    query = select(func.count()).where(
        suggestions.c.user_id == user_id, suggestions.c.created_at > as_utc(since)
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def set_review_message(
    engine: AsyncEngine, suggestion_id: int, channel: str, ts: str
) -> None:
    """Remember where the review message is, so a decision can update it."""
    async with writing(engine) as conn:
        await conn.execute(
            update(suggestions)
            .where(suggestions.c.id == suggestion_id)
            .values(review_channel=channel, review_ts=ts)
        )


async def decide(
    engine: AsyncEngine,
    suggestion_id: int,
    *,
    approve: bool,
    moderator: str,
    now: datetime,
    reason: str | None = None,
    new_resource_id: str | None = None,
) -> bool:
    """Record a decision if the suggestion is still pending; False if someone decided first."""
    values: dict[str, Any] = {
        "status": APPROVED if approve else REJECTED,
        "decided_by": moderator,
        "decided_at": as_utc(now),
        "reason": reason or None,
    }
    if approve:
        values["resource_id"] = new_resource_id
    async with writing(engine) as conn:
        result = await conn.execute(
            update(suggestions)
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == PENDING)
            .values(**values)
        )
    return result.rowcount == 1


async def pending(engine: AsyncEngine, limit: int = 20) -> tuple[list[SuggestionRow], int]:
    """The oldest pending suggestions (up to `limit`) and how many are pending in all."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(suggestions)
                .where(suggestions.c.status == PENDING)
                .order_by(suggestions.c.created_at, suggestions.c.id)
                .limit(limit)
            )
        ).all()
        total = (
            await conn.execute(select(func.count()).where(suggestions.c.status == PENDING))
        ).scalar_one()
    return [SuggestionRow.from_row(r) for r in rows], int(total)


async def approved_since(engine: AsyncEngine, since: datetime | None) -> list[Resource]:
    """Resources approved after `since` (None: all), for "New from the community".

    Each carries the suggester's topics and, in its summary, their note.
    """
    query = select(suggestions).where(suggestions.c.status == APPROVED)
    if since is not None:
        query = query.where(suggestions.c.decided_at > as_utc(since))
    query = query.order_by(suggestions.c.decided_at, suggestions.c.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [row_to_resource(r) for r in rows]


async def approved_rows(engine: AsyncEngine) -> list[SuggestionRow]:
    """Every approved suggestion with who suggested and approved it (for the export)."""
    query = (
        select(suggestions)
        .where(suggestions.c.status == APPROVED)
        .order_by(suggestions.c.decided_at, suggestions.c.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [SuggestionRow.from_row(r) for r in rows]
