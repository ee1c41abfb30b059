"""Settings from the environment and an optional .env file, read once in main()."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.addresses import parse_allow_entries
from bot.core.content import BUNDLED_CONTENT

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"


class Settings(BaseSettings):
    """Everything configurable; names match the environment variables in the README."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # Multi-workspace mode (OAuth install): client id and secret, and no SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_oauth_authorize_url: str = DEFAULT_AUTHORIZE_URL
    slack_redirect_uri: str | None = None
    # Rotated tokens are refreshed when they expire within this many minutes.
    slack_token_rotation_minutes: int = Field(default=120, ge=1, le=720)
    database_url: str = "sqlite:///mlops-bot.db"
    port: int = Field(default=3000, ge=0, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - a web dyno must listen on all interfaces
    content_dir: Path = Field(default=BUNDLED_CONTENT, alias="MLOPS_CONTENT_DIR")
    log_level: str = Field(default="INFO", alias="MLOPS_LOG_LEVEL")
    log_format: str = Field(default="text", alias="MLOPS_LOG_FORMAT")
    # Seconds a command may spend (database, Web API) before its answer; Slack waits 3 s.
    answer_budget: float = Field(default=2.0, gt=0, le=2.8, alias="MLOPS_ANSWER_BUDGET")
    # `serve` waits this long for the database at start (retrying), then exits with code 1.
    db_start_wait: float = Field(default=60.0, ge=0, alias="MLOPS_DB_START_WAIT")
    metrics_token: SecretStr | None = Field(default=None, alias="MLOPS_METRICS_TOKEN")
    console_fetch: bool = Field(default=False, alias="MLOPS_CONSOLE_FETCH")

    # Weekly lessons (issue: digest).
    default_day: str = Field(default="mon", alias="MLOPS_DEFAULT_DAY")
    default_time: str = Field(default="10:00", alias="MLOPS_DEFAULT_TIME")
    default_tz: str = Field(default="UTC", alias="MLOPS_DEFAULT_TZ")
    digest_sweep_seconds: int = Field(default=60, ge=5, alias="MLOPS_DIGEST_SWEEP_SECONDS")
    # Fan-out pacing: channels posted to at once, seconds between two messages in one channel
    # (Slack allows about one per second), and an optional workspace-wide cap per minute.
    digest_concurrency: int = Field(default=8, ge=1, le=200, alias="MLOPS_DIGEST_CONCURRENCY")
    digest_channel_interval: float = Field(
        default=1.0, ge=0, le=60, alias="MLOPS_DIGEST_CHANNEL_INTERVAL"
    )
    digest_per_minute: int = Field(default=0, ge=0, alias="MLOPS_DIGEST_PER_MINUTE")
    # The quiz message's "N answered" is updated at most once per this many seconds.
    quiz_update_interval: float = Field(
        default=3.0, ge=0, le=300, alias="MLOPS_QUIZ_UPDATE_INTERVAL"
    )

    # Community suggestions.
    admins: str = Field(default="", alias="MLOPS_ADMINS")
    review_channel: str = Field(default="", alias="MLOPS_REVIEW_CHANNEL")
    suggest_limit: int = Field(default=10, ge=0, alias="MLOPS_SUGGEST_LIMIT")
    fetch_allow_hosts: str = Field(default="", alias="MLOPS_FETCH_ALLOW_HOSTS")

    # Link health: `serve` checks every link weekly unless this is "off".
    link_check: str = Field(default="on", alias="MLOPS_LINK_CHECK")
    # Seconds between two requests to the same host (politeness).
    link_check_delay: float = Field(default=1.0, ge=0, le=60, alias="MLOPS_LINK_CHECK_DELAY")
    # Search log for `/mlops stats` (normalised query, topic, matched, team, day; no user ids).
    search_log: bool = Field(default=True, alias="MLOPS_SEARCH_LOG")
    search_log_days: int = Field(default=90, ge=1, le=3660, alias="MLOPS_SEARCH_LOG_DAYS")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admins.split(",") if part.strip())

    @property
    def allowed_fetch_hosts(self) -> frozenset[tuple[str, int]]:
        """(host, port) pairs the page fetcher may reach although they are not public."""
        return parse_allow_entries(
            part.strip() for part in self.fetch_allow_hosts.split(",") if part.strip()
        )

    @field_validator("fetch_allow_hosts")
    @classmethod
    def _valid_allow_entries(cls, value: str) -> str:
        parse_allow_entries(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None and bool(self.slack_app_token.get_secret_value())

    @property
    def multi_workspace(self) -> bool:
        """OAuth install into many workspaces: client id and secret set, no bot token."""
        no_token = not self.slack_bot_token or not self.slack_bot_token.get_secret_value()
        secret = self.slack_client_secret.get_secret_value() if self.slack_client_secret else ""
        return no_token and bool(self.slack_client_id) and bool(secret)

    def missing_for_serve(self) -> list[str]:
        """Names of the variables `serve` needs but does not have."""
        missing = []
        if self.multi_workspace:
            if not self.slack_signing_secret or not self.slack_signing_secret.get_secret_value():
                missing.append("SLACK_SIGNING_SECRET (multi-workspace mode is HTTP only)")
            return missing
        if not self.slack_bot_token or not self.slack_bot_token.get_secret_value():
            missing.append("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
        if not self.socket_mode and (
            not self.slack_signing_secret or not self.slack_signing_secret.get_secret_value()
        ):
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        return missing
