"""The suggestions repository on SQLite and (with MLOPS_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.suggestions import Suggestion
from bot.core.urls import normalise_url
from bot.store import suggestions as suggestion_store
from bot.store.engine import async_url, create_engine, upgrade
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        await upgrade(eng)
        yield eng
        await eng.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("set MLOPS_TEST_POSTGRES_URL to run PostgreSQL")
    name = f"t_suggest_{secrets.token_hex(4)}"
    admin = create_async_engine(async_url(POSTGRES_URL))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    eng = create_async_engine(
        async_url(POSTGRES_URL), connect_args={"server_settings": {"search_path": name}}
    )
    try:
        await upgrade(eng)
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()


def suggestion(url: str, topics: tuple[str, ...] = ("serving",), note: str = "") -> Suggestion:
    return Suggestion(url=url, url_key=normalise_url(url), topics=topics, note=note)


async def add(engine: AsyncEngine, url: str, user: str = "U1", now: datetime = NOW) -> int:
    return await suggestion_store.add_suggestion(
        engine,
        suggestion(url, note="a note"),
        team_id="T1",
        user_id=user,
        channel_id="C1",
        title="A title",
        fetch_ok=True,
        now=now,
    )


async def test_the_same_url_is_stored_once_even_when_racing(engine: AsyncEngine) -> None:
    urls = ["https://example.org/a", "https://www.example.org/a/", "http://EXAMPLE.org/a#x"] * 3
    results = await asyncio.gather(
        *(add(engine, u, f"U{i}") for i, u in enumerate(urls)), return_exceptions=True
    )
    stored = [r for r in results if isinstance(r, int)]
    assert len(stored) == 1
    assert all(
        isinstance(r, suggestion_store.DuplicateSuggestion) for r in results if r not in stored
    )
    row = await suggestion_store.find_by_url(engine, suggestion(urls[1]).url_hash)
    assert row is not None and row.id == stored[0]


async def test_one_decision_wins(engine: AsyncEngine) -> None:
    sid = await add(engine, "https://example.org/a")
    outcomes = await asyncio.gather(
        *(
            suggestion_store.decide(engine, sid, approve=i % 2 == 0, moderator=f"UM{i}", now=NOW)
            for i in range(8)
        )
    )
    assert outcomes.count(True) == 1
    row = await suggestion_store.get(engine, sid)
    assert row is not None and row.decided_by == f"UM{outcomes.index(True)}"


async def test_limit_counting_and_pending_list(engine: AsyncEngine) -> None:
    await add(engine, "https://example.org/old", now=NOW - timedelta(days=2))
    await add(engine, "https://example.org/a", now=NOW - timedelta(hours=3))
    await add(engine, "https://example.org/b", user="U2")
    assert await suggestion_store.count_since(engine, "U1", NOW - timedelta(days=1)) == 1
    rows, total = await suggestion_store.pending(engine, limit=2)
    assert total == 3 and [r.url for r in rows] == [
        "https://example.org/old",
        "https://example.org/a",
    ]
    assert rows[0].created_at == NOW - timedelta(days=2)


async def test_approved_since_carries_topics_and_note(engine: AsyncEngine) -> None:
    first = await add(engine, "https://example.org/a")
    second = await add(engine, "https://example.org/b")
    await suggestion_store.decide(
        engine, first, approve=True, moderator="UM", now=NOW, new_resource_id="community-1-a"
    )
    await suggestion_store.decide(
        engine, second, approve=False, moderator="UM", now=NOW, reason="no"
    )
    [resource] = await suggestion_store.approved_since(engine, NOW - timedelta(minutes=1))
    assert resource.id == "community-1-a" and resource.community
    assert resource.topics == ("serving",)
    assert resource.summary == "Suggested by the team: a note"
    # A `since` in another time zone means the same instant.
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    assert await suggestion_store.approved_since(engine, berlin - timedelta(minutes=1)) == [
        resource
    ]
    assert await suggestion_store.approved_since(engine, NOW) == []
    assert await suggestion_store.approved_since(engine, None) == [resource]
