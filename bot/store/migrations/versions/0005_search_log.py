"""Search log for /mlops stats: normalised queries per team and day, no user ids.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(80), nullable=True),
        sa.Column("matched", sa.Boolean, nullable=False),
    )
    op.create_index("ix_search_log_team_day", "search_log", ["team_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_search_log_team_day", "search_log")
    op.drop_table("search_log")
