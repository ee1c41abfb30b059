"""Logging set-up: readable text for a terminal, one JSON object per line for a log platform.

The workspace (team) and request id of the work in progress ride along in context variables,
so every line logged while handling a request carries them without passing them around:

    with bind(team=body["team_id"], request_id=new_request_id()):
        ...  # every log line in here (and in tasks started here) names the team and request

asyncio copies the context into each task it creates, so concurrent requests never see each
other's values.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any

current_team: ContextVar[str | None] = ContextVar("mlops_current_team", default=None)
current_request_id: ContextVar[str | None] = ContextVar("mlops_current_request_id", default=None)

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"
# httpx logs every request URL at INFO; slack_sdk logs payloads at DEBUG; aiohttp.access and
# apscheduler.executors log a line per request or job run.
# Alembic logs every revision it runs at INFO; the bot logs one line per upgrade itself.
NOISY_LOGGERS = (
    "httpx", "httpcore", "slack_sdk", "apscheduler.executors", "aiohttp.access", "alembic",
)  # fmt: skip

_UNSET: Any = object()


@contextmanager
def bind(*, team: str | None = _UNSET, request_id: str | None = _UNSET) -> Iterator[None]:
    """Set the team and/or request id for the block; what is not given keeps its value.
    The previous values come back when the block ends, also on an exception."""
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []
    if team is not _UNSET:
        tokens.append((current_team, current_team.set(team)))
    if request_id is not _UNSET:
        tokens.append((current_request_id, current_request_id.set(request_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def new_request_id() -> str:
    """A short random id to tie together the lines of one request."""
    return uuid.uuid4().hex[:16]


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record (`team`, `request_id`), unless the call
    passed them itself with `extra=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "team", None) is None:
            record.team = current_team.get()
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class TextFormatter(logging.Formatter):
    """`2025-03-03 10:00:00,123 INFO bot.digest [team=T1 req=ab12]: message`; the brackets only
    appear when a team or request id is bound."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        team = getattr(record, "team", None)
        request_id = getattr(record, "request_id", None)
        if team:
            parts.append(f"team={team}")
        if request_id:
            parts.append(f"req={request_id}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO-8601, UTC), level, logger, message, team,
    request_id, and exc_info / stack_info as strings when present. Newlines in a message or a
    traceback are escaped by JSON, so a record is always exactly one line."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "team": getattr(record, "team", None),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
            entry["exc_info"] = record.exc_text
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    text = str(level).strip().upper()
    if text.isdigit():
        return int(text)
    return logging.getLevelNamesMapping().get(text, logging.INFO)


def configure_logging(level: str, fmt: str = "text", *, stream: IO[str] | None = None) -> None:
    """Send the root logger to stderr (or `stream`) in `fmt` ("text" or "json"). Calling it
    again replaces the handler it installed before, rather than adding a second one. An unknown
    level means INFO; an unknown format means text, with a warning."""
    wanted = (fmt or "text").strip().casefold()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if wanted == "json" else TextFormatter())
    handler._mlops_handler = True  # type: ignore[attr-defined]

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mlops_handler", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(_level(level))
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if wanted not in FORMATS:
        logging.getLogger(__name__).warning(
            "unknown log format %r (use text or json): writing text", fmt
        )
