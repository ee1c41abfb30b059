"""The lesson scheduler: APScheduler 3 jobs rebuilt from the database, beside `serve`.

The database is the source of truth. Each active subscription gets a CronTrigger job in its
own time zone (`digest:<team>:<channel>`, day names, never numbers) that runs a pass for that
channel; a periodic sweep re-reads subscriptions (so channels subscribed through another
replica get their job) and runs a full pass, which also retries failed posts. A catch-up pass
runs at start for posts that fell due while the bot was down. Duplicates between replicas or
with `mlops-bot digest run` are prevented by the delivery claim, not by the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest import Digest
from bot.services import Services
from bot.store import subscriptions
from bot.store.subscriptions import Subscription

logger = logging.getLogger(__name__)

SWEEP_JOB = "digest:sweep"
CATCH_UP_JOB = "digest:catch-up"
JOB_PREFIX = "digest:"
# A weekly post that is hours late is still wanted (APScheduler's default grace is 1 s).
MISFIRE_GRACE = int(timedelta(hours=6).total_seconds())
STOP_TIMEOUT = 30.0


def job_id(team_id: str, channel_id: str) -> str:
    return f"{JOB_PREFIX}{team_id}:{channel_id}"


def trigger_for(sub: Subscription) -> CronTrigger:
    schedule = sub.schedule
    return CronTrigger(
        day_of_week=schedule.day,
        hour=schedule.at.hour,
        minute=schedule.at.minute,
        timezone=schedule.zone,
    )


class DigestScheduler:
    """Owns the AsyncIOScheduler and the jobs derived from subscriptions."""

    def __init__(self, services: Services, digest: Digest | None = None) -> None:
        self.services = services
        self.digest = digest or Digest(services)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "misfire_grace_time": MISFIRE_GRACE,
                "coalesce": True,
                "max_instances": 1,
            },
        )
        self._running: set[asyncio.Task[Any]] = set()

    # -- jobs -------------------------------------------------------------------------------
    async def _guarded(self, name: str, work: Callable[[], Awaitable[object]]) -> None:
        """Every job runs through here: exceptions are logged, never lost in the executor."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failing job must be reported and must not kill the scheduler
            logger.exception("scheduled job %s failed", name)
        finally:
            if task is not None:
                self._running.discard(task)

    async def channel_job(self, team_id: str, channel_id: str) -> None:
        await self._guarded(
            job_id(team_id, channel_id),
            lambda: self.digest.run_pass(self.services.clock(), only=(team_id, channel_id)),
        )

    async def sweep_job(self) -> None:
        async def sweep() -> None:
            await self.sync()
            await self.digest.run_pass(self.services.clock())

        await self._guarded(SWEEP_JOB, sweep)

    def _schedule(self, sub: Subscription) -> None:
        self.scheduler.add_job(
            self.channel_job,
            trigger_for(sub),
            args=[sub.team_id, sub.channel_id],
            id=job_id(sub.team_id, sub.channel_id),
            name=f"weekly lesson for {sub.channel_id}",
            replace_existing=True,
        )

    def _same_trigger(self, sub: Subscription) -> bool:
        job = self.scheduler.get_job(job_id(sub.team_id, sub.channel_id))
        return job is not None and str(job.trigger) == str(trigger_for(sub))

    async def sync(self) -> None:
        """Make the channel jobs match the active subscriptions in the database."""
        wanted: dict[str, Subscription] = {}
        for sub in await subscriptions.list_all(self.services.engine):  # type: ignore[arg-type]
            if sub.active:
                wanted[job_id(sub.team_id, sub.channel_id)] = sub
        for job in self.scheduler.get_jobs():
            internal = job.id in (SWEEP_JOB, CATCH_UP_JOB)
            if job.id.startswith(JOB_PREFIX) and not internal and job.id not in wanted:
                job.remove()
        for sub in wanted.values():
            if not self._same_trigger(sub):
                self._schedule(sub)

    async def sync_channel(self, team_id: str, channel_id: str) -> None:
        """Update one channel's job right after a command changed its subscription."""
        sub = await subscriptions.get(self.services.engine, team_id, channel_id)  # type: ignore[arg-type]
        if sub is not None and sub.active:
            self._schedule(sub)
        elif self.scheduler.get_job(job_id(team_id, channel_id)):
            self.scheduler.remove_job(job_id(team_id, channel_id))

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        self.scheduler.start()
        await self.sync()
        self.scheduler.add_job(
            self.sweep_job,
            IntervalTrigger(seconds=self.services.settings.digest_sweep_seconds),
            id=SWEEP_JOB,
            name="digest sweep",
            replace_existing=True,
        )
        # Catch up with posts that fell due while the bot was down (runs as soon as possible).
        self.scheduler.add_job(
            self.sweep_job, id=CATCH_UP_JOB, name="digest catch-up", replace_existing=True
        )

    async def stop(self) -> None:
        """Let running passes finish (bounded), then shut the scheduler down."""
        if self.scheduler.running:
            self.scheduler.pause()
        pending = [t for t in self._running if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


@asynccontextmanager
async def lesson_scheduler(services: Services) -> AsyncIterator[DigestScheduler]:
    """BACKGROUND entry for `serve`: start the scheduler, stop it before the database closes."""
    scheduler = DigestScheduler(services)
    await scheduler.start()
    services.scheduler = scheduler
    try:
        yield scheduler
    finally:
        services.scheduler = None
        await scheduler.stop()
