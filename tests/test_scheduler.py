"""The APScheduler side: jobs built from the database, catch-up at start, command updates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine

from bot.core.catalog import Catalog
from bot.core.schedule import next_occurrence
from bot.digest import Digest
from bot.features.lessons import Lessons
from bot.router import CommandRequest
from bot.scheduler import CATCH_UP_JOB, SWEEP_JOB, DigestScheduler, job_id
from tests.digest_helpers import Sleeps, assert_exactly_once, digest_services, subscribe
from tests.fakes.slack_api import FakeSlack

T0 = datetime(2025, 3, 1, tzinfo=UTC)


async def test_jobs_follow_subscriptions_in_their_zones(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        subs = [
            await subscribe(services, "CNY", "thu", "14:30", "America/New_York", T0),
            await subscribe(services, "CBER", "sun", "02:30", "Europe/Berlin", T0),
        ]
        with time_machine.travel(datetime(2025, 3, 5, 12, tzinfo=UTC), tick=False):
            scheduler = DigestScheduler(services, Digest(services, sleep=Sleeps()))
            await scheduler.start()
            try:
                scheduler.scheduler.pause()  # inspect only: no job may run in this test
                jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
                assert SWEEP_JOB in jobs and CATCH_UP_JOB in jobs
                for sub in subs:
                    job = jobs[job_id("T111", sub.channel_id)]
                    assert job.args == ("T111", sub.channel_id)
                    assert "day_of_week='" + sub.day + "'" in str(job.trigger)
                    expected = next_occurrence(sub.schedule, datetime.now(UTC))
                    if sub.channel_id == "CNY":
                        assert job.next_run_time == expected.at
                    assert job.trigger.timezone.key == sub.tz
                assert jobs[SWEEP_JOB].trigger.interval.total_seconds() == 60
                # A command in this process updates the jobs at once.
                services.scheduler = scheduler
                lessons = Lessons(services)
                request = CommandRequest(text="", team_id="T111", channel_id="CNY")
                await lessons.pause(request, "")
                assert scheduler.scheduler.get_job(job_id("T111", "CNY")) is None
                await lessons.subscribe(
                    CommandRequest(text="", team_id="T111", channel_id="CNEW"), "fri 08:00 UTC"
                )
                new = scheduler.scheduler.get_job(job_id("T111", "CNEW"))
                assert new is not None
                assert new.next_run_time == datetime(2025, 3, 7, 8, tzinfo=UTC)
            finally:
                await scheduler.stop()
    assert not fake_slack.posted()


async def test_start_catches_up_a_post_missed_while_down(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        for channel in ("C1", "C2"):
            await subscribe(services, channel, "mon", "10:00", "Europe/Berlin", T0)
        # Monday 10:00 Berlin passed while the bot was down; it starts on Tuesday.
        with time_machine.travel(datetime(2025, 3, 4, 8, tzinfo=UTC), tick=True):
            scheduler = DigestScheduler(services, Digest(services, sleep=Sleeps()))
            await scheduler.start()
            try:
                await fake_slack.wait_for(
                    lambda: len(fake_slack.calls_to("chat.postMessage")) >= 4, timeout=10
                )
                # The sweep finds nothing more to do.
                await scheduler.sweep_job()
            finally:
                await scheduler.stop()
    assert_exactly_once(fake_slack, ["C1", "C2"])
