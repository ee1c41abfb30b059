"""Quiz: the quiz message of each weekly post, and people's answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quiz_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("week_key", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("posted_at", TZ, nullable=False),
        sa.Column("rendered_count", sa.Integer, nullable=False),
        sa.Column("rendered_at", TZ, nullable=True),
        sa.UniqueConstraint("team_id", "channel_id", "week_key", name="uq_quiz_post_week"),
    )
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("week_key", sa.String(32), nullable=False),
        sa.Column("question_id", sa.String(80), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("option_index", sa.Integer, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", TZ, nullable=False),
        sa.UniqueConstraint(
            "team_id", "channel_id", "week_key", "question_id", "user_id", name="uq_quiz_answer"
        ),
    )
    op.create_index("ix_quiz_answers_user", "quiz_answers", ["team_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_quiz_answers_user", "quiz_answers")
    op.drop_table("quiz_answers")
    op.drop_table("quiz_posts")
