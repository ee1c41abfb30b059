"""`/mlops stats` and `mlops-bot stats`: how a channel's weekly lessons are going.

For the last 8 weeks: each lesson posted, its thread's replies and repliers (read back with
conversations.replies; the bot's own messages are not counted), and its quiz's participation
and accuracy (from the quiz tables, once they exist). For the workspace: the topics searched
most this month and what people searched for and did not find, from the search log, which
keeps only normalised query text, topic, matched or not, team and day — never who searched.
Viewing stats is open to everyone; App Home shows them to moderators.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot import texts
from bot.blocks import stats as kit
from bot.blocks.schedule import channel_label
from bot.core import curriculum
from bot.core.stats import (
    ChannelStats,
    LessonStats,
    month_start,
    normalise_query,
    window_start,
)
from bot.router import ActionRequest, CliCommand, CommandRequest, Feature, Job, Reply, notice
from bot.services import Services
from bot.slack.gateway import PostError
from bot.store import deliveries, quiz_summary, search_log
from bot.store.deliveries import Delivery

logger = logging.getLogger(__name__)

LOG_BUDGET = 0.5  # seconds a search may spend being logged before the answer goes out
FLUSH_JOB = "stats:flush-search-log"
FLUSH_SECONDS = 10.0
MAX_PENDING = 10_000
PRUNE_JOB = "stats:prune-search-log"
PRUNE_AT_START_JOB = "stats:prune-search-log:start"


# -- the search log ------------------------------------------------------------------------


async def log_search(services: Services, team_id: str, query: str) -> None:
    """Note one search for the stats (off with MLOPS_SEARCH_LOG=off); never fails a search."""
    if not services.settings.search_log:
        return
    text = normalise_query(query)
    if not text:
        return
    try:
        # The index caches its ranking per query, so this does not search a second time.
        results = services.index.search(query, limit=1)
        topic = results.topics[0].id if results.topics else None
        if topic is None and results.hits:
            topic = results.hits[0].resource.primary_topic
        pending = services.search_log_pending
        if len(pending) < MAX_PENDING:  # a database down for long loses searches, not memory
            pending.append(
                search_log.row(
                    team_id=team_id,
                    day=services.clock().date(),
                    query=text,
                    topic=topic,
                    matched=bool(results.hits),
                )
            )
    except Exception:  # best effort: the person gets their answer whatever happens here
        logger.warning("could not log a search", exc_info=True)


async def flush_search_log(services: Services) -> None:
    """Write the searches noted since the last flush (a job, at shutdown, before stats)."""
    pending = services.search_log_pending
    if not pending:
        return
    rows = pending[:]
    del pending[: len(rows)]
    try:
        async with asyncio.timeout(LOG_BUDGET * 4):
            await search_log.record_many(services.engine, rows)
    except Exception:  # the log is best effort; the rows are put back for the next flush
        logger.warning("could not write %d logged searches; will retry", len(rows))
        pending[:0] = rows[: max(0, MAX_PENDING - len(pending))]


async def prune_search_log(services: Services) -> int:
    """Daily job: forget searches older than MLOPS_SEARCH_LOG_DAYS."""
    keep = services.settings.search_log_days
    before = services.clock().date() - timedelta(days=keep)
    removed = await search_log.prune(services.engine, before)
    if removed:
        logger.info("search log: forgot %d search(es) older than %d days", removed, keep)
    return removed


async def _prune_job(services: Services) -> None:
    await prune_search_log(services)


# -- figures -------------------------------------------------------------------------------


async def search_figures(services: Services, team_id: str) -> ChannelStats:
    """The workspace's search figures: top topics this month, and the searches that failed."""
    settings = services.settings
    if not settings.search_log:
        return ChannelStats(channel_id="", logging=False, gap_days=settings.search_log_days)
    await flush_search_log(services)
    now = services.clock()
    engine = services.engine
    month = month_start(now)
    gaps_since = now.date() - timedelta(days=settings.search_log_days)
    return ChannelStats(
        channel_id="",
        top_topics=await search_log.top_topics(engine, team_id, month),
        gaps=await search_log.unmatched(engine, team_id, gaps_since, kit.MAX_GAPS),
        searches=await search_log.count_since(engine, team_id, month),
        gap_days=settings.search_log_days,
    )


async def _thread_figures(
    services: Services, row: Delivery, bot_user: str
) -> tuple[int | None, int | None]:
    """Replies and distinct repliers in a lesson's thread, leaving out the bot's messages."""
    if services.slack is None or not row.message_ts:
        return None, None
    try:
        thread = await services.slack.thread(row.channel_id, row.message_ts)
    except PostError as exc:
        logger.info("no thread figures for %s: %s", row.key, exc.code)
        return None, None
    people = [
        str(m.get("user") or "")
        for m in thread
        if m.get("ts") not in (row.message_ts, row.reply_ts)
        and not m.get("bot_id")
        and m.get("subtype") != "bot_message"
        and m.get("user") not in ("", None, bot_user)
    ]
    return len(people), len(set(people))


async def _lesson_stats(services: Services, row: Delivery, bot_user: str) -> LessonStats:
    pick = curriculum.pick(services.catalog.lessons, row.position, row.season)
    replies, repliers = await _thread_figures(services, row, bot_user)
    quiz = await quiz_summary.quiz_tally(
        services.engine, row.team_id, row.channel_id, row.message_ts or ""
    )
    return LessonStats(
        number=pick.number,
        title=pick.lesson.title,
        posted_at=row.due_at,
        replies=replies,
        repliers=repliers,
        quiz=quiz,
    )


async def channel_stats(services: Services, team_id: str, channel_id: str) -> ChannelStats:
    """Everything `/mlops stats` shows for one channel."""
    since = window_start(services.clock())
    posted = [
        row
        for row in await deliveries.for_channel(services.engine, team_id, channel_id)
        if row.message_ts and row.due_at >= since
    ]
    lessons: list[LessonStats] = []
    if posted and services.catalog.lessons:
        bot_user = await services.slack.bot_user_id() if services.slack is not None else ""
        lessons = list(
            await asyncio.gather(*(_lesson_stats(services, row, bot_user) for row in posted))
        )
    search = await search_figures(services, team_id)
    return ChannelStats(
        channel_id=channel_id,
        lessons=lessons,
        top_topics=search.top_topics,
        gaps=search.gaps,
        searches=search.searches,
        logging=search.logging,
        gap_days=search.gap_days,
    )


# -- surfaces ------------------------------------------------------------------------------


async def on_stats(services: Services, request: CommandRequest, args: str) -> Reply:
    channel = request.channel_id
    if request.is_dm and services.slack is not None:
        channel = await services.slack.open_dm(request.user_id)
    figures = await channel_stats(services, request.team_id, channel)
    return Reply(
        text=kit.stats_text(figures), blocks=kit.build_stats(figures, channel_label(channel))
    )


async def on_channel_stats(services: Services, action: ActionRequest) -> Reply | None:
    """A channel's Stats button in moderators' App Home: the same figures in a modal.

    Anyone sees the stats of a channel they are in with `/mlops stats`; any channel's, by id,
    only moderators (a forged button must not reveal a private channel's figures)."""
    if action.user_id not in services.settings.admin_ids and not action.from_console:
        return notice(texts.ONLY_MODERATORS_STATS)
    channel = action.value.strip()
    figures = await channel_stats(services, action.team_id, channel)
    where = channel_label(channel)
    if action.from_console:
        return Reply(text=kit.stats_text(figures), blocks=kit.build_stats(figures, where))
    return Reply(text=kit.stats_text(figures), modal=kit.build_stats_modal(figures, where))


def _cli_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", required=True, help="the workspace id (T…)")
    parser.add_argument("--channel", required=True, help="the channel id (C…)")
    parser.add_argument("--json", action="store_true", help="print JSON")


async def cmd_stats(args: argparse.Namespace, services: Services) -> int:
    """Print a channel's stats (thread figures need SLACK_BOT_TOKEN; the rest does not)."""
    figures = await channel_stats(services, args.team, args.channel)
    if args.json:
        document: Mapping[str, Any] = kit.as_json(figures)
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(kit.as_text(figures))
    return 0


FEATURE = Feature(
    name="stats",
    on_stop=(flush_search_log,),
    commands={"stats": on_stats},
    actions={kit.ACTION_CHANNEL_STATS: on_channel_stats},
    jobs=(
        Job(FLUSH_JOB, flush_search_log, every=lambda _settings: FLUSH_SECONDS),
        Job(PRUNE_JOB, _prune_job, every=lambda _settings: 24 * 3600.0),
        Job(PRUNE_AT_START_JOB, _prune_job),
    ),
    cli=(
        CliCommand(
            "stats",
            "",
            "print a channel's stats: lessons, threads, quiz, searches",
            cmd_stats,
            _cli_args,
            slack_if_configured=True,
        ),
    ),
)
