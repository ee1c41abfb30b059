"""`/mlops admin`: per-workspace moderators and review channel, with the environment's as
defaults, through the signed endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.catalog import Catalog
from bot.features.admin import moderators, review_channel
from bot.store import installs as store
from tests.conftest import BotServer, boot_bot
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_suggestions import ADMIN, Env, Starter, start  # noqa: F401

OWNER, MOD, NOBODY = "UOWNER", "UMOD", "UNOBODY"


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    fake_slack.users[OWNER] = {"is_owner": True}
    async with boot_bot(
        tmp_path, catalog, fake_slack, admins="UENV", review_channel="CENV"
    ) as server:
        yield server


def said(answer: dict[str, Any]) -> str:
    return str(answer.get("text")) + str(answer.get("blocks"))


async def test_a_workspace_owner_adds_a_moderator_from_slacks_mention_escape(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    answer = await bot.slash(f"admin add <@{MOD}|mo>", user_id=OWNER)
    assert f"<@{MOD}> is now a moderator" in said(answer)
    assert [c.args["user"] for c in fake_slack.calls_to("users.info")] == [OWNER]
    # The first list a workspace sets starts from MLOPS_ADMINS, so nobody loses the right.
    assert await moderators(bot.services, "T111") == {MOD, "UENV"}
    row = await store.get(bot.services.engine, "T111")
    assert row is not None and row.moderators == ("UENV", MOD)


async def test_people_who_are_neither_admins_nor_moderators_are_refused(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    answer = await bot.slash(f"admin add <@{NOBODY}>", user_id=NOBODY)
    assert "Only workspace admins, owners and moderators" in said(answer)
    assert await store.get(bot.services.engine, "T111") is None


async def test_a_moderator_may_administer_without_asking_slack(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    answer = await bot.slash("admin add <@UNEW|new>", user_id="UENV")
    assert "<@UNEW> is now a moderator" in said(answer)
    answer = await bot.slash("admin remove <@UENV>", user_id="UNEW")
    assert "<@UENV> is no longer a moderator" in said(answer)
    assert await moderators(bot.services, "T111") == {"UNEW"}
    answer = await bot.slash("admin remove <@UNEW>", user_id="UNEW")
    assert "the only moderator" in said(answer)
    assert fake_slack.calls_to("users.info") == []


async def test_review_channel_from_slacks_channel_escape_and_per_workspace_defaults(
    bot: BotServer,
) -> None:
    answer = await bot.slash("admin review-channel <#CREV|ml-review>", user_id=OWNER)
    assert "reviewed in <#CREV>" in said(answer)
    assert await review_channel(bot.services, "T111") == "CREV"
    # Another workspace has set nothing: the environment's defaults hold there.
    assert await review_channel(bot.services, "T222") == "CENV"
    assert await moderators(bot.services, "T222") == {"UENV"}
    answer = await bot.slash("admin", user_id=OWNER)
    assert "Review channel: <#CREV>" in said(answer) and "<@UENV>" in said(answer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("admin add bob", "Mention the person"),
        ("admin add <#C1|general>", "Mention the person"),
        ("admin review-channel <@U1>", "Mention the channel"),
        ("admin promote <@U1>", "/mlops admin add @person"),
    ],
)
async def test_what_is_not_a_person_or_channel_is_explained(
    bot: BotServer, text: str, expected: str
) -> None:
    assert expected in said(await bot.slash(text, user_id=OWNER))


async def test_suggestions_go_to_the_workspaces_own_review_channel_and_moderators(
    start: Starter,  # noqa: F811
) -> None:
    env: Env = await start()
    await env.bot.slash("admin review-channel <#CTEAM|team-review>", user_id=ADMIN)
    await env.bot.slash("admin add <@UMOD2>", user_id=ADMIN)
    await env.suggest(env.pages.url("/post") + " serving")
    assert env.fake.posted("CTEAM") and not env.fake.posted("CREVIEW")
    pending = await env.bot.slash("suggestions", user_id="UMOD2")
    assert "waiting for review" in said(pending)
