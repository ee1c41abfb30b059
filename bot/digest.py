"""The weekly digest: one pass posts every lesson that is owed at an instant, exactly once.

A pass finds the subscriptions whose latest occurrence fell due (catch-up within the week),
claims each (channel, week) in the database, posts the lesson (opening with last week's
recap, `bot.recap`), records its ts, posts the discussion question as the first reply and the
quiz as the second, records those. Every step is recorded before the next, and every message
carries its delivery key and kind in Slack message metadata, so a pass that takes over an
unfinished claim (its process crashed, or a post's outcome is unknown) first looks in the
channel for what already arrived and posts only what is missing.

Both the scheduler (`bot.scheduler`) and `mlops-bot digest run` call `Digest.run_pass`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot import recap
from bot.blocks import Block
from bot.blocks import lessons as lesson_blocks
from bot.blocks import quiz as quiz_blocks
from bot.core import curriculum
from bot.core.schedule import Occurrence, owed_occurrence
from bot.logs import bind
from bot.services import Services
from bot.slack.gateway import (
    AccessLost,
    ChannelGone,
    PostError,
    RateLimited,
    SlackGateway,
    Uncertain,
)
from bot.store import deliveries, subscriptions
from bot.store import quiz as quiz_store
from bot.store.deliveries import Delivery
from bot.store.subscriptions import Subscription
from bot.store.suggestions import approved_since

logger = logging.getLogger(__name__)

EVENT_TYPE = "mlops_lesson"
KIND_LESSON = "lesson"
KIND_QUESTION = "question"
KIND_QUIZ = "quiz"

MAX_RATE_LIMITED = 8  # 429s honoured per message before giving up until the next pass
MAX_UNCERTAIN = 3  # 5xx/timeouts per message (each followed by a look in the channel)
BACKOFF = (1.0, 4.0, 15.0)
HISTORY_MARGIN = timedelta(hours=1)  # clock skew allowance when searching a channel's history

UNCONFIRMED = "cannot_confirm_post"

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass
class PassReport:
    due: int = 0
    posted: list[str] = field(default_factory=list)  # delivery keys completed by this pass
    skipped: int = 0  # owed, but another pass holds the claim (or finished it)
    failed: list[tuple[str, str]] = field(default_factory=list)  # retried on a later pass
    suspended: list[tuple[str, str]] = field(default_factory=list)  # channel, Slack error

    def summary(self) -> str:
        return (
            f"due {self.due}, posted {len(self.posted)}, skipped {self.skipped},"
            f" failed {len(self.failed)}, suspended {len(self.suspended)}"
        )


class Unconfirmed(ChannelGone):
    """A post's outcome is unknown twice and the channel can't be read to find out: posting
    again could repeat the lesson, so the subscription is suspended with this reason."""


class Pacer:
    """Keeps messages to one channel apart and (optionally) caps the workspace-wide rate,
    without making other channels wait for one channel's pause."""

    def __init__(self, per_channel: float, per_minute: int, sleep: Sleep) -> None:
        self.per_channel = per_channel
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._next_slot = 0.0

    async def wait(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        delay = 0.0
        if self.per_channel and channel in self._last:
            delay = max(delay, self._last[channel] + self.per_channel - now)
        if self.interval:
            slot = max(self._next_slot, now + delay)
            self._next_slot = slot + self.interval
            delay = slot - now
        self._last[channel] = now + max(delay, 0.0)
        if delay > 0:
            await self.sleep(delay)

    def answered(self, channel: str) -> None:
        """Slack answered a message to `channel`: the next one waits the interval from now.

        Slack spaces the messages it receives, and one can reach it later than planned (a busy
        event loop, a slow connection); counting from the plan let 28% of replies in a
        1,000-channel fan-out arrive too soon, each costing a 429 and a whole-second
        Retry-After (docs/benchmarks.md)."""
        if self.per_channel:
            self._last[channel] = asyncio.get_running_loop().time()


def metadata(key: str, kind: str, pick: curriculum.Pick) -> dict[str, Any]:
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "delivery_key": key,
            "kind": kind,
            "lesson": pick.lesson.order,
            "season": pick.season,
        },
    }


def carries(message: dict[str, Any], key: str, kind: str) -> bool:
    """Whether a message from Slack is our post of `kind` for delivery `key`."""
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return (
        meta.get("event_type") == EVENT_TYPE
        and payload.get("delivery_key") == key
        and payload.get("kind") == kind
    )


class Digest:
    """Runs passes for one process; `claimer` identifies this process's claims."""

    def __init__(
        self, services: Services, *, sleep: Sleep = asyncio.sleep, claimer: str | None = None
    ) -> None:
        if services.slack is None or services.engine is None:
            raise RuntimeError("the digest needs Slack and the database")
        self.services = services
        self.engine = services.engine
        self.slack: SlackGateway = services.slack.single_shot()
        self.sleep = sleep
        self.claimer = claimer or deliveries.new_claimer()
        settings = services.settings
        self.concurrency = settings.digest_concurrency
        self.pacer = Pacer(settings.digest_channel_interval, settings.digest_per_minute, sleep)
        # (delivery key, kind) posted once more this pass although the channel couldn't be read
        self._blind: set[tuple[str, str]] = set()

    # -- the pass ---------------------------------------------------------------------------
    async def owed(
        self, now: datetime, only: tuple[str, str] | None = None
    ) -> list[tuple[Subscription, Occurrence]]:
        """Active subscriptions owed a post at `now` that no live claim already covers."""
        subs = await subscriptions.list_all(self.engine, status=subscriptions.ACTIVE)
        if only is not None:
            subs = [s for s in subs if (s.team_id, s.channel_id) == only]
        recent = {
            (d.team_id, d.channel_id, d.week_key): d
            for d in await deliveries.since(self.engine, now - timedelta(days=9))
        }
        todo = []
        for sub in subs:
            occurrence = owed_occurrence(sub.schedule, sub.effective_from, now)
            if occurrence is None:
                continue
            row = recent.get((sub.team_id, sub.channel_id, occurrence.week_key))
            if row is not None and not deliveries.may_take_over(row, now):
                continue
            todo.append((sub, occurrence))
        return todo

    async def run_pass(self, now: datetime, *, only: tuple[str, str] | None = None) -> PassReport:
        """Post everything owed at `now` (or only for one channel); safe to run concurrently."""
        report = PassReport()
        if not self.services.catalog.lessons:
            logger.warning("no lessons in the catalog; nothing to post")
            return report
        todo = await self.owed(now, only)
        report.due = len(todo)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(sub: Subscription, occurrence: Occurrence) -> None:
            # The gateway posts with this workspace's token (multi-workspace mode).
            with bind(team=sub.team_id):
                async with gate:
                    await self.deliver(sub, occurrence, now, report)

        await asyncio.gather(*(one(sub, occ) for sub, occ in todo))
        if todo:
            logger.info("digest pass at %s: %s", now.isoformat(), report.summary())
        return report

    async def deliver(
        self, sub: Subscription, occurrence: Occurrence, now: datetime, report: PassReport
    ) -> None:
        """Claim one channel's lesson for the week and post what is missing of it."""
        lessons = self.services.catalog.lessons
        upcoming = curriculum.pick(lessons, sub.next_lesson, sub.season)
        row = await deliveries.claim(
            self.engine, sub, occurrence, lesson_order=upcoming.lesson.order, now=now,
            claimer=self.claimer,
        )  # fmt: skip
        if row is None:
            report.skipped += 1
            return
        try:
            await self._complete(row, sub, now)
        except ChannelGone as exc:
            logger.warning("channel %s unavailable (%s): subscription suspended", row.channel_id,
                           exc.code)  # fmt: skip
            await deliveries.mark_failed(self.engine, row, exc.code, now=now, permanent=True)
            report.suspended.append((row.channel_id, exc.code))
            return
        except PostError as exc:
            await self._fail(row, exc.code, now, report)
            return
        except Exception as exc:  # one channel's bug must not stop the others; retried later
            logger.exception("digest delivery %s failed", row.key)
            await self._fail(row, type(exc).__name__, now, report)
            return
        report.posted.append(row.key)

    async def _fail(self, row: Delivery, error: str, now: datetime, report: PassReport) -> None:
        current = await deliveries.find(self.engine, row.team_id, row.channel_id, row.week_key)
        if current is not None and current.claimed_by == row.claimed_by:
            await deliveries.mark_failed(self.engine, current, error, now=now)
        report.failed.append((row.key, error))

    async def _complete(self, row: Delivery, sub: Subscription, now: datetime) -> None:
        lessons = self.services.catalog.lessons
        pick = curriculum.pick(lessons, row.position, row.season)
        taken_over = row.attempts > 1
        if row.message_ts is None:
            ts = await self._find_root(row) if taken_over else None
            if ts is None:
                ts = await self._post_root(row, sub, pick)
            updated = await deliveries.mark_posted(self.engine, row, ts, total=len(lessons))
            if updated is None:
                raise PostError("claim lost to another process")
            row = updated
        assert row.message_ts is not None
        if row.reply_ts is None:
            reply_ts = await self._find_reply(row) if taken_over else None
            if reply_ts is None:
                reply_ts = await self._send(
                    row.channel_id,
                    lambda: self.slack.post_once(
                        row.channel_id,
                        lesson_blocks.question_text(pick.lesson),
                        lesson_blocks.build_question(pick.lesson),
                        thread_ts=row.message_ts,
                        metadata=metadata(row.key, KIND_QUESTION, pick),
                    ),
                    lambda: self._find_reply(row),
                )
            await self._post_quiz(row, pick, now, taken_over)
            if await deliveries.mark_done(self.engine, row, reply_ts, now=now) is None:
                raise PostError("claim lost to another process")

    async def _post_quiz(
        self, row: Delivery, pick: curriculum.Pick, now: datetime, taken_over: bool
    ) -> None:
        """The quiz as the second reply in the thread, once (recorded in quiz_posts)."""
        if not pick.lesson.quiz:
            return
        if await quiz_store.find_post(self.engine, row.team_id, row.channel_id, row.week_key):
            return
        ts = await self._find_in_thread(row, KIND_QUIZ) if taken_over else None
        if ts is None:
            ts = await self._send(
                row.channel_id,
                lambda: self.slack.post_once(
                    row.channel_id,
                    quiz_blocks.quiz_text(pick.lesson),
                    quiz_blocks.build_quiz(pick.lesson, row.week_key, 0),
                    thread_ts=row.message_ts,
                    metadata=metadata(row.key, KIND_QUIZ, pick),
                ),
                lambda: self._find_in_thread(row, KIND_QUIZ),
            )
        await quiz_store.record_post(self.engine, row, ts, now=now)

    async def _post_root(self, row: Delivery, sub: Subscription, pick: curriculum.Pick) -> str:
        opening, since = await self._last_week(row, sub)
        community = await approved_since(self.engine, since)
        blocks = lesson_blocks.build_lesson(
            pick, self.services.catalog, opening=opening, community=community
        )
        return await self._send(
            row.channel_id,
            lambda: self.slack.post_once(
                row.channel_id,
                lesson_blocks.lesson_text(pick),
                blocks,
                metadata=metadata(row.key, KIND_LESSON, pick),
            ),
            lambda: self._find_root(row),
        )

    async def _last_week(self, row: Delivery, sub: Subscription) -> tuple[list[Block], datetime]:
        """Last week's recap (best effort: none if Slack cannot tell) and when it was posted."""
        previous = await deliveries.previous_posted(
            self.engine, row.team_id, row.channel_id, row.week_key
        )
        if previous is None or previous.message_ts is None:
            return [], sub.created_at
        since = previous.completed_at or previous.claimed_at
        found = await recap.gather(self.engine, self.slack, previous, self.services.catalog.lessons)
        return (quiz_blocks.build_recap(found) if found else []), since

    def _unreadable(self, row: Delivery, kind: str, exc: PostError) -> None:
        """The channel's history can't be read to confirm a post (missing_scope,
        not_in_channel, any non-transient error): post once more, accepting a possible
        duplicate; if that post's outcome is uncertain too, raise Unconfirmed, which suspends
        the subscription (README, *Posts that cannot be confirmed*)."""
        if isinstance(exc, AccessLost) and exc.token_level:
            raise exc  # the token is gone: nothing can be posted either
        if (row.key, kind) in self._blind:
            logger.warning("%s: still cannot read the channel (%s) after posting once more;"
                           " suspending", row.key, exc.code)  # fmt: skip
            raise Unconfirmed(f"{UNCONFIRMED} ({exc.code})") from exc
        self._blind.add((row.key, kind))
        logger.warning("%s: cannot read the channel to confirm the %s (%s); posting once,"
                       " accepting a possible duplicate", row.key, kind, exc.code)  # fmt: skip

    async def _find_root(self, row: Delivery) -> str | None:
        """The ts of this delivery's lesson post if it already reached the channel."""
        oldest = (row.due_at - HISTORY_MARGIN).timestamp()
        try:
            messages = await self._patient(lambda: self.slack.history(row.channel_id, oldest))
        except (Uncertain, RateLimited):
            raise  # transient: a later pass looks again
        except PostError as exc:
            self._unreadable(row, KIND_LESSON, exc)
            return None
        for message in messages:
            if carries(message, row.key, KIND_LESSON):
                logger.info("reconciled %s: lesson already posted", row.key)
                return str(message["ts"])
        return None

    async def _find_reply(self, row: Delivery) -> str | None:
        """The ts of this delivery's question reply if it already reached the thread."""
        return await self._find_in_thread(row, KIND_QUESTION)

    async def _find_in_thread(self, row: Delivery, kind: str) -> str | None:
        """The ts of this delivery's reply of `kind` if it already reached the thread."""
        assert row.message_ts is not None
        message_ts = row.message_ts
        try:
            thread = await self._patient(lambda: self.slack.thread(row.channel_id, message_ts))
        except (Uncertain, RateLimited):
            raise  # transient: a later pass looks again
        except PostError as exc:
            self._unreadable(row, KIND_QUESTION, exc)
            return None
        for message in thread:
            if message.get("ts") != message_ts and carries(message, row.key, kind):
                logger.info("reconciled %s: %s already posted", row.key, kind)
                return str(message["ts"])
        return None

    async def _patient(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run a read, waiting out 429s (Retry-After) a bounded number of times."""
        for _ in range(MAX_RATE_LIMITED):
            try:
                return await call()
            except RateLimited as exc:
                await self.sleep(exc.retry_after)
        return await call()

    async def _paced(self, channel: str, post: Callable[[], Awaitable[str]]) -> str:
        await self.pacer.wait(channel)
        try:
            return await post()
        finally:
            self.pacer.answered(channel)

    async def _send(
        self,
        channel: str,
        post: Callable[[], Awaitable[str]],
        find: Callable[[], Awaitable[str | None]],
    ) -> str:
        """Post once: wait out 429s; after a 5xx or timeout look in the channel before trying
        again, so a message that did arrive is never sent twice."""
        limited = uncertain = 0
        while True:
            try:
                return await self._paced(channel, post)
            except RateLimited as exc:
                limited += 1
                if limited > MAX_RATE_LIMITED:
                    raise
                logger.info("rate limited in %s; retrying after %.1fs", channel, exc.retry_after)
                await self.sleep(exc.retry_after)
            except Uncertain as exc:
                uncertain += 1
                logger.warning("post to %s uncertain (%s); checking the channel", channel,
                               exc.code)  # fmt: skip
                found = await find()
                if found is not None:
                    return found
                if uncertain > MAX_UNCERTAIN:
                    raise
                await self.sleep(BACKOFF[min(uncertain, len(BACKOFF)) - 1])
