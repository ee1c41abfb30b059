"""Shared helpers for digest tests: services over a database, subscriptions, what Slack got."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any

from bot.core.catalog import Catalog
from bot.core.schedule import Schedule
from bot.digest import KIND_LESSON, KIND_QUESTION, KIND_QUIZ, Digest
from bot.services import Services
from bot.store import subscriptions
from tests.conftest import boot_bot
from tests.fakes.slack_api import FakeSlack

TEAM = "T111"


class Sleeps:
    """Stands in for asyncio.sleep: records what the digest asked to wait, waits nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@asynccontextmanager
async def digest_services(
    tmp_path: Path, fake: FakeSlack, catalog: Catalog, **overrides: Any
) -> AsyncIterator[Services]:
    async with boot_bot(tmp_path, catalog, fake, http=False, **overrides) as server:
        yield server.services


def digest(services: Services, sleeps: Sleeps | None = None) -> Digest:
    return Digest(services, sleep=sleeps or Sleeps())


async def subscribe(
    services: Services,
    channel: str,
    day: str,
    hhmm: str,
    tz: str,
    now: datetime,
    *,
    team: str = TEAM,
) -> subscriptions.Subscription:
    hour, minute = (int(x) for x in hhmm.split(":"))
    sub, _ = await subscriptions.subscribe(
        services.engine,
        team_id=team,
        channel_id=channel,
        user_id="U222",
        is_dm=channel.startswith("D"),
        schedule=Schedule(day, time(hour, minute), tz),
        now=now,
    )
    return sub


def _kind(message: dict[str, Any]) -> str | None:
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    return payload.get("kind")


def lesson_roots(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """Lesson posts Slack received in a channel (top-level, with our metadata)."""
    return [m for m in fake.posted(channel) if not m.get("thread_ts") and _kind(m) == KIND_LESSON]


def questions(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """Discussion questions Slack received as thread replies in a channel."""
    return [m for m in fake.posted(channel) if m.get("thread_ts") and _kind(m) == KIND_QUESTION]


def quizzes(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """Quiz messages Slack received as thread replies in a channel."""
    return [m for m in fake.posted(channel) if m.get("thread_ts") and _kind(m) == KIND_QUIZ]


def header_of(message: dict[str, Any]) -> str:
    """The lesson's title (from the second week on, the post opens with last week's recap)."""
    return str(next(b for b in message["blocks"] if b["type"] == "header")["text"]["text"])


def context_text(message: dict[str, Any]) -> str:
    return " ".join(
        e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]
    )


def assert_exactly_once(fake: FakeSlack, channels: list[str]) -> None:
    """Every channel has one lesson post and, in its thread, one question and one quiz."""
    for channel in channels:
        roots = lesson_roots(fake, channel)
        assert len(roots) == 1, (channel, [header_of(r) for r in roots])
        replies = questions(fake, channel)
        assert len(replies) == 1, channel
        assert replies[0]["thread_ts"] == roots[0]["ts"]
        quiz = quizzes(fake, channel)
        assert len(quiz) == 1, channel
        assert quiz[0]["thread_ts"] == roots[0]["ts"]
