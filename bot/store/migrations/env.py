"""Alembic environment: runs revisions on the connection the bot hands in, or on DATABASE_URL.

The bot upgrades at start-up through `bot.store.engine.upgrade` (which passes its own
connection in `config.attributes["connection"]`); the `alembic` command line (used by
`make test` for `alembic check`) connects to `sqlalchemy.url` or `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.engine import MIGRATION_TIMEOUT, async_url, create_engine
from bot.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_engine(url, statement_timeout=MIGRATION_TIMEOUT)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite:///mlops-bot.db"
    )
    asyncio.run(_run_from_url(async_url(url)))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
