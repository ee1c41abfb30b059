"""What the database layer raises when the database itself is the problem."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The database did not answer within its budget, or refused connections."""
