"""Engine creation (SQLite or PostgreSQL, async drivers) and Alembic upgrades at start-up."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

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


# Seconds to connect, and for one statement, unless the caller says otherwise: below Slack's
# 3 s, so a stalled database fails a command's work instead of holding it (and a pool slot).
DEFAULT_TIMEOUT = 2.0
# Migrations run by an operator (`mlops-bot db upgrade`, alembic) may take longer per statement.
MIGRATION_TIMEOUT = 120.0


def create_engine(
    database_url: str, *, timeout: float = DEFAULT_TIMEOUT, statement_timeout: float | None = None
) -> AsyncEngine:
    """Create the engine, bounded in time: connecting and waiting for the pool take at most
    `timeout` seconds, one statement `statement_timeout` (default: `timeout`).

    SQLite gets WAL and a busy timeout of the same length (so another process holding the
    write lock fails a command instead of holding it for half a minute); PostgreSQL gets
    asyncpg's connect and command timeouts, which also end the clean-up of a connection whose
    server stopped answering."""
    per_statement = statement_timeout if statement_timeout is not None else timeout
    url = async_url(database_url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": per_statement})
        busy_ms = int(per_statement * 1000)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # The driver's implicit BEGIN before the first write takes the write lock at once
            # (BEGIN IMMEDIATE), so a transaction never fails half-way upgrading its lock.
            dbapi_conn.isolation_level = "IMMEDIATE"

        _writer_locks[engine.sync_engine] = asyncio.Lock()
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=timeout,
        connect_args={"timeout": timeout, "command_timeout": per_statement},
    )


# SQLite has one writer at a time. Without an in-process queue, concurrent write transactions
# each wait in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and wakes
# late: sixteen subscribes at once took p99 ~0.5–0.9 s. An asyncio lock hands the write lock
# over the moment it is free (docs/benchmarks.md, benchmark 5).
_writer_locks: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction (`engine.begin()`); on SQLite one at a time in this process.

    Keep it short, and never open another one inside it (the lock is not re-entrant)."""
    lock = _writer_locks.get(engine.sync_engine)
    if lock is None:
        async with engine.begin() as conn:
            yield conn
        return
    async with lock, engine.begin() as conn:
        yield conn


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# Serialises concurrent starters on PostgreSQL (two replicas booting at once).
ADVISORY_LOCK = 724001
_V01_TABLES = frozenset({"subscriptions", "deliveries", "processed_events", "suggestions"})


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, pointed at the bot's revisions (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade_sync(connection: Connection) -> str:
    config = alembic_config(connection)
    tables = set(inspect(connection).get_table_names())
    if _current(connection) is None and tables >= _V01_TABLES:
        # Created by release 0.1 (its own schema_version table, no alembic_version): the
        # baseline revision describes exactly those tables, so record it as applied.
        logger.info("database from release 0.1: recording the baseline revision")
        command.stamp(config, BASELINE)
    before = _current(connection)
    command.upgrade(config, "head")
    after = _current(connection) or ""
    if before != after:
        logger.info("database schema upgraded from %s to %s", before or "empty", after)
    return after


async def upgrade(engine: AsyncEngine) -> str:
    """Bring the schema to the newest revision, keeping existing data; return the revision."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"SELECT pg_advisory_lock({ADVISORY_LOCK})"))
        try:
            revision = await conn.run_sync(_upgrade_sync)
            await conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_unlock({ADVISORY_LOCK})"))
                await conn.commit()
    return revision


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None when it has never been migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def revision_history() -> list[str]:
    """Every revision, oldest first, as `id  message` lines."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    return [f"{rev.revision}  {(rev.doc or '').splitlines()[0]}" for rev in reversed(revisions)]
