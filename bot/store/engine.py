"""Engine creation (SQLite or PostgreSQL, async drivers) and forward-only migrations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store import schema

logger = logging.getLogger(__name__)


def async_url(database_url: str) -> str:
    """Map the URLs operators write (incl. Heroku's postgres://) to async-driver URLs."""
    url = database_url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported DATABASE_URL backend '{backend}' (use sqlite or postgresql)")


def create_engine(database_url: str) -> AsyncEngine:
    """Create the engine; SQLite gets WAL and a busy timeout so processes can share the file."""
    url = async_url(database_url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


Migration = Callable[[AsyncConnection], Awaitable[None]]


async def _v1_initial(conn: AsyncConnection) -> None:
    await conn.run_sync(schema.metadata.create_all)


# Append new steps; never edit a released one. Each runs once, in order, in a transaction.
MIGRATIONS: list[Migration] = [_v1_initial]


async def migrate(engine: AsyncEngine) -> int:
    """Bring the schema up to date, keeping existing data; return the version reached."""
    async with engine.begin() as conn:
        await conn.run_sync(schema.schema_version.create, checkfirst=True)
        if conn.dialect.name == "postgresql":
            # Serialise concurrent starters (two replicas booting at once).
            from sqlalchemy import text

            await conn.execute(text("SELECT pg_advisory_xact_lock(724001)"))
        rows = await conn.execute(select(schema.schema_version.c.version))
        done = {r[0] for r in rows}
        for number, step in enumerate(MIGRATIONS, start=1):
            if number in done:
                continue
            logger.info("applying schema migration %d", number)
            await step(conn)
            await conn.execute(
                insert(schema.schema_version).values(version=number, applied_at=datetime.now(UTC))
            )
    return len(MIGRATIONS)
