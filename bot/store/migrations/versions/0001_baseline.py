"""Baseline: the tables of release 0.1, written out (never create_all of today's schema).

Revision ID: 0001
Revises:
Create Date: 2026-12-01

A database created by 0.1 already has these tables; start-up stamps it at this revision
instead of running it (see `bot.store.engine.upgrade`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("is_dm", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("day", sa.String(3), nullable=False),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("next_lesson", sa.Integer, nullable=False),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("effective_from", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_subscription_channel"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("week_key", sa.String(32), nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("lesson_order", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", TZ, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("reply_ts", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("completed_at", TZ, nullable=True),
        sa.UniqueConstraint("team_id", "channel_id", "week_key", name="uq_delivery_week"),
    )
    op.create_index("ix_deliveries_status", "deliveries", ["status"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", TZ, nullable=False),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("url_key", sa.Text, nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("fetch_ok", sa.Boolean, nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("resource_id", sa.String(80), nullable=True),
        sa.Column("review_channel", sa.String(32), nullable=True),
        sa.Column("review_ts", sa.String(32), nullable=True),
        sa.UniqueConstraint("url_hash", name="uq_suggestion_url"),
    )
    op.create_index("ix_suggestions_user_day", "suggestions", ["user_id", "created_at"])
    op.create_index("ix_suggestions_status", "suggestions", ["status", "decided_at"])


def downgrade() -> None:
    for table in ("suggestions", "processed_events", "deliveries", "subscriptions"):
        op.drop_table(table)
