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
            # Every table, as a database recreated empty has none (link_checks came in 0003).
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            for table in tables:
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
