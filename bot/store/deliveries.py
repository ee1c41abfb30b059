"""Deliveries repository: the exactly-once record of one weekly lesson in one channel.

A pass *claims* (team, channel, week key) by inserting a row; the unique constraint makes the
insert fail for everyone else, whichever process or database connection they use. A claim
whose owner died (its lease ran out, or its process is gone from this host) or that failed is
taken over with a compare-and-set on (status, claimed_by, attempts), so exactly one process
wins it. Progress is recorded step by step (posted → done) under the same compare-and-set, so
a process that lost its claim stops writing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import curriculum
from bot.core.schedule import Occurrence
from bot.store.engine import writing
from bot.store.schema import deliveries, subscriptions
from bot.store.subscriptions import SUSPENDED, Subscription, as_utc

CLAIMED = "claimed"
POSTED = "posted"
DONE = "done"
FAILED = "failed"
ABANDONED = "abandoned"

# How long a claim protects an unfinished delivery before another process may take it over.
LEASE = timedelta(minutes=5)
# A failed delivery is retried after attempts × this (capped), so a broken channel is not hammered.
RETRY_STEP = timedelta(minutes=1)
RETRY_CAP = timedelta(minutes=30)


def _pid_namespace() -> str:
    with contextlib.suppress(OSError):
        link = os.readlink("/proc/self/ns/pid")
        return "".join(ch for ch in link if ch.isdigit())[:12]
    return "0"


def new_claimer() -> str:
    """An id for this process's claims: host, pid namespace, pid and a random tag."""
    host = socket.gethostname()[:20].replace(":", "-")
    return f"{host}:{_pid_namespace()}:{os.getpid()}:{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claimer_is_dead(claimed_by: str) -> bool:
    """True only when the claim comes from a process on this host that no longer exists."""
    parts = claimed_by.split(":")
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, pid_ns, pid = parts[0], parts[1], int(parts[2])
    if host != socket.gethostname()[:20].replace(":", "-") or pid_ns != _pid_namespace():
        return False
    return pid != os.getpid() and not _pid_alive(pid)


@dataclass(frozen=True)
class Delivery:
    id: int
    team_id: str
    channel_id: str
    week_key: str
    due_at: datetime
    lesson_order: int
    position: int
    season: int
    status: str
    claimed_by: str
    claimed_at: datetime
    attempts: int
    message_ts: str | None
    reply_ts: str | None
    last_error: str | None
    completed_at: datetime | None

    @property
    def key(self) -> str:
        """The delivery key carried in the Slack message metadata."""
        return f"{self.team_id}:{self.channel_id}:{self.week_key}"

    @property
    def finished(self) -> bool:
        return self.status in (DONE, ABANDONED)

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        values = dict(row._mapping)
        for name in ("due_at", "claimed_at", "completed_at"):
            values[name] = as_utc(values[name])
        return cls(**values)


def delivery_key(team_id: str, channel_id: str, week_key: str) -> str:
    return f"{team_id}:{channel_id}:{week_key}"


def may_take_over(row: Delivery, now: datetime, lease: timedelta = LEASE) -> bool:
    """Whether a pass at `now` may take this delivery over from its current owner."""
    if row.status in (DONE, ABANDONED):
        return False
    if row.status == FAILED:
        wait = min(RETRY_STEP * max(row.attempts, 1), RETRY_CAP)
        return row.claimed_at + wait <= now
    return row.claimed_at + lease <= now or claimer_is_dead(row.claimed_by)


def _mine(row: Delivery) -> Any:
    return and_(
        deliveries.c.id == row.id,
        deliveries.c.claimed_by == row.claimed_by,
        deliveries.c.attempts == row.attempts,
        deliveries.c.status == row.status,
    )


async def find(
    engine: AsyncEngine, team_id: str, channel_id: str, week_key: str
) -> Delivery | None:
    query = select(deliveries).where(
        deliveries.c.team_id == team_id,
        deliveries.c.channel_id == channel_id,
        deliveries.c.week_key == week_key,
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return Delivery.from_row(row) if row else None


async def since(engine: AsyncEngine, due_after: datetime) -> list[Delivery]:
    """Every delivery due after `due_after` (a pass prefetches the current week's rows)."""
    query = select(deliveries).where(deliveries.c.due_at > due_after)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Delivery.from_row(r) for r in rows]


async def for_channel(
    engine: AsyncEngine, team_id: str, channel_id: str, limit: int = 60
) -> list[Delivery]:
    """A channel's deliveries, newest first."""
    query = (
        select(deliveries)
        .where(deliveries.c.team_id == team_id, deliveries.c.channel_id == channel_id)
        .order_by(deliveries.c.due_at.desc(), deliveries.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Delivery.from_row(r) for r in rows]


async def previous_posted(
    engine: AsyncEngine, team_id: str, channel_id: str, before_week: str
) -> Delivery | None:
    """The channel's latest posted lesson other than week `before_week`."""
    for row in await for_channel(engine, team_id, channel_id, limit=10):
        if row.week_key != before_week and row.message_ts:
            return row
    return None


async def claim(
    engine: AsyncEngine,
    subscription: Subscription,
    occurrence: Occurrence,
    *,
    lesson_order: int,
    now: datetime,
    claimer: str,
    lease: timedelta = LEASE,
) -> Delivery | None:
    """Claim the subscription's lesson for the occurrence's week; None when someone else has
    it or it is finished. A taken-over claim keeps its lesson and progress."""
    values = {
        "team_id": subscription.team_id,
        "channel_id": subscription.channel_id,
        "week_key": occurrence.week_key,
        "due_at": occurrence.at,
        "lesson_order": lesson_order,
        "position": subscription.next_lesson,
        "season": subscription.season,
        "status": CLAIMED,
        "claimed_by": claimer,
        "claimed_at": now,
        "attempts": 1,
    }
    try:
        async with writing(engine) as conn:
            result = await conn.execute(deliveries.insert().values(**values))
            new_id = result.inserted_primary_key[0]  # type: ignore[index]
    except IntegrityError:
        pass
    else:
        return Delivery(
            id=int(new_id),
            message_ts=None,
            reply_ts=None,
            last_error=None,
            completed_at=None,
            **values,  # type: ignore[arg-type]
        )
    existing = await find(
        engine, subscription.team_id, subscription.channel_id, occurrence.week_key
    )
    if existing is None or not may_take_over(existing, now, lease):
        return None
    taken = replace(
        existing,
        status=POSTED if existing.message_ts else CLAIMED,
        claimed_by=claimer,
        claimed_at=now,
        attempts=existing.attempts + 1,
    )
    async with writing(engine) as conn:
        result = await conn.execute(
            update(deliveries)
            .where(_mine(existing))
            .values(
                status=taken.status,
                claimed_by=claimer,
                claimed_at=now,
                attempts=taken.attempts,
            )
        )
    return taken if result.rowcount == 1 else None


async def mark_posted(
    engine: AsyncEngine, row: Delivery, message_ts: str, *, total: int
) -> Delivery | None:
    """Record the root message and move the channel to its next lesson, atomically.

    Returns the updated delivery, or None when another process took the claim over meanwhile.
    """
    position, season = curriculum.advance(row.position, row.season, total)
    async with writing(engine) as conn:
        result = await conn.execute(
            update(deliveries).where(_mine(row)).values(status=POSTED, message_ts=message_ts)
        )
        if result.rowcount != 1:
            return None
        await conn.execute(
            update(subscriptions)
            .where(
                subscriptions.c.team_id == row.team_id,
                subscriptions.c.channel_id == row.channel_id,
                subscriptions.c.next_lesson == row.position,
                subscriptions.c.season == row.season,
            )
            .values(next_lesson=position, season=season)
        )
    return replace(row, status=POSTED, message_ts=message_ts)


async def mark_done(
    engine: AsyncEngine, row: Delivery, reply_ts: str, *, now: datetime
) -> Delivery | None:
    async with writing(engine) as conn:
        result = await conn.execute(
            update(deliveries)
            .where(_mine(row))
            .values(status=DONE, reply_ts=reply_ts, completed_at=now, last_error=None)
        )
    if result.rowcount != 1:
        return None
    return replace(row, status=DONE, reply_ts=reply_ts, completed_at=now)


async def mark_failed(
    engine: AsyncEngine,
    row: Delivery,
    error: str,
    *,
    now: datetime,
    permanent: bool = False,
) -> bool:
    """Record a failure: retried on a later pass, or (permanent) the channel is suspended."""
    async with writing(engine) as conn:
        result = await conn.execute(
            update(deliveries)
            .where(_mine(row))
            .values(status=ABANDONED if permanent else FAILED, last_error=error[:500])
        )
        if result.rowcount != 1:
            return False
        if permanent:
            await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.team_id == row.team_id,
                    subscriptions.c.channel_id == row.channel_id,
                )
                .values(status=SUSPENDED, status_reason=error[:200], updated_at=now)
            )
    return True
