"""What the database layer raises when the database itself is the problem."""

from __future__ import annotations

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class DatabaseUnavailable(Exception):
    """The database did not answer within its budget, or refused connections."""


# Errors that mean "the database is down, stalled, locked or gone" rather than a bug: the
# router answers them with texts.DATABASE_DOWN. (asyncpg's command/connect timeouts raise the
# builtin TimeoutError; a refused connection comes through as ConnectionRefusedError; SQLite's
# "database is locked" after its busy timeout is an OperationalError.)
UNAVAILABLE: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    ConnectionRefusedError,
)
