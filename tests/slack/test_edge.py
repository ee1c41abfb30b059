"""The HTTP edge under hostile and broken requests: 401 before anything runs, 200 (never 500)
for verified nonsense, readiness that tells the truth, and a fake Slack that fails unknown
methods as Slack does."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import inspect

from bot.core.catalog import Catalog
from tests.conftest import BotServer, boot_bot
from tests.fakes.signing import signature, slash_body
from tests.fakes.slack_api import FakeSlack

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("timestamp", ["", "abc", "1e9", "-5", "１２３", "99999999999999999999"])
async def test_unverifiable_requests_get_401_and_nothing_is_sent(
    bot_server: BotServer, timestamp: str
):
    body = slash_body("serving", bot_server.fake.response_url("attacker"))  # type: ignore[union-attr]
    resp = await bot_server.http.post(  # type: ignore[union-attr]
        f"{bot_server.url}/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    assert resp.status == 401
    assert bot_server.fake.responses == []  # type: ignore[union-attr]


async def test_stale_or_wrongly_signed_requests_get_401(bot_server: BotServer):
    body = slash_body("serving", bot_server.fake.response_url())  # type: ignore[union-attr]
    old = int(time.time()) - 600
    stale = await bot_server.post(
        body,
        FORM,
        **{"X-Slack-Request-Timestamp": str(old), "X-Slack-Signature": signature(body, old)},
    )
    assert stale.status == 401
    wrong = await bot_server.post(body, FORM, **{"X-Slack-Signature": signature(body, 1, "nope")})
    assert wrong.status == 401
    garbage = await bot_server.post("payload=%7Bnot json", FORM, **{"X-Slack-Signature": "v0=x"})
    assert garbage.status == 401


@pytest.mark.parametrize(
    "body",
    [
        "payload=%7Bnot-json",
        urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}),
        urlencode({"payload": json.dumps({"type": "made_up_type"})}),
        urlencode({"payload": "[]"}),
        "",
    ],
)
async def test_verified_but_malformed_bodies_get_200_and_one_warning(
    bot_server: BotServer, body: str, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING):
        resp = await bot_server.post(body, FORM)
    assert resp.status == 200
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    assert bot_server.fake.responses == []  # type: ignore[union-attr]


async def test_readiness_reports_the_database_and_schema(bot_server: BotServer):
    assert (await bot_server.http.get(f"{bot_server.url}/readyz")).status == 200  # type: ignore[union-attr]
    assert (await bot_server.http.get(f"{bot_server.url}/healthz")).status == 200  # type: ignore[union-attr]


async def test_a_database_recreated_empty_is_migrated_again(tmp_path: Path, catalog: Catalog):
    fake = FakeSlack()
    async with fake, boot_bot(tmp_path, catalog, fake) as server:
        async with server.services.engine.begin() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            for table in tables:  # the database is recreated empty under the running bot
                await conn.exec_driver_sql(f"DROP TABLE {table}")
        ready = await server.http.get(f"{server.url}/readyz")  # type: ignore[union-attr]
        assert ready.status == 200, await ready.text()
        answer = await server.slash("subscribe mon 10:00 UTC")
        assert "Subscribed" in str(answer)


async def test_fake_slack_fails_unknown_methods_like_slack(fake_slack: FakeSlack):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{fake_slack.api_url}chat.postMesage", json={"channel": "C1"})
        assert await resp.json() == {"ok": False, "error": "unknown_method"}


async def test_a_failing_handler_logs_one_traceback_and_answers_kindly(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, caplog: pytest.LogCaptureFixture
):
    from bot import texts
    from bot.features import FEATURES
    from bot.router import Feature

    async def boom(services: object, request: object, args: str) -> object:
        raise RuntimeError("a bug")

    async def boom_button(services: object, action: object) -> object:
        raise RuntimeError("a bug in a button")

    broken = Feature(name="broken", commands={"boom": boom}, actions={"boom_button": boom_button})
    async with boot_bot(tmp_path, catalog, fake_slack, features=(*FEATURES, broken)) as server:
        with caplog.at_level(logging.INFO):
            answer = await server.slash("boom")
        assert texts.GENERIC_ERROR in json.dumps(answer)
        assert "a bug" not in json.dumps(answer)
        assert len([r for r in caplog.records if r.exc_info]) == 1
        caplog.clear()
        with caplog.at_level(logging.INFO):
            resp = await server.click("boom_button", "x")
            assert resp.status == 200
            await fake_slack.wait_for(lambda: fake_slack.responses)
        assert texts.GENERIC_ERROR in json.dumps(fake_slack.responses[-1])
        assert len([r for r in caplog.records if r.exc_info]) == 1


async def test_a_failed_mention_reply_is_logged_once_and_the_user_told(
    bot_server: BotServer, caplog: pytest.LogCaptureFixture
):
    fake = bot_server.fake
    assert fake is not None
    fake.fail_next("chat.postMessage", error="not_in_channel")
    event = {"type": "app_mention", "user": "U222", "text": "<@UBOT> serving", "ts": "1.5",
             "channel": "C999", "event_ts": "1.5"}  # fmt: skip
    with caplog.at_level(logging.INFO):
        resp = await bot_server.event(event, "EvMention1")
        assert resp.status == 200
        await fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    assert not [r for r in caplog.records if r.exc_info]
    assert len([r for r in caplog.records if "could not answer a mention" in r.getMessage()]) == 1
    told = fake.calls_to("chat.postEphemeral")[-1].args
    assert told["user"] == "U222" and "invite" in str(told["text"])
