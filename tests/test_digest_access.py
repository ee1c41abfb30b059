"""Weekly posts whose outcome can't be confirmed, and Slack answers that mean the app lost
access: resolved within the week, never retried the same way every pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.core.schedule import last_occurrence
from bot.digest import UNCONFIRMED
from bot.store import deliveries, subscriptions
from tests.conftest import boot_bot
from tests.digest_helpers import (
    TEAM,
    assert_exactly_once,
    digest,
    digest_services,
    lesson_roots,
    questions,
    subscribe,
)
from tests.fakes.slack_api import FakeSlack

T0 = datetime(2025, 3, 1, tzinfo=UTC)  # a Saturday
DUE = datetime(2025, 3, 3, 10, tzinfo=UTC)  # Monday 10:00


def text_of(answer: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(
        str(b.get("text", {}).get("text", "")) for b in answer.get("blocks") or []
    ) or str(answer.get("text"))


@pytest.mark.parametrize("history_error", ["missing_scope", "not_in_channel", "invalid_cursor"])
async def test_uncertain_post_with_unreadable_history_is_posted_once_more(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, history_error: str
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500)
    fake_slack.fail_next("conversations.history", error=history_error)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        report = await digest(services).run_pass(DUE)
        assert report.posted and not report.failed and not report.suspended
    assert_exactly_once(fake_slack, ["C1"])


async def test_three_of_ten_channels_unreadable_all_get_their_lesson_in_one_pass(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """The probe's case: 3 of 10 channels lost their lesson for the week, nobody told."""
    channels = [f"C{i}" for i in range(10)]
    async with digest_services(tmp_path, fake_slack, catalog, digest_concurrency=1) as services:
        for channel in channels:
            await subscribe(services, channel, "mon", "10:00", "UTC", T0)
        # Channels go one at a time, 3 messages each (lesson, question, quiz): C0's, C2's and
        # C4's lessons answer 503 (each is posted again once, right after the history read fails).
        fake_slack.fail_next("chat.postMessage", status=503)
        fake_slack.fail_next("chat.postMessage", status=503, after=6)
        fake_slack.fail_next("chat.postMessage", status=503, after=6)
        fake_slack.fail_next("conversations.history", error="missing_scope", times=3)
        report = await digest(services).run_pass(DUE)
        assert len(report.posted) == 10 and not report.failed
        assert len(fake_slack.calls_to("conversations.history")) == 3
        assert len(fake_slack.calls_to("chat.postMessage")) == 33
    assert_exactly_once(fake_slack, channels)


async def test_uncertain_question_with_unreadable_thread_is_posted_once_more(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, after=1)  # the lesson goes through
    fake_slack.fail_next("conversations.replies", error="missing_scope")
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        report = await digest(services).run_pass(DUE)
        assert report.posted and not report.suspended
    assert_exactly_once(fake_slack, ["C1"])


async def test_uncertain_twice_and_unreadable_suspends_with_the_reason_in_schedule(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """Posting a third time could repeat the lesson: the subscription is suspended, the reason
    is shown in /mlops schedule, and later passes leave the channel alone."""
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    fake_slack.fail_next("conversations.history", error="missing_scope", times=2)
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: DUE) as server:
        services = server.services
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        runner = digest(services)
        report = await runner.run_pass(DUE)
        assert report.suspended == [("C1", f"{UNCONFIRMED} (missing_scope)")]
        assert len(fake_slack.calls_to("chat.postMessage")) == 2  # the first, and once more
        await runner.run_pass(DUE + timedelta(hours=1))
        assert len(fake_slack.calls_to("chat.postMessage")) == 2
        sub = await subscriptions.get(services.engine, TEAM, "C1")
        assert sub is not None and sub.status == subscriptions.SUSPENDED
        shown = text_of(await server.slash("schedule", channel_id="C1"))
        assert "Suspended" in shown and UNCONFIRMED in shown and "channels:history" in shown


async def test_taken_over_claim_with_unreadable_history_is_posted_once(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """A process died mid-post and the channel can't be read: post once, accepting the risk."""
    fake_slack.fail_next("conversations.history", error="missing_scope")
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        sub = await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        occurrence = last_occurrence(sub.schedule, DUE)
        row = await deliveries.claim(
            services.engine, sub, occurrence, lesson_order=1, now=DUE, claimer="elsewhere:1:1:x"
        )
        assert row is not None
        report = await digest(services).run_pass(DUE + timedelta(minutes=6))  # lease over
        assert report.posted == [row.key]
    assert_exactly_once(fake_slack, ["C1"])


@pytest.mark.parametrize(
    "code", ["invalid_auth", "account_inactive", "token_revoked", "missing_scope"]
)
async def test_lost_access_suspends_instead_of_retrying_every_pass(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, code: str
) -> None:
    fake_slack.fail_next("chat.postMessage", error=code)
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: DUE) as server:
        services = server.services
        await subscribe(services, "C1", "mon", "10:00", "UTC", T0)
        runner = digest(services)
        report = await runner.run_pass(DUE)
        assert report.suspended == [("C1", code)] and not report.failed
        for hours in (1, 2, 5):  # later passes (past any retry back-off) leave it alone
            await runner.run_pass(DUE + timedelta(hours=hours))
        assert len(fake_slack.calls_to("chat.postMessage")) == 1
        sub = await subscriptions.get(services.engine, TEAM, "C1")
        assert sub is not None and (sub.status, sub.status_reason) == ("suspended", code)
        shown = text_of(await server.slash("schedule", channel_id="C1"))
        assert "Suspended" in shown and code in shown
        # Fixed (reinstalled, scope added): subscribing again posts the lesson it missed.
        await server.slash("subscribe mon 10:00 UTC", channel_id="C1")
        again = await runner.run_pass(DUE + timedelta(hours=6))
        assert again.posted
    assert len(lesson_roots(fake_slack, "C1")) == 1 and len(questions(fake_slack, "C1")) == 1
