"""Subscriptions repository: which channels get the weekly lesson, when, and how far they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import curriculum
from bot.core.schedule import Schedule, schedule_from_row
from bot.store.engine import writing
from bot.store.schema import deliveries, subscriptions

ACTIVE = "active"
PAUSED = "paused"
SUSPENDED = "suspended"
UNSUBSCRIBED = "unsubscribed"


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Subscription:
    id: int
    team_id: str
    channel_id: str
    is_dm: bool
    created_by: str
    day: str
    time: str
    tz: str
    status: str
    status_reason: str | None
    next_lesson: int
    season: int
    effective_from: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def schedule(self) -> Schedule:
        return schedule_from_row(self.day, self.time, self.tz)

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @classmethod
    def from_row(cls, row: Any) -> Subscription:
        values = dict(row._mapping)
        for key in ("effective_from", "created_at", "updated_at"):
            values[key] = as_utc(values[key])
        return cls(**values)


async def get(engine: AsyncEngine, team_id: str, channel_id: str) -> Subscription | None:
    query = select(subscriptions).where(
        subscriptions.c.team_id == team_id, subscriptions.c.channel_id == channel_id
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return Subscription.from_row(row) if row else None


async def list_all(engine: AsyncEngine, *, status: str | None = None) -> list[Subscription]:
    query = select(subscriptions).order_by(subscriptions.c.id)
    if status is not None:
        query = query.where(subscriptions.c.status == status)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Subscription.from_row(r) for r in rows]


async def subscribe(
    engine: AsyncEngine,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    is_dm: bool,
    schedule: Schedule,
    now: datetime,
) -> tuple[Subscription, bool]:
    """Create or update a channel's subscription (active from `now`); True when it is new.

    Re-subscribing keeps the channel's place in the curriculum and lifts a suspension; a
    delivery Slack refused because the channel was gone becomes retryable again. Re-subscribing
    an unsubscribed channel makes `user_id` its subscriber (`created_by`).
    """
    values = {
        "day": schedule.day,
        "time": schedule.hhmm,
        "tz": schedule.tz,
        "status": ACTIVE,
        "status_reason": None,
        "effective_from": now,
        "updated_at": now,
    }
    row = {
        "team_id": team_id,
        "channel_id": channel_id,
        "is_dm": is_dm,
        "created_by": user_id,
        "next_lesson": 0,
        "season": 1,
        "created_at": now,
        **values,
    }
    # One short transaction either way (INSERT … ON CONFLICT DO NOTHING RETURNING, then the
    # update when the row exists; SQLite ≥ 3.35 and PostgreSQL): sixteen subscribes at once
    # must not queue behind each other's round trips.
    insert = _insert_for(engine)(subscriptions).values(**row)
    insert = insert.on_conflict_do_nothing(
        index_elements=[subscriptions.c.team_id, subscriptions.c.channel_id]
    ).returning(*subscriptions.c)
    key = (subscriptions.c.team_id == team_id, subscriptions.c.channel_id == channel_id)
    async with writing(engine) as conn:
        inserted = (await conn.execute(insert)).first()
        created = inserted is not None
        if inserted is None:
            inserted = (
                await conn.execute(
                    update(subscriptions)
                    .where(*key)
                    .values(
                        **values,
                        # Whoever subscribes an unsubscribed channel again is its subscriber.
                        created_by=case(
                            (subscriptions.c.status == UNSUBSCRIBED, user_id),
                            else_=subscriptions.c.created_by,
                        ),
                    )
                    .returning(*subscriptions.c)
                )
            ).one()
            await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.team_id == team_id,
                    deliveries.c.channel_id == channel_id,
                    deliveries.c.status == "abandoned",
                )
                .values(status="failed")
            )
    found = Subscription.from_row(inserted)
    return found, created


def _insert_for(engine: AsyncEngine) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


async def set_status(
    engine: AsyncEngine,
    team_id: str,
    channel_id: str,
    status: str,
    *,
    now: datetime,
    reason: str | None = None,
    only_from: tuple[str, ...] | None = None,
    restart: bool = False,
) -> Subscription | None:
    """Change a subscription's status (optionally only from given statuses); None if absent.

    `restart` moves `effective_from` to `now`, so weeks that fell due meanwhile are not owed.
    """
    values: dict[str, Any] = {"status": status, "status_reason": reason, "updated_at": now}
    if restart:
        values["effective_from"] = now
    statement = (
        update(subscriptions)
        .where(subscriptions.c.team_id == team_id, subscriptions.c.channel_id == channel_id)
        .values(**values)
    )
    if only_from is not None:
        statement = statement.where(subscriptions.c.status.in_(only_from))
    async with writing(engine) as conn:
        await conn.execute(statement)
    return await get(engine, team_id, channel_id)


async def skip(
    engine: AsyncEngine, team_id: str, channel_id: str, *, total: int, now: datetime
) -> Subscription | None:
    """Move a channel one lesson ahead without posting (compare-and-set, retried on a race)."""
    for _ in range(5):
        current = await get(engine, team_id, channel_id)
        if current is None:
            return None
        position, season = curriculum.advance(current.next_lesson, current.season, total)
        async with writing(engine) as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.id == current.id,
                    subscriptions.c.next_lesson == current.next_lesson,
                    subscriptions.c.season == current.season,
                )
                .values(next_lesson=position, season=season, updated_at=now)
            )
        if result.rowcount == 1:
            return await get(engine, team_id, channel_id)
    raise RuntimeError("subscription kept changing; try again")


async def suspend_teams(
    engine: AsyncEngine, team_ids: list[str], *, reason: str, now: datetime
) -> list[Subscription]:
    """Suspend every active subscription of these workspaces at once; the ones suspended."""
    if not team_ids:
        return []
    where = (subscriptions.c.team_id.in_(team_ids), subscriptions.c.status == ACTIVE)
    async with engine.begin() as conn:
        rows = (await conn.execute(select(subscriptions).where(*where))).all()
        await conn.execute(
            update(subscriptions)
            .where(*where)
            .values(status=SUSPENDED, status_reason=reason, updated_at=now)
        )
    return [Subscription.from_row(r) for r in rows]


async def resume_teams(
    engine: AsyncEngine, team_ids: list[str], *, reason: str, now: datetime
) -> int:
    """Resume the subscriptions of these workspaces suspended for `reason` (weeks that fell
    due meanwhile are not owed); how many."""
    if not team_ids:
        return 0
    statement = (
        update(subscriptions)
        .where(
            subscriptions.c.team_id.in_(team_ids),
            subscriptions.c.status == SUSPENDED,
            subscriptions.c.status_reason == reason,
        )
        .values(status=ACTIVE, status_reason=None, updated_at=now, effective_from=now)
    )
    async with engine.begin() as conn:
        result = await conn.execute(statement)
    return int(result.rowcount or 0)
