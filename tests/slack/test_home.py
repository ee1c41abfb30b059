"""App Home through the signed endpoint: app_home_opened publishes the person's view
(views.publish), within 100 blocks for any number of channels and suggestions; Show more,
Read it, Search… and a moderator's Approve/Reject from Home, which re-publishes it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import home as kit
from bot.blocks import schedule as schedule_kit
from bot.blocks import suggestions as suggestion_blocks
from bot.core import suggestions as suggestion_rules
from bot.core.catalog import Catalog
from bot.core.schedule import Schedule
from bot.store import subscriptions
from bot.store import suggestions as suggestion_store
from tests.conftest import BotServer, boot_bot
from tests.fakes.signing import view_body
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_search_commands import all_text

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)
ADA, BOB, MOD = "U222", "U333", "UMOD"
HOME = {"container": {"type": "view", "view_id": "VHOME"}, "channel": None, "response_url": ""}


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW, admins=MOD) as server:
        yield server


async def _subscribe(bot: BotServer, channel: str, user: str, day: str = "tue") -> None:
    await subscriptions.subscribe(
        bot.services.engine,
        team_id="T111",
        channel_id=channel,
        user_id=user,
        is_dm=channel.startswith("D"),
        schedule=Schedule(day, time(9, 30), "Europe/Berlin"),
        now=NOW,
    )


async def _suggest(bot: BotServer, n: int) -> None:
    for i in range(n):
        suggestion = suggestion_rules.parse_suggestion(
            f"https://example.org/post-{i} serving note {i}", bot.services.catalog.topics
        )
        await suggestion_store.add_suggestion(
            bot.services.engine, suggestion, team_id="T111", user_id=BOB, channel_id="C111",
            title=f"Post {i}", fetch_ok=True, now=NOW,
        )  # fmt: skip


async def open_home(bot: BotServer, user: str, event_id: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
    assert (await bot.event(event, event_id)).status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.publish")) > before)
    call = bot.fake.calls_to("views.publish")[-1]
    assert call.args["user_id"] == user
    return dict(call.args["view"])


async def click_in_home(bot: BotServer, action_id: str, value: str, user: str) -> None:
    assert (await bot.click(action_id, value, user=user, extra=HOME)).status == 200


def home_buttons(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(action_id, value, label) of every button in a view, in order."""
    found = []
    for block in view["blocks"]:
        elements = list(block.get("elements") or []) if block["type"] == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        found += [
            (e["action_id"], e.get("value", ""), e["text"]["text"])
            for e in elements
            if e.get("type") == "button"
        ]
    return found


async def test_app_home_opened_publishes_the_view_within_100_blocks(bot: BotServer) -> None:
    for n in range(30):
        await _subscribe(bot, f"C{n:03d}", ADA if n % 3 == 0 else BOB)
    await _subscribe(bot, "D222", ADA, day="fri")
    await _suggest(bot, 25)

    view = await open_home(bot, MOD, "EvHome1")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = all_text(view)
    assert "Weekly lessons in this workspace (30)" in text
    assert "Suggestions waiting for review (25)" in text
    assert "Tuesdays at 09:30 (Europe/Berlin)" in text and "Next post: Tue 11 Mar 2025" in text
    assert "lesson 1 of 52" in text
    assert "D222" not in text  # someone else's personal digest is not shown
    actions = home_buttons(view)
    approve = [v for a, v, _ in actions if a == suggestion_blocks.ACTION_APPROVE]
    assert len(approve) == kit.SUGGESTIONS_PER_PAGE
    assert sum(a == schedule_kit.ACTION_SCHEDULE_OPEN for a, _, _ in actions) == 5  # moderator
    pages = {label: value for a, value, label in actions if a == kit.ACTION_HOME_PAGE}
    assert set(pages) == {"Show more channels", "Show more suggestions"}
    assert "Top searched topics this month" in text  # moderators see the stats

    # Show more, page after page, stays within the limit and reaches the end.
    seen: set[str] = set()
    value = pages["Show more channels"]
    for _ in range(10):
        before = len(bot.fake.calls_to("views.publish"))
        await click_in_home(bot, kit.ACTION_HOME_PAGE, value, MOD)
        await bot.fake.wait_for(lambda n=before: len(bot.fake.calls_to("views.publish")) > n)
        page = bot.fake.calls_to("views.publish")[-1].args["view"]
        assert len(page["blocks"]) <= 100
        seen |= {v for a, v, _ in home_buttons(page) if a == schedule_kit.ACTION_SCHEDULE_OPEN}
        more = {lbl: v for a, v, lbl in home_buttons(page) if a == kit.ACTION_HOME_PAGE}
        if "Show more channels" not in more:
            break
        value = more["Show more channels"]
    assert len(seen) == 25  # pages 2-6 of 30 channels
    assert "◀ Previous channels" in more


async def test_a_members_home_shows_their_digest_and_what_they_may_change(
    bot: BotServer,
) -> None:
    await _subscribe(bot, "C001", ADA)
    await _subscribe(bot, "C002", BOB)
    await _subscribe(bot, "D222", ADA, day="fri")
    await _suggest(bot, 3)
    view = await open_home(bot, ADA, "EvHome2")
    text = all_text(view)
    assert "Your personal digest" in text and "Fridays at 09:30 (Europe/Berlin)" in text
    assert "<#C001>" in text and "<#C002>" in text and "You subscribed it" in text
    assert "Suggestions waiting" not in text and "Top searched" not in text
    actions = home_buttons(view)
    schedule_buttons = [v for a, v, _ in actions if a == schedule_kit.ACTION_SCHEDULE_OPEN]
    assert schedule_buttons == ["D222", "C001"]  # not Bob's channel
    assert not [a for a, _, _ in actions if a == suggestion_blocks.ACTION_APPROVE]
    # Someone with no subscriptions at all still gets a useful Home.
    empty = await open_home(bot, "U999", "EvHome3")
    assert "Read it" in all_text(empty) and "Search…" in all_text(empty)


async def test_the_messages_tab_publishes_nothing(bot: BotServer) -> None:
    event = {"type": "app_home_opened", "user": ADA, "channel": "D222", "tab": "messages"}
    assert (await bot.event(event, "EvHome4")).status == 200
    await bot.slash("help")  # let the event's listener finish
    assert not bot.fake.calls_to("views.publish")


async def test_approve_and_reject_from_home_republish_it(bot: BotServer) -> None:
    await _suggest(bot, 2)
    view = await open_home(bot, MOD, "EvHome5")
    first, second = [v for a, v, _ in home_buttons(view) if a == suggestion_blocks.ACTION_APPROVE]
    before = len(bot.fake.calls_to("views.publish"))
    await click_in_home(bot, suggestion_blocks.ACTION_APPROVE, first, MOD)
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.publish")) > before)
    assert "Suggestions waiting for review (1)" in all_text(bot.fake.home_views[MOD])
    row = await suggestion_store.get(bot.services.engine, int(first))
    assert row is not None and row.status == "approved"

    await click_in_home(bot, suggestion_blocks.ACTION_REJECT, second, MOD)
    await bot.fake.wait_for(lambda: bot.fake.calls_to("views.open"))
    modal = bot.fake.calls_to("views.open")[-1].args["view"]
    before = len(bot.fake.calls_to("views.publish"))
    body = view_body(suggestion_blocks.REJECT_CALLBACK, {}, modal["private_metadata"], user=MOD)
    assert (await bot.post(body, "application/x-www-form-urlencoded")).status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.publish")) > before)
    assert "Suggestions waiting for review (0)" in all_text(bot.fake.home_views[MOD])


async def test_read_it_and_search_open_modals(bot: BotServer) -> None:
    await _subscribe(bot, "C001", ADA)
    view = await open_home(bot, ADA, "EvHome6")
    [(_, channel, _)] = [b for b in home_buttons(view) if b[0] == kit.ACTION_READ_LESSON]
    await click_in_home(bot, kit.ACTION_READ_LESSON, channel, ADA)
    await bot.fake.wait_for(lambda: bot.fake.calls_to("views.open"))
    lesson = bot.fake.calls_to("views.open")[-1].args["view"]
    assert lesson["type"] == "modal" and len(lesson["blocks"]) <= 100
    assert "MLOps lesson 1 of 52" in all_text(lesson)

    await click_in_home(bot, kit.ACTION_SEARCH, "search", ADA)
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.open")) == 2)
    search = bot.fake.calls_to("views.open")[-1].args["view"]
    assert search["callback_id"] == kit.SEARCH_CALLBACK
    body = view_body(kit.SEARCH_CALLBACK, {kit.QUERY_BLOCK: "model serving"}, user=ADA)
    resp = await bot.post(body, "application/x-www-form-urlencoded")
    answer = json.loads(await resp.text())
    assert answer["response_action"] == "update"
    assert len(answer["view"]["blocks"]) <= 100 and "serving" in all_text(answer["view"]).lower()
    assert not [b for b in answer["view"]["blocks"] if b["type"] == "actions"]
    empty = view_body(kit.SEARCH_CALLBACK, {kit.QUERY_BLOCK: " "}, user=ADA)
    resp = await bot.post(empty, "application/x-www-form-urlencoded")
    assert json.loads(await resp.text())["response_action"] == "errors"


async def test_a_channels_stats_button_is_for_moderators(bot: BotServer) -> None:
    from bot.blocks import stats as stats_kit

    await _subscribe(bot, "C001", ADA)
    view = await open_home(bot, MOD, "EvHome7")
    [channel] = [v for a, v, _ in home_buttons(view) if a == stats_kit.ACTION_CHANNEL_STATS]
    await click_in_home(bot, stats_kit.ACTION_CHANNEL_STATS, channel, MOD)
    await bot.fake.wait_for(lambda: bot.fake.calls_to("views.open"))
    modal = bot.fake.calls_to("views.open")[-1].args["view"]
    assert "No lessons were posted in <#C001>" in all_text(modal) and len(modal["blocks"]) <= 100
    # A forged click by someone else is answered (in their DM: Home has no response_url).
    await click_in_home(bot, stats_kit.ACTION_CHANNEL_STATS, channel, BOB)
    await bot.fake.wait_for(lambda: bot.fake.posted(BOB))
    assert "Only moderators" in all_text(bot.fake.posted(BOB)[-1])
    assert len(bot.fake.calls_to("views.open")) == 1
