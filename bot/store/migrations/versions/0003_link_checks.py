"""Link health: the last check of every catalog and community URL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_checks",
        sa.Column("url_hash", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("last_checked", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_outcome", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("last_failure_day", sa.Date, nullable=True),
        sa.Column("final_url", sa.Text, nullable=True),
        sa.Column("dead", sa.Boolean, nullable=False),
    )
    op.create_index("ix_link_checks_dead", "link_checks", ["dead"])


def downgrade() -> None:
    op.drop_index("ix_link_checks_dead", "link_checks")
    op.drop_table("link_checks")
