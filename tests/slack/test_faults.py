"""Faults of the database and Slack: every command is answered within Slack's 3 seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import texts
from bot.core.catalog import Catalog
from bot.router import CommandRequest
from tests.conftest import boot_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tcp_proxy import StallProxy

ANSWER_WITHIN = 2.5


def text_of(answer: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(
        str(b.get("text", {}).get("text", "")) for b in answer.get("blocks") or []
    ) or str(answer.get("text"))


@pytest.fixture
async def proxied_pg(pg_url: str) -> AsyncIterator[tuple[str, StallProxy]]:
    """The test's PostgreSQL database behind a proxy that can be switched to stall."""
    url = make_url(pg_url)
    async with StallProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port)
        yield through.render_as_string(hide_password=False), proxy


@pytest.mark.parametrize(
    "command",
    ["subscribe mon 10:00 UTC", "schedule", "suggest https://example.org/post serving"],
)
async def test_stalled_database_answers_in_time_and_writes_nothing(
    tmp_path: Path,
    fake_slack: FakeSlack,
    catalog: Catalog,
    proxied_pg: tuple[str, StallProxy],
    command: str,
) -> None:
    url, proxy = proxied_pg
    async with boot_bot(tmp_path, catalog, fake_slack, database_url=url) as server:
        if command.startswith("schedule"):
            await server.slash("subscribe mon 10:00 UTC")
        proxy.stall()
        started = time.monotonic()
        answer = await server.slash(command, channel_id="C777")
        took = time.monotonic() - started
        assert took < ANSWER_WITHIN, took
        assert texts.DATABASE_DOWN in text_of(answer)
        proxy.resume()
        async with server.services.engine.connect() as conn:
            subs = (
                await conn.execute(
                    text("SELECT count(*) FROM subscriptions WHERE channel_id = 'C777'")
                )
            ).scalar()
            sugg = (await conn.execute(text("SELECT count(*) FROM suggestions"))).scalar()
        assert (subs, sugg) == (0, 0)
        # The database is back: the next command works, in time.
        started = time.monotonic()
        again = await server.slash("subscribe mon 10:00 UTC", channel_id="C888")
        assert time.monotonic() - started < ANSWER_WITHIN
        assert "Subscribed" in text_of(again)


async def test_more_stalled_commands_than_connections_do_not_exhaust_the_pool(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, proxied_pg: tuple[str, StallProxy]
) -> None:
    """Each stalled command holds a connection; the engine's timeouts must give them all back
    (the pool has 20), or every command after the stall waits for a connection forever."""
    url, proxy = proxied_pg
    async with boot_bot(tmp_path, catalog, fake_slack, database_url=url) as server:
        await server.slash("schedule")  # a warm pool
        proxy.stall()
        answers = await asyncio.gather(
            *(server.slash("subscribe", channel_id=f"C9{i:02d}") for i in range(25))
        )
        assert all(texts.DATABASE_DOWN in text_of(a) for a in answers)
        proxy.resume()
        await asyncio.sleep(2.5)  # the engine's 2 s timeouts end the stalled clean-ups
        started = time.monotonic()
        again = await server.slash("subscribe mon 10:00 UTC", channel_id="C888")
        assert time.monotonic() - started < ANSWER_WITHIN
        assert "Subscribed" in text_of(again)


async def test_dm_subscribe_with_slack_slow_still_answers_in_time(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.delays["conversations.open"] = 5.0
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        started = time.monotonic()
        answer = await server.slash("subscribe", channel_id="D0USER", channel_name="directmessage")
        assert time.monotonic() - started < ANSWER_WITHIN
        assert text_of(answer) == texts.SLACK_SLOW
        assert server.services.engine is not None
        async with server.services.engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM subscriptions"))).scalar()
        assert count == 0
        # Slack answers again: the DM channel is opened once and remembered.
        fake_slack.delays.clear()
        answer = await server.slash("subscribe", channel_id="D0USER", channel_name="directmessage")
        assert "personal digest" in text_of(answer)
        await server.slash("schedule", channel_id="D0USER", channel_name="directmessage")
        assert len(fake_slack.calls_to("conversations.open")) == 2  # the slow one, then one


@pytest.mark.parametrize(
    ("channel", "info", "problem"),
    [
        ("G0PRIV", {"is_private": True, "is_member": False}, "private"),
        ("G0MPIM", {"is_mpim": True, "is_private": True, "is_member": False}, "group_dm"),
        ("C0ARCH", {"is_archived": True}, "archived"),
        ("C0READ", {"is_read_only": True, "is_member": False}, "read_only"),
    ],
)
async def test_subscribe_where_the_bot_cannot_post_says_how_to_fix_it(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, channel: str, info: dict, problem: str
) -> None:
    fake_slack.channels[channel] = info
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        answer = await server.slash("subscribe", channel_id=channel)
        assert text_of(answer) == texts.CANNOT_POST[problem]
        assert "Subscribed" not in text_of(answer)
        assert server.services.engine is not None
        async with server.services.engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM subscriptions"))).scalar()
        assert count == 0
    assert [c.args["channel"] for c in fake_slack.calls_to("conversations.info")] == [channel]


async def test_private_channel_slack_hides_from_the_bot_is_refused(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """Slack answers channel_not_found for a private channel the bot is not in."""
    fake_slack.fail_next("conversations.info", error="channel_not_found")
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        answer = await server.slash("subscribe", channel_id="G0HIDDEN")
    assert "/invite @MLOps" in text_of(answer) and "Subscribed" not in text_of(answer)


async def test_public_channel_without_membership_and_a_member_private_channel_subscribe(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.channels["C0PUB"] = {"is_member": False}  # chat:write.public covers it
    fake_slack.channels["G0IN"] = {"is_private": True, "is_member": True}
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        assert "Subscribed" in text_of(await server.slash("subscribe", channel_id="C0PUB"))
        assert "Subscribed" in text_of(await server.slash("subscribe", channel_id="G0IN"))


async def test_subscribe_when_slack_cannot_tell_subscribes_with_a_warning(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.fail_next("conversations.info", error="missing_scope")
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        answer = text_of(await server.slash("subscribe", channel_id="C0SCOPE"))
    assert "Subscribed" in answer and "missing_scope" in answer and "/invite @MLOps" in answer


async def test_console_subscribe_skips_the_posting_check(tmp_path: Path, catalog: Catalog):
    async with boot_bot(tmp_path, catalog, None, http=False) as server:
        reply = await server.bot.router.dispatch(CommandRequest("subscribe", source="console"))
    assert "Subscribed" in reply.text or "Subscribed" in str(reply.blocks)


def test_serve_with_the_database_down_retries_then_exits_1_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    from bot.cli import main

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name, value in {
        "DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/db",
        "MLOPS_DB_START_WAIT": "1",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "PORT": "0",
        "HOST": "127.0.0.1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    started = time.monotonic()
    assert main(["serve"]) == 1
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err.strip().splitlines()
    reasons = [line for line in err if line.startswith("mlops-bot serve:")]
    assert len(reasons) == 1 and "cannot open the database" in reasons[0], err
    assert "Traceback" not in "\n".join(err)
    attempts = [r for r in caplog.records if "database not reachable (attempt" in r.getMessage()]
    assert len(attempts) >= 1
    assert [r.getMessage().split(")")[0] for r in attempts] == [
        f"database not reachable (attempt {n}" for n in range(1, len(attempts) + 1)
    ]
    assert all(r.exc_info is None for r in attempts)
