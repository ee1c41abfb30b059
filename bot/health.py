"""Readiness: can the bot use its database right now, with the schema it expects?"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import current_revision, head_revision, upgrade

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0


async def readiness(engine: AsyncEngine) -> tuple[bool, str]:
    """(ready, reason). A database recreated empty under a running process is migrated again."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            revision = await current_revision(engine)
            head = head_revision()
            if revision is None:
                logger.warning("the database has no schema (recreated?): migrating it again")
                revision = await upgrade(engine)
            if revision != head:
                return False, f"database schema is at {revision}, this release needs {head}"
    except TimeoutError:
        return False, "database did not answer within 2 s"
    except (OSError, SQLAlchemyError) as exc:
        cause = getattr(exc, "orig", None) or exc
        return False, f"database unreachable: {type(cause).__name__}"
    return True, "ok"
