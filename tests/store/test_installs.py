"""The installation tables: slack_sdk's stores over our Alembic-made tables, never their own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation

from bot.store import installs as store
from bot.store import schema
from bot.store.engine import create_engine, upgrade

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)


async def test_the_sdk_stores_use_the_migrated_tables_and_never_create_their_own(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'i.db'}")
    try:
        await upgrade(engine)
        installations = store.InstallationStore("111.222", engine)
        states = store.StateStore(engine)
        assert installations.bots is schema.slack_bots
        assert installations.installations is schema.slack_installations
        assert states.oauth_states is schema.slack_oauth_states
        with pytest.raises(RuntimeError, match="Alembic"):
            await installations.create_tables()
        with pytest.raises(RuntimeError, match="Alembic"):
            await states.create_tables()

        await installations.async_save(
            Installation(
                app_id="A1", enterprise_id="E1", team_id="T1", user_id="U1",
                bot_token="xoxb-1", bot_id="B1", bot_user_id="UB", is_enterprise_install=False,
            )
        )  # fmt: skip
        found = await installations.async_find_bot(enterprise_id="E1", team_id="T1")
        assert found is not None and found.bot_token == "xoxb-1"
        assert await store.bot_key(engine, "T1", "111.222") == store.BotKey("E1", "T1", False)
        assert await store.bot_key(engine, "T2", "111.222") is None

        state = await states.async_issue()
        assert await states.async_consume(state) is True
        assert await states.async_consume(state) is False
    finally:
        await engine.dispose()


async def test_an_org_wide_token_is_found_by_a_workspace_the_enterprise_was_seen_with(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'i.db'}")
    try:
        await upgrade(engine)
        installations = store.InstallationStore("111.222", engine)
        await installations.async_save_bot(
            Bot(
                app_id="A1", enterprise_id="E1", team_id=None, bot_token="xoxb-org",
                bot_id="B1", bot_user_id="UB", is_enterprise_install=True,
                installed_at=NOW.timestamp(),
            )
        )  # fmt: skip
        assert await store.bot_key(engine, "T9", "111.222") is None
        await store.remember_enterprise(engine, "T9", "E1", now=NOW)
        assert await store.bot_key(engine, "T9", "111.222") == store.BotKey("E1", None, True)
        row = await store.get(engine, "T9")
        assert row is not None and row.enterprise_id == "E1" and row.is_enterprise_install
    finally:
        await engine.dispose()
