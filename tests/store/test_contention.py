"""Concurrent writes on SQLite queue in-process (one writer at a time), never in SQLite's busy
handler, and never fail with "database is locked"; bench/contention.py measures the latency."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.store import subscriptions
from tests.conftest import boot_bot
from tests.fakes.slack_api import FakeSlack


def text_of(answer: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(
        str(b.get("text", {}).get("text", "")) for b in answer.get("blocks") or []
    ) or str(answer.get("text"))


async def test_sixteen_subscribes_at_once_all_succeed_without_locking_errors(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        for round_ in range(3):  # new channels, then the same ones re-subscribed twice
            day = ("mon", "tue", "wed")[round_]
            answers = await asyncio.gather(
                *(server.slash(f"subscribe {day} 09:30", channel_id=f"C{i:02d}") for i in range(16))
            )
            verb = "Subscribed" if round_ == 0 else "Schedule updated"
            assert all(verb in text_of(a) for a in answers), [text_of(a)[:60] for a in answers]
        rows = await subscriptions.list_all(server.services.engine)
        assert len(rows) == 16 and {r.day for r in rows} == {"wed"}
    assert "database is locked" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "bot" in r.name]


async def test_another_process_holding_the_write_lock_briefly_delays_but_does_not_fail(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    """`mlops-bot digest run` next to `serve`: a short write by another process is waited
    out by SQLite's busy timeout (BEGIN IMMEDIATE), well inside the answer budget."""
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        other = sqlite3.connect(tmp_path / "bot.db", check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, other.rollback)
        release.start()
        started = time.monotonic()
        answers = await asyncio.gather(
            *(server.slash("subscribe", channel_id=f"C{i:02d}") for i in range(4))
        )
        release.join()
        other.close()
        assert time.monotonic() - started < 2.5
        assert all("Subscribed" in text_of(a) for a in answers)
