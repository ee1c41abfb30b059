"""Installations (multi-workspace mode) and each workspace's own settings.

slack_sdk's async SQLAlchemy stores read and write the installation, bot and OAuth state
tables on the bot's own engine; Alembic creates those tables (revision 0006), so nothing here
calls the stores' `create_tables()`. The `workspaces` table is ours: the enterprise of each
workspace (org-wide installs keep their token under the enterprise, with no team), whether
the app is installed there now, and the workspace's moderators and review channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import and_, desc, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import slack_bots, slack_oauth_states, workspaces
from bot.store.subscriptions import as_utc

logger = logging.getLogger(__name__)

INSTALLED = "installed"
UNINSTALLED = "uninstalled"
STATE_SECONDS = 600


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store over the tables in bot.store.schema (the same Table objects)."""

    def __init__(self, client_id: str, engine: AsyncEngine) -> None:
        super().__init__(client_id, engine, logger=logging.getLogger("bot.store.installs.sdk"))
        # The SDK builds private copies of the tables on its own MetaData; ours are identical
        # (built by the same builders) and are the ones Alembic knows.
        self.bots = slack_bots
        self.installations = slack_bots.metadata.tables["slack_installations"]
        self.metadata = slack_bots.metadata

    async def create_tables(self) -> None:
        raise RuntimeError("the installation tables are created by Alembic (revision 0006)")


class StateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store over our `slack_oauth_states` table."""

    def __init__(self, engine: AsyncEngine, expiration_seconds: int = STATE_SECONDS) -> None:
        super().__init__(
            expiration_seconds, engine, logger=logging.getLogger("bot.store.installs.sdk")
        )
        self.oauth_states = slack_oauth_states
        self.metadata = slack_oauth_states.metadata

    async def create_tables(self) -> None:
        raise RuntimeError("the OAuth state table is created by Alembic (revision 0006)")


@dataclass(frozen=True)
class Workspace:
    team_id: str
    enterprise_id: str | None
    is_enterprise_install: bool
    team_name: str | None
    status: str
    installed_at: datetime | None
    uninstalled_at: datetime | None
    moderators: tuple[str, ...]
    review_channel: str | None


def _workspace(row: object) -> Workspace:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    return Workspace(
        team_id=values["team_id"],
        enterprise_id=values["enterprise_id"],
        is_enterprise_install=bool(values["is_enterprise_install"]),
        team_name=values["team_name"],
        status=values["status"],
        installed_at=as_utc(values["installed_at"]),
        uninstalled_at=as_utc(values["uninstalled_at"]),
        moderators=tuple((values["moderators"] or "").split()),
        review_channel=values["review_channel"] or None,
    )


async def get(engine: AsyncEngine, team_id: str) -> Workspace | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(workspaces).where(workspaces.c.team_id == team_id))
        ).first()
    return _workspace(row) if row else None


async def list_all(engine: AsyncEngine) -> list[Workspace]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(workspaces).order_by(workspaces.c.team_id))).all()
    return [_workspace(r) for r in rows]


async def _upsert(engine: AsyncEngine, team_id: str, now: datetime, **values: object) -> None:
    """Update the workspace's row, creating it first if it is new (a racing insert is fine)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(workspaces)
            .where(workspaces.c.team_id == team_id)
            .values(updated_at=now, **values)
        )
        if result.rowcount:
            return
    defaults: dict[str, object] = {
        "team_id": team_id,
        "enterprise_id": None,
        "is_enterprise_install": False,
        "status": INSTALLED,
        "moderators": "",
        "updated_at": now,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(workspaces.insert().values(**{**defaults, **values}))
    except IntegrityError:  # another request created it meanwhile: update that row
        async with engine.begin() as conn:
            await conn.execute(
                update(workspaces)
                .where(workspaces.c.team_id == team_id)
                .values(updated_at=now, **values)
            )


async def record_install(
    engine: AsyncEngine,
    team_id: str,
    *,
    enterprise_id: str | None,
    is_enterprise_install: bool,
    team_name: str | None,
    now: datetime,
) -> None:
    """The app was (re-)installed in this workspace (or, org-wide, in this enterprise)."""
    await _upsert(
        engine,
        team_id,
        now,
        enterprise_id=enterprise_id,
        is_enterprise_install=is_enterprise_install,
        team_name=team_name,
        status=INSTALLED,
        installed_at=now,
        uninstalled_at=None,
    )


async def remember_enterprise(
    engine: AsyncEngine, team_id: str, enterprise_id: str, *, now: datetime
) -> None:
    """A workspace of an org-wide install made a request: keep its enterprise so its jobs
    find the org's token by team alone."""
    await _upsert(engine, team_id, now, enterprise_id=enterprise_id, is_enterprise_install=True)


async def record_uninstall(engine: AsyncEngine, team_id: str, *, now: datetime) -> None:
    await _upsert(engine, team_id, now, status=UNINSTALLED, uninstalled_at=now)


async def set_moderators(
    engine: AsyncEngine, team_id: str, moderators: tuple[str, ...], *, now: datetime
) -> None:
    await _upsert(engine, team_id, now, moderators=" ".join(moderators))


async def set_review_channel(
    engine: AsyncEngine, team_id: str, channel: str, *, now: datetime
) -> None:
    await _upsert(engine, team_id, now, review_channel=channel)


@dataclass(frozen=True)
class BotKey:
    """Where a workspace's bot token is stored: (enterprise, team) or, org-wide, (enterprise,)."""

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool


async def bot_key(engine: AsyncEngine, team_id: str, client_id: str) -> BotKey | None:
    """The key of the newest bot token that serves `team_id`: its own install, or the
    org-wide install of its enterprise; None when the app is not installed for it."""
    c = slack_bots.c
    own = (
        select(c.enterprise_id)
        .where(and_(c.client_id == client_id, c.team_id == team_id, c.bot_token.is_not(None)))
        .order_by(desc(c.installed_at))
        .limit(1)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(own)).first()
        if row is not None:
            return BotKey(row.enterprise_id, team_id, False)
        known = (
            await conn.execute(
                select(workspaces.c.enterprise_id).where(workspaces.c.team_id == team_id)
            )
        ).first()
    if known is None or not known.enterprise_id:
        return None
    return BotKey(known.enterprise_id, None, True)
