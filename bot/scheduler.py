"""The one APScheduler 3 instance: every job runs through one wrapper that reports errors.

Features declare their jobs (`Feature.jobs`) and may add or remove jobs while running (the
weekly lesson of each channel, `bot.features.lessons`). The database stays the source of
truth: jobs are rebuilt from it at start, and exactly-once comes from claims in the
database, never from hoping that only one replica runs a scheduler.

Built (not started) by the lifespan for every command, so handlers can always update jobs;
only `serve` starts it. Tests call job functions directly instead of waiting on the clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from typing import Any

from apscheduler.job import Job as ScheduledJob
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

logger = logging.getLogger(__name__)

# A weekly post that is hours late is still wanted (APScheduler's default grace is 1 s).
MISFIRE_GRACE = int(timedelta(hours=6).total_seconds())
STOP_TIMEOUT = 30.0


class JobScheduler:
    """Owns the AsyncIOScheduler; `start` inside the running loop, `stop` before the DB closes."""

    def __init__(self) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "misfire_grace_time": MISFIRE_GRACE,
                "coalesce": True,
                "max_instances": 1,
            },
        )
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    async def run_guarded(self, name: str, work: Callable[[], Awaitable[object]]) -> None:
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

    def put(
        self,
        job_id: str,
        work: Callable[..., Awaitable[object]],
        trigger: BaseTrigger | None = None,
        *,
        args: tuple[Any, ...] = (),
        name: str = "",
    ) -> None:
        """Add or replace a job (no trigger: run once, as soon as the scheduler runs)."""

        async def guarded(*job_args: Any) -> None:
            await self.run_guarded(job_id, lambda: work(*job_args))

        self.scheduler.add_job(
            guarded,
            trigger,
            args=list(args),
            id=job_id,
            name=name or job_id,
            replace_existing=True,
        )

    def get(self, job_id: str) -> ScheduledJob | None:
        return self.scheduler.get_job(job_id)

    def remove(self, job_id: str) -> None:
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    def jobs(self) -> list[ScheduledJob]:
        return list(self.scheduler.get_jobs())

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        """Let running jobs finish (bounded), then shut the scheduler down."""
        if self.scheduler.running:
            self.scheduler.pause()
        pending = [t for t in self._running if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
