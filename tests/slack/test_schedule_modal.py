"""The Schedule… modal through the signed endpoint: the button in `/mlops schedule`'s answer
opens it pre-filled (views.open), submitting it changes the schedule exactly as
`/mlops subscribe <day> <time> <zone>` does, and a bad input keeps it open with the message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.blocks import schedule as kit
from bot.core.catalog import Catalog
from bot.store import subscriptions
from tests.conftest import BotServer, boot_bot
from tests.fakes.signing import fixture, view_body
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_search_commands import buttons
from tests.slack.test_subscribe import text_of

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)  # a Wednesday


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW) as server:
        yield server


def schedule_submission(
    day: str, hhmm: str, zone: str, channel: str = "C111", user: str = "U222"
) -> str:
    """A view_submission as Slack sends it for these inputs: selects carry `selected_option`,
    the time picker `selected_time`."""
    payload = fixture("view_submission")
    payload["user"]["id"] = user
    payload["view"].update(
        callback_id=kit.SCHEDULE_CALLBACK,
        private_metadata=channel,
        state={
            "values": {
                kit.DAY_BLOCK: {
                    "value": {"type": "static_select", "selected_option": {"value": day}}
                },
                kit.TIME_BLOCK: {"value": {"type": "timepicker", "selected_time": hhmm}},
                kit.ZONE_BLOCK: {
                    "value": {"type": "static_select", "selected_option": {"value": zone}}
                },
            }
        },
    )
    return urlencode({"payload": json.dumps(payload)})


async def submit(bot: BotServer, body: str) -> dict[str, Any]:
    resp = await bot.post(body, "application/x-www-form-urlencoded")
    assert resp.status == 200
    raw = await resp.text()
    return json.loads(raw) if raw else {}


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


async def _open(bot: BotServer, user: str = "U222") -> dict[str, Any]:
    answer = await bot.slash("schedule", user_id=user)
    assert buttons(answer) == {kit.ACTION_SCHEDULE_OPEN: "C111"}
    before = len(bot.fake.calls_to("views.open"))
    assert (await bot.click(kit.ACTION_SCHEDULE_OPEN, "C111", user=user)).status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.open")) > before)
    return dict(bot.fake.calls_to("views.open")[-1].args["view"])


async def test_schedule_modal_round_trip_changes_the_stored_schedule(bot: BotServer) -> None:
    await bot.slash("subscribe tue 09:30 Europe/Berlin")
    view = await _open(bot)
    assert view["callback_id"] == kit.SCHEDULE_CALLBACK and view["private_metadata"] == "C111"
    assert len(view["blocks"]) <= 100
    assert _input(view, kit.DAY_BLOCK)["initial_option"]["value"] == "tue"
    assert _input(view, kit.TIME_BLOCK)["initial_time"] == "09:30"
    zone = _input(view, kit.ZONE_BLOCK)
    assert zone["initial_option"]["value"] == "Europe/Berlin" and len(zone["options"]) <= 100

    answer = await submit(bot, schedule_submission("thu", "14:30", "America/New_York"))
    assert answer["response_action"] == "update"
    shown = answer["view"]["blocks"][0]["text"]["text"]
    # The very words of `/mlops subscribe thursday 14:30 America/New_York`.
    assert "Schedule updated" in shown and "Thu 06 Mar 2025, 14:30 EST" in shown
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None and (row.day, row.time, row.tz) == ("thu", "14:30", "America/New_York")
    # The person's App Home is re-published with the new schedule.
    await bot.fake.wait_for(lambda: "U222" in bot.fake.home_views)
    assert "Thursdays at 14:30 (America/New_York)" in json.dumps(bot.fake.home_views["U222"])


async def test_a_channel_without_lessons_is_subscribed_in_it_not_by_the_form(
    bot: BotServer,
) -> None:
    assert (await bot.click(kit.ACTION_SCHEDULE_OPEN, "C777", user="U222")).status == 200
    await bot.fake.wait_for(lambda: bot.fake.responses)
    assert "run `/mlops subscribe` in it first" in text_of(bot.fake.responses[-1])
    assert not bot.fake.calls_to("views.open")
    answer = await submit(bot, schedule_submission("fri", "08:15", "UTC", channel="C777"))
    assert "run `/mlops subscribe` in it first" in answer["view"]["blocks"][0]["text"]["text"]
    assert await subscriptions.get(bot.services.engine, "T111", "C777") is None


async def test_an_uncommon_zone_is_offered_first(bot: BotServer) -> None:
    await bot.slash("subscribe wed 07:00 Pacific/Chatham")
    options = _input(await _open(bot), kit.ZONE_BLOCK)["options"]
    assert options[0]["value"] == "Pacific/Chatham" and len(options) <= 100


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        (
            ("thu", "14:30", "Mars/Olympus"),
            kit.ZONE_BLOCK,
            "“Mars/Olympus” is not a time zone I know.",
        ),
        (("funday", "14:30", "UTC"), kit.DAY_BLOCK, "is not a day, a time or a time zone"),
        (("thu", "25:00", "UTC"), kit.TIME_BLOCK, "is not a time"),
        (("14:30", "14:30", "UTC"), kit.DAY_BLOCK, "“14:30” is not a day."),
    ],
)
async def test_invalid_input_keeps_the_modal_open(
    bot: BotServer, values: tuple[str, str, str], block: str, message: str
) -> None:
    await bot.slash("subscribe tue 09:30 Europe/Berlin")
    before = await subscriptions.get(bot.services.engine, "T111", "C111")
    answer = await submit(bot, schedule_submission(*values))
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block] and message in answer["errors"][block]
    assert await subscriptions.get(bot.services.engine, "T111", "C111") == before


async def test_plain_text_values_work_too(bot: BotServer) -> None:
    """The shape tests/fakes/signing.view_body sends (a text value per block)."""
    await bot.slash("subscribe")
    body = view_body(
        kit.SCHEDULE_CALLBACK,
        {kit.DAY_BLOCK: "sat", kit.TIME_BLOCK: "11:00", kit.ZONE_BLOCK: "asia/tokyo"},
        private_metadata="C111",
    )
    assert (await submit(bot, body))["response_action"] == "update"
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None and (row.day, row.time, row.tz) == ("sat", "11:00", "Asia/Tokyo")


async def test_someone_who_may_not_change_it_is_told_who_can(bot: BotServer) -> None:
    await bot.slash("subscribe tue 09:30 Europe/Berlin")
    assert (await bot.click(kit.ACTION_SCHEDULE_OPEN, "C111", user="U333")).status == 200
    await bot.fake.wait_for(lambda: bot.fake.responses)
    assert "Only <@U222>" in text_of(bot.fake.responses[-1])
    assert not bot.fake.calls_to("views.open")
    # A forged submission is refused the same way and changes nothing.
    answer = await submit(bot, schedule_submission("thu", "14:30", "UTC", user="U333"))
    assert "Only <@U222>" in answer["view"]["blocks"][0]["text"]["text"]
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None and row.day == "tue"
