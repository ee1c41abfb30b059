"""Alembic owns the schema: a fresh database and one created by release 0.1 end up identical,
and the 0.1 database keeps its data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import schema
from bot.store.engine import create_engine, current_revision, head_revision, upgrade
from tests.conftest import POSTGRES_URL
from tests.fixtures import schema_0_1

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _shape(sync_conn: Any) -> dict[str, Any]:
    """Tables, columns (type, nullability), primary keys, unique constraints and indexes."""
    found = inspect(sync_conn)
    shape: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        if table == "alembic_version":
            continue
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]).split("(")[0], c["nullable"])
                for c in found.get_columns(table)
            ],
            "pk": found.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
                # PostgreSQL reports unique constraints as indexes too.
                if not i.get("duplicates_constraint")
            ),
        }
    return shape


async def _shape_of(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(_shape)


async def _seed_0_1(engine: AsyncEngine) -> None:
    """A database exactly as release 0.1 left it: its tables, its version row, some data."""
    async with engine.begin() as conn:
        await conn.run_sync(schema_0_1.metadata.create_all)
        await conn.execute(insert(schema_0_1.schema_version).values(version=1, applied_at=NOW))
        await conn.execute(
            insert(schema_0_1.subscriptions).values(
                team_id="T1",
                channel_id="C1",
                is_dm=False,
                created_by="U1",
                day="mon",
                time="10:00",
                tz="UTC",
                status="active",
                next_lesson=3,
                season=1,
                effective_from=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await conn.execute(
            insert(schema_0_1.deliveries).values(
                team_id="T1",
                channel_id="C1",
                week_key="2026-W48",
                due_at=NOW,
                lesson_order=3,
                position=2,
                season=1,
                status="done",
                claimed_by="p1",
                claimed_at=NOW,
                attempts=1,
                message_ts="1.1",
                reply_ts="1.2",
                completed_at=NOW,
            )
        )
        await conn.execute(insert(schema_0_1.processed_events).values(event_id="Ev1", seen_at=NOW))
        await conn.execute(
            insert(schema_0_1.suggestions).values(
                team_id="T1",
                user_id="U2",
                channel_id="C1",
                url="https://example.org/a",
                url_key="example.org/a",
                url_hash="h" * 64,
                title="A page",
                fetch_ok=True,
                topics="serving",
                note="",
                status="approved",
                created_at=NOW,
                decided_by="U9",
                decided_at=NOW,
                resource_id="community-1-a-page",
            )
        )


async def _check_fresh_equals_upgraded(fresh: AsyncEngine, old: AsyncEngine) -> None:
    assert await upgrade(fresh) == head_revision()
    await _seed_0_1(old)
    assert await current_revision(old) is None
    assert await upgrade(old) == head_revision()
    assert await _shape_of(fresh) == await _shape_of(old)
    async with old.connect() as conn:
        assert (await conn.execute(select(schema.subscriptions.c.next_lesson))).scalar() == 3
        assert (await conn.execute(select(schema.deliveries.c.reply_ts))).scalar() == "1.2"
        assert (await conn.execute(select(schema.processed_events.c.event_id))).scalar() == "Ev1"
        row = (await conn.execute(select(schema.suggestions))).one()
        assert (row.status, row.resource_id) == ("approved", "community-1-a-page")
    # Idempotent: a second start changes nothing.
    assert await upgrade(old) == head_revision()


async def test_sqlite_fresh_and_0_1_databases_reach_the_same_schema(tmp_path: Path):
    fresh = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    old = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await _check_fresh_equals_upgraded(fresh, old)
    finally:
        await fresh.dispose()
        await old.dispose()


@pytest.fixture
async def two_pg_schemas() -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    if not POSTGRES_URL:
        pytest.skip("set MLOPS_TEST_POSTGRES_URL to run PostgreSQL")
    names = [f"mig_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        for name in names:
            await conn.execute(text(f"CREATE SCHEMA {name}"))
    engines = [_with_search_path(name) for name in names]
    try:
        yield engines[0], engines[1]
    finally:
        for engine in engines:
            await engine.dispose()
        async with admin.begin() as conn:
            for name in names:
                await conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        await admin.dispose()


def _with_search_path(name: str) -> AsyncEngine:
    from sqlalchemy import event

    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL)

    @event.listens_for(engine.sync_engine, "connect")
    def _path(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"SET search_path TO {name}")
        cursor.close()

    return engine


@pytest.mark.postgres
async def test_postgres_fresh_and_0_1_databases_reach_the_same_schema(
    two_pg_schemas: tuple[AsyncEngine, AsyncEngine],
):
    fresh, old = two_pg_schemas
    await _check_fresh_equals_upgraded(fresh, old)


def test_models_and_revisions_agree():
    """What `alembic check` does: no autogenerate difference between schema.py and head."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine as sync_engine

    from bot.store.engine import _upgrade_sync

    engine = sync_engine("sqlite://")
    with engine.connect() as conn:
        _upgrade_sync(conn)
        conn.commit()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
