"""The APScheduler side: jobs built from the database, catch-up at start, command updates.

Jobs are inspected through `get_jobs()` and `next_run_time`, and run by calling the job
functions directly with a controlled clock — never by waiting on the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine

from bot.core.catalog import Catalog
from bot.core.schedule import next_occurrence
from bot.features import lessons
from bot.features.lessons import CATCH_UP_JOB, SWEEP_JOB, Lessons, weekly_job_id
from bot.router import CommandRequest
from tests.conftest import boot_bot
from tests.digest_helpers import assert_exactly_once, subscribe
from tests.fakes.slack_api import FakeSlack

T0 = datetime(2025, 3, 1, tzinfo=UTC)


async def test_jobs_follow_subscriptions_in_their_zones(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with boot_bot(tmp_path, catalog, fake_slack, http=False) as first:
        subs = [
            await subscribe(first.services, "CNY", "thu", "14:30", "America/New_York", T0),
            await subscribe(first.services, "CBER", "sun", "02:30", "Europe/Berlin", T0),
        ]
    with time_machine.travel(datetime(2025, 3, 5, 12, tzinfo=UTC), tick=False):
        # A restart rebuilds the jobs from the database.
        async with boot_bot(tmp_path, catalog, fake_slack, http=False, serve=True) as server:
            services = server.services
            services.scheduler.scheduler.pause()  # inspect only: no job may run in this test
            jobs = {job.id: job for job in services.scheduler.jobs()}
            assert SWEEP_JOB in jobs and CATCH_UP_JOB in jobs
            for sub in subs:
                job = jobs[weekly_job_id("T111", sub.channel_id)]
                assert job.args[1:] == ("T111", sub.channel_id)
                assert "day_of_week='" + sub.day + "'" in str(job.trigger)
                expected = next_occurrence(sub.schedule, datetime.now(UTC))
                if sub.channel_id == "CNY":
                    assert job.next_run_time == expected.at
                assert job.trigger.timezone.key == sub.tz
            assert jobs[SWEEP_JOB].trigger.interval.total_seconds() == 60
            # A command in this process updates the jobs at once.
            commands = Lessons(services)
            request = CommandRequest(text="", team_id="T111", channel_id="CNY", user_id="U222")
            await commands.pause(request, "")
            assert services.scheduler.get(weekly_job_id("T111", "CNY")) is None
            await commands.subscribe(
                CommandRequest(text="", team_id="T111", channel_id="CNEW"), "fri 08:00 UTC"
            )
            new = services.scheduler.get(weekly_job_id("T111", "CNEW"))
            assert new is not None
            assert new.next_run_time == datetime(2025, 3, 7, 8, tzinfo=UTC)
    assert not fake_slack.posted()


async def test_catch_up_job_posts_what_fell_due_while_down(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    # Monday 10:00 Berlin passed while the bot was down; it starts on Tuesday.
    tuesday = datetime(2025, 3, 4, 8, tzinfo=UTC)
    async with boot_bot(
        tmp_path, catalog, fake_slack, http=False, clock=lambda: tuesday,
        digest_channel_interval=0,
    ) as server:  # fmt: skip
        for channel in ("C1", "C2"):
            await subscribe(server.services, channel, "mon", "10:00", "Europe/Berlin", T0)
        catch_up = next(
            job for f in server.bot.features for job in f.jobs if job.id == CATCH_UP_JOB
        )
        assert catch_up.every is None  # runs once, as soon as the scheduler starts
        await catch_up.run(server.services)
        assert len(fake_slack.calls_to("chat.postMessage")) == 6  # lesson, question, quiz × 2
        # The sweep finds nothing more to do.
        report = await lessons.sweep(server.services)
        assert report.due == 0 or not report.posted
    assert_exactly_once(fake_slack, ["C1", "C2"])
