"""DATABASE_URL forms operators write, and a schema that is created once and kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.app import lifespan
from bot.core.catalog import Catalog
from bot.store.engine import async_url, create_engine, head_revision, upgrade
from bot.store.events import claim_event
from bot.store.schema import processed_events
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///relative.db", "sqlite+aiosqlite:///relative.db"),
        ("sqlite:////absolute/path.db", "sqlite+aiosqlite:////absolute/path.db"),
        ("postgresql://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
    ],
)
def test_database_urls_choose_the_async_driver(given: str, expected: str):
    assert async_url(given) == expected


def test_unsupported_backend_is_refused_clearly():
    with pytest.raises(ValueError, match="unsupported DATABASE_URL backend 'mysql'"):
        async_url("mysql://x/y")


async def test_schema_is_created_on_first_start_and_data_survives_restarts(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'nested' / 'bot.db'}"
    engine = create_engine(url)
    assert await upgrade(engine) == head_revision()
    async with engine.begin() as conn:
        await conn.execute(
            insert(processed_events).values(event_id="Ev1", seen_at=datetime.now(UTC))
        )
    await engine.dispose()

    again = create_engine(url)
    assert await upgrade(again) == head_revision()
    async with again.connect() as conn:
        events = (await conn.execute(select(processed_events.c.event_id))).scalars().all()
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
    await again.dispose()
    assert events == ["Ev1"]
    assert mode == "wal"


async def test_start_up_forgets_event_ids_past_slacks_retry_window(
    tmp_path: Path, catalog: Catalog
):
    settings = make_settings(tmp_path)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    assert await claim_event(engine, "EvOld", now - timedelta(days=2))
    assert await claim_event(engine, "EvRecent", now - timedelta(minutes=5))
    await engine.dispose()
    async with lifespan(settings, slack=False, catalog=catalog) as bot:
        assert await claim_event(bot.services.engine, "EvOld")  # forgotten: claimable again
        assert not await claim_event(bot.services.engine, "EvRecent")  # still remembered


async def test_a_locked_sqlite_file_fails_a_write_in_two_seconds_not_thirty(tmp_path: Path):
    """Another process holding the write lock: the busy timeout is the statement budget."""
    import sqlite3
    import time

    from sqlalchemy.exc import OperationalError

    path = tmp_path / "bot.db"
    engine = create_engine(f"sqlite:///{path}")
    await upgrade(engine)
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await claim_event(engine, "Ev1")
    finally:
        other.rollback()
        other.close()
        await engine.dispose()
    assert time.monotonic() - started < 3.0


async def test_a_stalled_postgresql_fails_a_query_instead_of_hanging(pg_url: str):
    """Work outside a command's budget (the digest, the sweep) must end too: asyncpg's connect
    and command timeouts turn a database that stopped answering into an error."""
    import time

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tests.fakes.tcp_proxy import StallProxy

    url = make_url(pg_url)
    async with StallProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        engine = create_engine(url.set(port=proxy.port).render_as_string(hide_password=False))
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            proxy.stall()
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            # pre-ping on the stalled connection (2 s), then a new connection (2 s)
            assert time.monotonic() - started < 5.0
        finally:
            await engine.dispose()
