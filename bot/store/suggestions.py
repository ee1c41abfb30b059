"""Suggestions repository: community resources proposed with `/mlops suggest`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Resource
from bot.core.suggestions import Suggestion, guess_kind, resource_id
from bot.store.schema import suggestions

COMMUNITY_SUMMARY = "Suggested by the team: {note}"
DEFAULT_TOPIC = "mlops-overview"

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands back naive datetimes; everything is stored in UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _topic_ids(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else (value or ())
    return tuple(t for t in items if t)


class DuplicateSuggestion(Exception):
    """Another suggestion with the same normalised URL was stored first."""


@dataclass(frozen=True)
class SuggestionRow:
    """One stored suggestion (the table's columns, typed)."""

    id: int
    team_id: str
    user_id: str
    channel_id: str | None
    url: str
    url_key: str
    title: str
    fetch_ok: bool
    topics: tuple[str, ...]
    note: str
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    resource_id: str | None
    review_channel: str | None
    review_ts: str | None

    @classmethod
    def from_row(cls, row: Any) -> SuggestionRow:
        return cls(
            id=row.id,
            team_id=row.team_id,
            user_id=row.user_id,
            channel_id=row.channel_id,
            url=row.url,
            url_key=row.url_key,
            title=row.title,
            fetch_ok=bool(row.fetch_ok),
            topics=_topic_ids(row.topics),
            note=row.note or "",
            status=row.status,
            created_at=_utc(row.created_at) or datetime.now(UTC),
            decided_by=row.decided_by,
            decided_at=_utc(row.decided_at),
            reason=row.reason,
            resource_id=row.resource_id,
            review_channel=row.review_channel,
            review_ts=row.review_ts,
        )


def row_to_resource(row: Any) -> Resource:
    """An approved suggestion as a catalog resource, marked as community-suggested.

    Topics are the suggester's (or the overview topic when none was given); the summary
    carries the suggester's note.
    """
    topics = _topic_ids(row.topics) or (DEFAULT_TOPIC,)
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
        "created_at": _utc(now),
    }
    try:
        async with engine.begin() as conn:
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
        suggestions.c.user_id == user_id, suggestions.c.created_at > _utc(since)
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def set_review_message(
    engine: AsyncEngine, suggestion_id: int, channel: str, ts: str
) -> None:
    """Remember where the review message is, so a decision can update it."""
    async with engine.begin() as conn:
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
        "decided_at": _utc(now),
        "reason": reason or None,
    }
    if approve:
        values["resource_id"] = new_resource_id
    async with engine.begin() as conn:
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
        query = query.where(suggestions.c.decided_at > _utc(since))
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
