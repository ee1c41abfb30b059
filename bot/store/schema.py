"""Tables. The database is the source of truth for schedules, deliveries and suggestions."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# One row per subscribed channel (or DM). day/time/tz are the channel's own local schedule.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("is_dm", Boolean, nullable=False, default=False),
    Column("created_by", String(32), nullable=False),
    Column("day", String(3), nullable=False),
    Column("time", String(5), nullable=False),
    Column("tz", String(64), nullable=False),
    # active | paused (by a user) | suspended (by the bot after a Slack error such as is_archived)
    # | unsubscribed (progress is kept for a later re-subscribe)
    Column("status", String(16), nullable=False, default="active"),
    Column("status_reason", Text, nullable=True),
    # 0-based position in the curriculum of the next lesson to post; season counts restarts.
    Column("next_lesson", Integer, nullable=False, default=0),
    Column("season", Integer, nullable=False, default=1),
    # Occurrences due before this instant are not owed (no back-filling older weeks).
    Column("effective_from", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("team_id", "channel_id", name="uq_subscription_channel"),
)

# The exactly-once record: claimed atomically before posting, one per (channel, week).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("week_key", String(32), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("lesson_order", Integer, nullable=False),
    # 0-based curriculum position the delivery posts (lesson_order is what people see).
    Column("position", Integer, nullable=False, default=0),
    Column("season", Integer, nullable=False, default=1),
    # claimed | posted (root message sent) | done (thread reply sent) | failed (retry later)
    # | abandoned (Slack said the channel is gone; retried only after a re-subscribe)
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(64), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("message_ts", String(32), nullable=True),
    Column("reply_ts", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("team_id", "channel_id", "week_key", name="uq_delivery_week"),
)
Index("ix_deliveries_status", deliveries.c.status)

# Events API retries carry the same event_id; claiming it makes a retried mention answer once.
processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=True),
    Column("url", Text, nullable=False),
    Column("url_key", Text, nullable=False),
    # sha256 of url_key: one row per normalised URL, whatever its status (a 2 KB key is too
    # long for a PostgreSQL btree entry, a digest is not).
    Column("url_hash", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("fetch_ok", Boolean, nullable=False, default=False),
    Column("topics", Text, nullable=False, default=""),  # space-separated topic ids
    Column("note", Text, nullable=False, default=""),
    # pending | approved | rejected
    Column("status", String(16), nullable=False, default="pending"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(32), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("resource_id", String(80), nullable=True),
    Column("review_channel", String(32), nullable=True),
    Column("review_ts", String(32), nullable=True),
    UniqueConstraint("url_hash", name="uq_suggestion_url"),
)
Index("ix_suggestions_user_day", suggestions.c.user_id, suggestions.c.created_at)
Index("ix_suggestions_status", suggestions.c.status, suggestions.c.decided_at)

# Link health: one row per checked URL (catalog and approved community resources).
link_checks = Table(
    "link_checks",
    metadata,
    # sha256 of the URL (a btree key must stay short); the URL itself is kept beside it.
    Column("url_hash", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("last_checked", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_outcome", String(16), nullable=False),
    Column("last_error", Text, nullable=True),
    # Dead-signal failures counted on different days since the last success.
    Column("consecutive_failures", Integer, nullable=False),
    Column("last_failure_day", Date, nullable=True),
    # Where the link now lives when every redirect hop was permanent (301/308).
    Column("final_url", Text, nullable=True),
    Column("dead", Boolean, nullable=False),
)
Index("ix_link_checks_dead", link_checks.c.dead)

# What people searched for, for `/mlops stats`: normalised text only, never who searched.
# Rows older than MLOPS_SEARCH_LOG_DAYS are pruned daily.
search_log = Table(
    "search_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("query", String(200), nullable=False),
    Column("topic", String(80), nullable=True),
    Column("matched", Boolean, nullable=False),
)
Index("ix_search_log_team_day", search_log.c.team_id, search_log.c.day)
# The quiz message in each weekly post's thread (one per delivery), and the count it shows.
quiz_posts = Table(
    "quiz_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, nullable=False),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("week_key", String(32), nullable=False),
    # 0-based curriculum position and season of the delivery's lesson.
    Column("position", Integer, nullable=False),
    Column("season", Integer, nullable=False),
    Column("message_ts", String(32), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    # "N answered" as last sent to Slack, and when (chat.update is paced per message).
    Column("rendered_count", Integer, nullable=False, default=0),
    Column("rendered_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("team_id", "channel_id", "week_key", name="uq_quiz_post_week"),
)

# One answer per person per question of a channel's weekly quiz; the last one counts.
quiz_answers = Table(
    "quiz_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    # The delivery's week key, or "practice" for the console's practice quiz.
    Column("week_key", String(32), nullable=False),
    Column("question_id", String(80), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("option_index", Integer, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "team_id", "channel_id", "week_key", "question_id", "user_id", name="uq_quiz_answer"
    ),
)
Index("ix_quiz_answers_user", quiz_answers.c.team_id, quiz_answers.c.user_id)
# Multi-workspace mode: slack_sdk's installation and OAuth state tables, built by its own
# builders so the SDK's stores read and write them; Alembic creates them (revision 0006), the
# stores' create_tables() is never called.
slack_installations = SQLAlchemyInstallationStore.build_installations_table(
    metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(
    metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    metadata, SQLAlchemyOAuthStateStore.default_table_name
)

# One row per workspace the bot has seen installed: its enterprise (org-wide installs hold
# their tokens under the enterprise), whether it is installed now, and its own moderators and
# review channel (empty: MLOPS_ADMINS / MLOPS_REVIEW_CHANNEL).
workspaces = Table(
    "workspaces",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("enterprise_id", String(32), nullable=True),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("team_name", String(200), nullable=True),
    # installed | uninstalled
    Column("status", String(16), nullable=False, default="installed"),
    Column("installed_at", DateTime(timezone=True), nullable=True),
    Column("uninstalled_at", DateTime(timezone=True), nullable=True),
    Column("moderators", Text, nullable=False, default=""),  # space-separated user ids
    Column("review_channel", String(32), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
