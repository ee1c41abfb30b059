"""Who may change a channel's lessons, through the signed endpoint: its subscriber, moderators
and workspace admins/owners (users.info); anyone else is told who can. Viewing stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.store import subscriptions
from tests.conftest import BotServer, boot_bot
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_subscribe import text_of

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)
SUBSCRIBER, STRANGER, MODERATOR, ADMIN, OWNER = "U222", "U333", "UMOD", "UADMIN", "UOWNER"


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    fake_slack.users[ADMIN] = {"is_admin": True}
    fake_slack.users[OWNER] = {"is_owner": True, "is_primary_owner": True}
    async with boot_bot(
        tmp_path, catalog, fake_slack, clock=lambda: NOW, admins=f"{MODERATOR},UMOD2"
    ) as server:
        assert "subscribed" in text_of(await server.slash("subscribe", user_id=SUBSCRIBER)).lower()
        yield server


async def _status(bot: BotServer) -> str:
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None
    return row.status


async def test_a_non_subscriber_is_refused_and_told_who_can(bot: BotServer) -> None:
    for command in ("pause", "skip", "unsubscribe", "subscribe fri 08:00 UTC"):
        text = text_of(await bot.slash(command, user_id=STRANGER))
        assert "Only <@U222>, who subscribed it" in text, command
        assert "<@UMOD>, <@UMOD2>" in text and "workspace admin or owner" in text
        assert "Ask one of them" in text
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None and (row.status, row.day, row.next_lesson) == ("active", "mon", 0)
    # Viewing stays open.
    assert "Weekly MLOps lessons here" in text_of(await bot.slash("schedule", user_id=STRANGER))
    assert "lesson 1 of 52" in text_of(await bot.slash("lesson", user_id=STRANGER)).lower()
    # The same schedule again changes nothing and is not an error.
    same = text_of(await bot.slash("subscribe", user_id=STRANGER))
    assert "already gets a weekly MLOps lesson on Mondays at 10:00 (UTC)" in same


async def test_a_moderators_pause_is_accepted(bot: BotServer) -> None:
    assert "Paused" in text_of(await bot.slash("pause", user_id=MODERATOR))
    assert await _status(bot) == "paused"
    assert not bot.fake.calls_to("users.info")  # MLOPS_ADMINS is enough


@pytest.mark.parametrize("who", [ADMIN, OWNER])
async def test_a_workspace_admins_or_owners_pause_is_accepted(bot: BotServer, who: str) -> None:
    assert "Paused" in text_of(await bot.slash("pause", user_id=who))
    assert await _status(bot) == "paused"
    assert [c.args["user"] for c in bot.fake.calls_to("users.info")] == [who]
    assert "Resumed" in text_of(await bot.slash("resume", user_id=who))


async def test_the_subscriber_may_change_everything(bot: BotServer) -> None:
    assert "Paused" in text_of(await bot.slash("pause", user_id=SUBSCRIBER))
    assert "Resumed" in text_of(await bot.slash("resume", user_id=SUBSCRIBER))
    assert "Skipped" in text_of(await bot.slash("skip", user_id=SUBSCRIBER))
    assert "Schedule updated" in text_of(await bot.slash("subscribe tue", user_id=SUBSCRIBER))
    assert not bot.fake.calls_to("users.info")


async def test_users_info_failing_means_no_rights(bot: BotServer) -> None:
    bot.fake.fail_next("users.info", error="missing_scope")
    assert "Only <@U222>" in text_of(await bot.slash("pause", user_id=ADMIN))
    assert await _status(bot) == "active"


async def test_whoever_subscribes_an_unsubscribed_channel_becomes_its_subscriber(
    bot: BotServer,
) -> None:
    assert "Unsubscribed" in text_of(await bot.slash("unsubscribe", user_id=SUBSCRIBER))
    assert "✅" in text_of(await bot.slash("subscribe thu", user_id=STRANGER))
    row = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert row is not None and row.created_by == STRANGER and row.day == "thu"
    assert "Only <@U333>" in text_of(await bot.slash("pause", user_id=SUBSCRIBER))
