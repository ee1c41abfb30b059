"""The quiz repository on SQLite and (with MLOPS_TEST_POSTGRES_URL) PostgreSQL: one answer per
person per question whatever the races, totals without user ids, one render per change."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store import quiz as store
from bot.store.deliveries import Delivery
from bot.store.engine import async_url, create_engine, upgrade
from tests.conftest import POSTGRES_URL

NOW = datetime(2025, 3, 3, 10, tzinfo=UTC)
WEEK = "2025-W10"


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
    name = f"t_quiz_{secrets.token_hex(4)}"
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


def delivery() -> Delivery:
    return Delivery(
        id=7, team_id="T1", channel_id="C1", week_key=WEEK, due_at=NOW, lesson_order=1,
        position=0, season=1, status="done", claimed_by="x", claimed_at=NOW, attempts=1,
        message_ts="1.1", reply_ts="1.2", last_error=None, completed_at=NOW,
    )  # fmt: skip


async def answer(
    engine: AsyncEngine, user: str, question: str, option: int, correct: bool, at: datetime = NOW
) -> int | None:
    return await store.record_answer(
        engine, team_id="T1", channel_id="C1", week_key=WEEK, question_id=question,
        user_id=user, option_index=option, correct=correct, now=at,
    )  # fmt: skip


async def test_the_last_answer_counts_and_totals_hold_no_user_ids(engine: AsyncEngine) -> None:
    assert await answer(engine, "UA", "q1", 0, False) is None
    assert await answer(engine, "UA", "q1", 2, True, NOW + timedelta(minutes=1)) == 0
    await answer(engine, "UB", "q1", 2, True)
    await answer(engine, "UC", "q1", 1, False)
    await answer(engine, "UA", "q2", 0, False)
    assert await store.participants(engine, "T1", "C1", WEEK) == 3
    assert await store.question_counts(engine, "T1", "C1", WEEK) == {
        "q1": (3, 2),
        "q2": (1, 0),
    }
    assert await store.answers_of(engine, "T1", "C1", WEEK, "UA") == {"q1": 2, "q2": 0}
    assert await store.participants(engine, "T1", "C2", WEEK) == 0  # another channel


async def test_racing_clicks_of_one_person_leave_one_answer(engine: AsyncEngine) -> None:
    await asyncio.gather(*(answer(engine, "UA", "q1", n % 3, n % 3 == 2) for n in range(12)))
    counts = await store.question_counts(engine, "T1", "C1", WEEK)
    assert counts["q1"][0] == 1
    assert await store.participants(engine, "T1", "C1", WEEK) == 1


async def test_the_quiz_post_is_recorded_once_and_one_render_wins(engine: AsyncEngine) -> None:
    first = await store.record_post(engine, delivery(), "1.3", now=NOW)
    again = await store.record_post(engine, delivery(), "9.9", now=NOW)
    assert again.id == first.id and again.message_ts == "1.3"
    assert (first.rendered_count, first.rendered_at) == (0, None)
    wins = await asyncio.gather(*(store.claim_render(engine, first, 3, now=NOW) for _ in range(5)))
    assert wins.count(True) == 1
    shown = await store.get_post(engine, first.id)
    assert shown is not None and shown.rendered_count == 3 and shown.rendered_at == NOW
    await store.release_render(engine, first, 3)  # Slack refused: the old count is current
    released = await store.get_post(engine, first.id)
    assert released is not None and released.rendered_count == 0
