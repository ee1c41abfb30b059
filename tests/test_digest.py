"""The weekly digest pass against the loopback fake Slack: local times, exactly once, catch-up,
restarts, concurrent passes, Slack errors. Every assertion checks what Slack received."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.catalog import Catalog
from bot.digest import EVENT_TYPE, KIND_LESSON
from bot.store import deliveries, subscriptions
from tests.digest_helpers import (
    TEAM,
    Sleeps,
    assert_exactly_once,
    context_text,
    digest,
    digest_services,
    header_of,
    lesson_roots,
    questions,
    subscribe,
)
from tests.fakes.slack_api import FakeSlack

T0 = datetime(2025, 3, 1, tzinfo=UTC)  # a Saturday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_three_zones_each_get_their_lesson_at_local_time_once(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    zones = {
        "CNY": ("thu", "14:30", "America/New_York"),  # crosses the 9 March DST change
        "CBER": ("tue", "09:00", "Europe/Berlin"),
        "CTYO": ("mon", "08:00", "Asia/Tokyo"),
    }
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        for channel, (day, hhmm, tz) in zones.items():
            await subscribe(services, channel, day, hhmm, tz, T0)
        runner = digest(services)
        first_post: dict[str, list[datetime]] = {c: [] for c in zones}
        now = T0
        while now < T0 + timedelta(days=15):
            before = {c: len(lesson_roots(fake_slack, c)) for c in zones}
            await runner.run_pass(now)
            for channel in zones:
                if len(lesson_roots(fake_slack, channel)) > before[channel]:
                    first_post[channel].append(now)
            now += timedelta(minutes=30)

    expected_local = {"CNY": "Thu 14:30", "CBER": "Tue 09:00", "CTYO": "Mon 08:00"}
    for channel, (_day, _hhmm, tz) in zones.items():
        from zoneinfo import ZoneInfo

        locals_ = [p.astimezone(ZoneInfo(tz)).strftime("%a %H:%M") for p in first_post[channel]]
        assert locals_ == [expected_local[channel]] * 2, (channel, locals_)
        roots = lesson_roots(fake_slack, channel)
        assert [header_of(r).split(":")[0] for r in roots] == [
            "MLOps lesson 1 of 52",
            "MLOps lesson 2 of 52",
        ]
        assert len(questions(fake_slack, channel)) == 2
    # New York's two posts are an hour apart in UTC: 19:30 before DST, 18:30 after.
    assert [p.strftime("%H:%M") for p in first_post["CNY"]] == ["19:30", "18:30"]


async def test_post_has_lesson_resources_and_question_in_thread(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        report = await digest(services).run_pass(utc(2025, 3, 3, 10))
    assert report.posted == [f"{TEAM}:C1:2025-W10"]
    root = lesson_roots(fake_slack, "C1")[0]
    lesson = catalog.lessons[0]
    assert header_of(root) == f"MLOps lesson 1 of 52: {lesson.title}"
    assert root["metadata"]["event_type"] == EVENT_TYPE
    assert root["metadata"]["event_payload"]["delivery_key"] == f"{TEAM}:C1:2025-W10"
    sections = "\n".join(b["text"]["text"] for b in root["blocks"] if b["type"] == "section")
    for item in lesson.resources:
        resource = catalog.resource(item.id)
        assert resource is not None and f"<{resource.url}|" in sections
    reply = questions(fake_slack, "C1")[0]
    assert reply["thread_ts"] == root["ts"]
    assert lesson.question in reply["blocks"][0]["text"]["text"]


async def test_second_week_opens_with_last_weeks_recap_and_permalink(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        runner = digest(services)
        await runner.run_pass(utc(2025, 3, 3, 10))
        first = lesson_roots(fake_slack, "C1")[0]
        assert first["blocks"][0]["type"] == "header"  # nothing to recap in the first week
        for n in range(12):
            fake_slack.add_message("C1", f"answer {n}", thread_ts=first["ts"], user=f"U{n % 4}")
        await runner.run_pass(utc(2025, 3, 10, 10, 1))
    second = lesson_roots(fake_slack, "C1")[1]
    recap = second["blocks"][0]["text"]["text"]
    assert "12 replies from 4 people" in recap  # the bot's question and quiz do not count
    link = f"https://fake.slack.com/archives/C1/p{first['ts'].replace('.', '')}|Lesson 1: "
    assert link in recap  # from chat.getPermalink, not built by hand
    assert fake_slack.calls_to("chat.getPermalink")[0].args["message_ts"] == first["ts"]


async def test_restart_and_repeated_runs_post_nothing_twice(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    now = utc(2025, 3, 3, 10, 5)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        for channel in ("C1", "C2", "C3"):
            await subscribe(services, channel, "mon", "10:00", "UTC", T0)
        await digest(services).run_pass(now)
        await digest(services).run_pass(now + timedelta(hours=1))
    async with digest_services(tmp_path, fake_slack, catalog) as services:  # a restart
        report = await digest(services).run_pass(now + timedelta(hours=2))
    assert report.due == 0
    assert_exactly_once(fake_slack, ["C1", "C2", "C3"])
    assert len(fake_slack.calls_to("chat.postMessage")) == 9  # lesson, question, quiz × 3


async def test_catch_up_after_downtime_posts_once_within_the_week(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        # The bot was down from Sunday to Wednesday: Monday's lesson is made up on start.
        runner = digest(services)
        await runner.run_pass(utc(2025, 3, 5, 12))
        await runner.run_pass(utc(2025, 3, 5, 13))
        assert len(lesson_roots(fake_slack, "C1")) == 1
        # Down for two whole weeks: only the latest week is owed, with the next lesson.
        await runner.run_pass(utc(2025, 3, 19, 12))
        await runner.run_pass(utc(2025, 3, 19, 13))
    roots = lesson_roots(fake_slack, "C1")
    assert [header_of(r).split(":")[0] for r in roots] == [
        "MLOps lesson 1 of 52",
        "MLOps lesson 2 of 52",
    ]


async def test_after_the_last_lesson_a_new_season_starts(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        for _ in range(51):
            assert services.engine is not None
            await subscriptions.skip(services.engine, TEAM, "C1", total=52, now=T0)
        runner = digest(services)
        await runner.run_pass(utc(2025, 3, 3, 10))
        await runner.run_pass(utc(2025, 3, 10, 10))
    last, first_again = lesson_roots(fake_slack, "C1")
    assert header_of(last).startswith("MLOps lesson 52 of 52")
    assert header_of(first_again).startswith("MLOps lesson 1 of 52")
    assert "Season 2 starts today" in context_text(first_again)


async def test_two_concurrent_passes_on_one_sqlite_file(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    channels = [f"C{n:02d}" for n in range(20)]
    fake_slack.delays["chat.postMessage"] = 0.005
    async with digest_services(tmp_path, fake_slack, catalog) as one:
        for channel in channels:
            await subscribe(one, channel, "mon", "10:00", "UTC", T0)
        async with digest_services(tmp_path, fake_slack, catalog) as two:
            assert one.engine is not two.engine
            now = utc(2025, 3, 3, 10)
            reports = await asyncio.gather(digest(one).run_pass(now), digest(two).run_pass(now))
    assert sum(len(r.posted) for r in reports) == len(channels)
    assert_exactly_once(fake_slack, channels)


async def test_rate_limit_is_waited_out_with_retry_after(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    sleeps = Sleeps()
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        report = await digest(services, sleeps).run_pass(utc(2025, 3, 3, 10))
    assert report.posted and not report.failed
    assert 7.0 in sleeps.waits
    assert len(fake_slack.calls_to("chat.postMessage")) == 4  # 429, root, question, quiz
    assert_exactly_once(fake_slack, ["C1"])


async def test_server_error_is_checked_against_history_then_retried(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        report = await digest(services).run_pass(utc(2025, 3, 3, 10))
    assert report.posted and not report.failed
    history = fake_slack.calls_to("conversations.history")
    assert history and str(history[0].args.get("include_all_metadata")) in ("1", "true")
    assert_exactly_once(fake_slack, ["C1"])


async def test_persistent_server_errors_fail_then_a_later_pass_retries(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("chat.postMessage", status=503, times=4)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        runner = digest(services)
        first = await runner.run_pass(utc(2025, 3, 3, 10))
        assert first.failed and not lesson_roots(fake_slack, "C1")
        assert services.engine is not None
        row = await deliveries.find(services.engine, TEAM, "C1", "2025-W10")
        assert row is not None and row.status == deliveries.FAILED
        again = await runner.run_pass(utc(2025, 3, 3, 10, 30))
        assert again.posted
    assert_exactly_once(fake_slack, ["C1"])
    assert header_of(lesson_roots(fake_slack, "C1")[0]).startswith("MLOps lesson 1 of 52")


async def test_archived_channel_is_suspended_and_others_unaffected(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("chat.postMessage", error="is_archived")
    async with digest_services(tmp_path, fake_slack, catalog, digest_concurrency=1) as services:
        for channel in ("C1", "C2", "C3"):
            await subscribe(services, channel, "mon", "10:00", "UTC", T0)
        runner = digest(services)
        report = await runner.run_pass(utc(2025, 3, 3, 10))
        assert report.suspended == [("C1", "is_archived")]
        assert services.engine is not None
        sub = await subscriptions.get(services.engine, TEAM, "C1")
        assert sub is not None and sub.status == "suspended" and sub.status_reason == "is_archived"
        # Later passes leave the suspended channel alone.
        await runner.run_pass(utc(2025, 3, 3, 11))
        assert len(fake_slack.calls_to("chat.postMessage")) == 7  # refused + 2 × 3
        # Re-subscribing resumes it with the lesson it never got.
        await subscribe(services, "C1", "mon", "10:00", "UTC", utc(2025, 3, 4))
        await runner.run_pass(utc(2025, 3, 10, 10))
    assert_exactly_once(fake_slack, ["C1"])
    assert header_of(lesson_roots(fake_slack, "C1")[0]).startswith("MLOps lesson 1 of 52")
    for channel in ("C2", "C3"):
        assert [header_of(r)[:20] for r in lesson_roots(fake_slack, channel)] == [
            "MLOps lesson 1 of 52",
            "MLOps lesson 2 of 52",
        ]


async def test_unfinished_claim_of_a_dead_process_is_reconciled_not_reposted(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """A crash right after Slack accepted the lesson: the next pass finds it by metadata."""
    now = utc(2025, 3, 3, 10)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        sub = await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        assert services.engine is not None
        from bot.core.schedule import last_occurrence

        occurrence = last_occurrence(sub.schedule, now)
        dead = "elsewhere:1:1:dead"
        row = await deliveries.claim(
            services.engine, sub, occurrence, lesson_order=1, now=now, claimer=dead
        )
        assert row is not None
        # What the dead process had managed to post before it died:
        key = row.key
        fake_slack.messages["C1"].append(
            {
                "ts": "1741000000.000001",
                "channel": "C1",
                "text": "lesson",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x"}}],
                "thread_ts": None,
                "metadata": {
                    "event_type": EVENT_TYPE,
                    "event_payload": {"delivery_key": key, "kind": KIND_LESSON},
                },
            }
        )
        runner = digest(services)
        held = await runner.run_pass(now + timedelta(minutes=1))  # the lease still holds
        assert held.due == 0 and not held.posted
        report = await runner.run_pass(now + timedelta(minutes=6))  # lease expired
        assert report.posted == [key]
        done = await deliveries.find(services.engine, TEAM, "C1", row.week_key)
        assert done is not None and done.status == deliveries.DONE
        assert done.message_ts == "1741000000.000001"
    assert_exactly_once(fake_slack, ["C1"])


async def test_new_from_the_community_lists_resources_approved_since_last_week(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    from bot.store.schema import suggestions

    async def approve(n: int, at: datetime) -> None:
        assert services.engine is not None
        async with services.engine.begin() as conn:
            await conn.execute(
                suggestions.insert().values(
                    team_id=TEAM, user_id="U1", url=f"https://example.org/{n}",
                    url_key=f"example.org/{n}", url_hash=f"{n:064d}", title=f"<Post {n}>",
                    fetch_ok=True, topics="serving", note="", status="approved",
                    created_at=at, decided_at=at, resource_id=f"community-{n}",
                )
            )  # fmt: skip

    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        await approve(1, utc(2025, 2, 1))  # before the subscription: not news here
        runner = digest(services)
        await runner.run_pass(utc(2025, 3, 3, 10))
        await approve(2, utc(2025, 3, 5))
        await runner.run_pass(utc(2025, 3, 10, 10))

    def sections(message: dict) -> str:  # type: ignore[type-arg]
        return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")

    first, second = lesson_roots(fake_slack, "C1")
    assert "New from the community" not in sections(first)
    text = sections(second)
    assert "New from the community" in text
    assert "<https://example.org/2|&lt;Post 2&gt;>" in text and "example.org/1" not in text
