"""`/mlops subscribe|schedule|pause|resume|skip|lesson|unsubscribe` through the signed endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.store import subscriptions
from tests.conftest import BotServer, boot_bot
from tests.digest_helpers import Sleeps, digest, lesson_roots
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)  # a Wednesday


def text_of(answer: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(
        str(b.get("text", {}).get("text", "")) for b in answer.get("blocks") or []
    ) or str(answer.get("text"))


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW) as server:
        yield server


async def _row(bot: BotServer, channel: str = "C111") -> subscriptions.Subscription | None:
    assert bot.services.engine is not None
    return await subscriptions.get(bot.services.engine, "T111", channel)


async def test_subscribe_with_defaults_confirms_next_local_time(bot: BotServer) -> None:
    answer = await bot.slash("subscribe")
    assert answer["response_type"] == "ephemeral"
    text = text_of(answer)
    assert "Subscribed" in text and "Mondays at 10:00 (UTC)" in text
    assert "lesson 1 of 52" in text and "Mon 10 Mar 2025, 10:00 UTC" in text
    row = await _row(bot)
    assert row is not None and (row.day, row.time, row.tz, row.status) == (
        "mon",
        "10:00",
        "UTC",
        "active",
    )


async def test_resubscribe_updates_the_schedule(bot: BotServer) -> None:
    await bot.slash("subscribe")
    answer = await bot.slash("subscribe thursday 14:30 America/New_York")
    text = text_of(answer)
    assert "Schedule updated" in text and "Thu 06 Mar 2025, 14:30 EST" in text
    row = await _row(bot)
    assert row is not None and (row.day, row.time, row.tz) == ("thu", "14:30", "America/New_York")


@pytest.mark.parametrize("bad", ["funday", "25:00", "Mars/Olympus", "tue 9:99", "<!channel>"])
async def test_bad_schedule_is_explained_and_changes_nothing(bot: BotServer, bad: str) -> None:
    await bot.slash("subscribe tue 09:30 Europe/Berlin")
    before = await _row(bot)
    answer = await bot.slash(f"subscribe {bad}")
    text = text_of(answer)
    assert "/mlops subscribe thursday 14:30 America/New_York" in text
    assert "<!channel>" not in text
    assert await _row(bot) == before
    assert not bot.fake.posted()


async def test_schedule_shows_local_and_utc_times_and_a_dst_warning(bot: BotServer) -> None:
    await bot.slash("subscribe sun 02:30 America/New_York")
    text = text_of(await bot.slash("schedule"))
    assert "Sundays at 02:30 (America/New_York)" in text
    # Sun 9 March 2025 is the spring-forward day: 02:30 does not exist.
    assert "Sun 09 Mar 2025, 03:00 EDT (Sun 09 Mar 2025, 07:00 UTC)" in text
    assert "doesn't exist" in text and "spring forward" in text
    assert "lesson 1 of 52" in text


async def test_schedule_when_not_subscribed(bot: BotServer) -> None:
    text = text_of(await bot.slash("schedule"))
    assert "isn't subscribed" in text and "/mlops subscribe" in text


async def test_pause_resume_skip_unsubscribe(bot: BotServer) -> None:
    await bot.slash("subscribe")
    assert "Paused" in text_of(await bot.slash("pause"))
    assert (await _row(bot)).status == "paused"  # type: ignore[union-attr]
    assert "Paused" in text_of(await bot.slash("schedule"))
    assert "Resumed" in text_of(await bot.slash("resume"))
    assert "lesson 2 of 52" in text_of(await bot.slash("skip"))
    assert (await _row(bot)).next_lesson == 1  # type: ignore[union-attr]
    assert "Unsubscribed" in text_of(await bot.slash("unsubscribe"))
    assert (await _row(bot)).status == "unsubscribed"  # type: ignore[union-attr]
    assert "isn't subscribed" in text_of(await bot.slash("pause"))
    # Subscribing again keeps the place in the curriculum.
    assert "lesson 2 of 52" in text_of(await bot.slash("subscribe"))


async def test_lesson_commands(bot: BotServer) -> None:
    catalog = bot.services.catalog
    answer = await bot.slash("lesson 7")
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"].endswith(catalog.lessons[6].title)
    assert catalog.lessons[6].question in text_of(answer)
    current = await bot.slash("lesson")
    assert current["blocks"][0]["text"]["text"].endswith(catalog.lessons[0].title)
    for bad in ("99", "0", "seven"):
        assert "try `/mlops lesson 7`" in text_of(await bot.slash(f"lesson {bad}"))


async def test_dm_subscription_is_a_personal_digest(bot: BotServer) -> None:
    # Typed in a DM between two people, it still lands in the user's DM with the app ("D222").
    dm = {"channel_id": "D0PEOPLE", "channel_name": "directmessage"}
    answer = await bot.slash("subscribe fri 09:00 UTC", **dm)
    assert "personal digest" in text_of(answer)
    assert bot.fake.calls_to("conversations.open")[-1].args["users"] == "U222"
    assert await _row(bot, "D0PEOPLE") is None
    row = await _row(bot, "D222")
    assert row is not None and row.is_dm and row.day == "fri"
    assert "Fridays at 09:00" in text_of(await bot.slash("schedule", **dm))
    await digest(bot.services, Sleeps()).run_pass(datetime(2025, 3, 14, 9, tzinfo=UTC))
    assert len(lesson_roots(bot.fake, "D222")) == 1
    assert not lesson_roots(bot.fake, "D0PEOPLE")


async def test_archived_channel_shows_in_schedule_and_resubscribe_resumes(
    bot: BotServer,
) -> None:
    await bot.slash("subscribe wed 11:00")
    bot.fake.fail_next("chat.postMessage", error="is_archived")
    report = await digest(bot.services, Sleeps()).run_pass(datetime(2025, 3, 12, 11, tzinfo=UTC))
    assert report.suspended == [("C111", "is_archived")]
    assert not lesson_roots(bot.fake, "C111")
    text = text_of(await bot.slash("schedule"))
    assert "Suspended" in text and "is_archived" in text and "/mlops subscribe" in text
    assert "Resumed" not in text_of(await bot.slash("resume"))
    await bot.slash("subscribe wed 11:00")
    assert (await _row(bot)).status == "active"  # type: ignore[union-attr]
    await digest(bot.services, Sleeps()).run_pass(datetime(2025, 3, 19, 11, tzinfo=UTC))
    assert len(lesson_roots(bot.fake, "C111")) == 1


@pytest.mark.parametrize(
    "text", ["lesson ²", "lesson ①", "lesson Infinity", "lesson NaN", "lesson -3",
             "lesson " + "9" * 40, "lesson 99999999999999999999999", "lesson 1.5"],
)  # fmt: skip
async def test_odd_lesson_numbers_get_the_valid_range(bot: BotServer, text: str):
    answer = text_of(await bot.slash(text))
    assert "There are 52 lessons" in answer
    assert "went wrong" not in answer


async def test_lesson_number_in_another_script(bot: BotServer):
    answer = text_of(await bot.slash("lesson ٣"))
    assert "lesson 3 of 52: Data management" in answer
