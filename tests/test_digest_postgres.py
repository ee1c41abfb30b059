"""Two digest passes racing over one PostgreSQL database (MLOPS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.catalog import Catalog
from bot.core.search import SearchIndex
from bot.services import Services
from bot.slack.gateway import SlackGateway, build_client
from bot.store.engine import async_url, upgrade
from tests.conftest import POSTGRES_URL, make_settings
from tests.digest_helpers import assert_exactly_once, digest, subscribe
from tests.fakes.slack_api import FakeSlack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="set MLOPS_TEST_POSTGRES_URL to run PostgreSQL"),
]


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    """A fresh schema for this test, dropped afterwards; the public schema is never touched."""
    assert POSTGRES_URL is not None
    name = f"t_digest_{secrets.token_hex(4)}"
    admin = create_async_engine(async_url(POSTGRES_URL))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()


def _engine(schema: str) -> AsyncEngine:
    assert POSTGRES_URL is not None
    return create_async_engine(
        async_url(POSTGRES_URL), connect_args={"server_settings": {"search_path": schema}}
    )


def _services(tmp_path: Path, fake: FakeSlack, catalog: Catalog, engine: AsyncEngine) -> Services:
    settings = make_settings(tmp_path, fake.api_url)
    return Services(
        settings=settings,
        catalog=catalog,
        index=SearchIndex.build(catalog),
        engine=engine,
        slack=SlackGateway(build_client("xoxb-test", fake.api_url)),
    )


async def test_two_concurrent_passes_over_postgres(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, pg_schema: str
) -> None:
    channels = [f"C{n:02d}" for n in range(20)]
    fake_slack.delays["chat.postMessage"] = 0.005
    first, second = _engine(pg_schema), _engine(pg_schema)
    try:
        await upgrade(first)
        one = _services(tmp_path, fake_slack, catalog, first)
        two = _services(tmp_path, fake_slack, catalog, second)
        start = datetime(2025, 3, 1, tzinfo=UTC)
        for channel in channels:
            await subscribe(one, channel, "mon", "10:00", "Europe/Berlin", start)
        now = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
        reports = await asyncio.gather(digest(one).run_pass(now), digest(two).run_pass(now))
        again = await digest(two).run_pass(now)
    finally:
        await first.dispose()
        await second.dispose()
    assert sum(len(r.posted) for r in reports) == len(channels)
    assert again.due == 0
    assert_exactly_once(fake_slack, channels)
