"""`/mlops suggest`, `/mlops suggestions` and moderation: the team grows the catalog.

Flow: parse and check the input at once (bad input changes nothing), answer "Checking the
link…", then in the follow-up fetch the title, store the pending suggestion and post it to the
review channel. A moderator's decision is recorded atomically, shown on the review message,
sent to the suggester, and an approved resource becomes searchable immediately.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from bot import blocks, texts
from bot.blocks import suggestions as kit
from bot.core import suggestions as core
from bot.core.catalog import Catalog
from bot.core.models import Resource
from bot.fetch import TitleFetcher
from bot.router import CommandRequest, Reply, Router, UserError, notice
from bot.services import Services
from bot.store import suggestions as store

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.settings import Settings

logger = logging.getLogger(__name__)

PENDING_SHOWN = 10


def _engine(services: Services) -> AsyncEngine:
    if services.engine is None:  # open_services always provides one
        raise RuntimeError("suggestions need the database")
    return services.engine


def fetcher_for(services: Services) -> TitleFetcher:
    """The services' title fetcher, built from settings on first use."""
    if services.fetcher is None:
        services.fetcher = TitleFetcher(services.settings.allowed_fetch_hosts)
    return services.fetcher


# ------------------------------------------------------------------------------ suggesting


async def start_suggestion(services: Services, request: CommandRequest, args: str) -> Reply:
    """Check a suggestion synchronously; the follow-up fetches, stores and posts it."""
    settings = services.settings
    if settings.suggest_limit == 0:
        raise UserError(texts.SUGGEST_OFF)
    try:
        suggestion = core.parse_suggestion(
            args, services.catalog.topics, settings.allowed_fetch_hosts
        )
    except core.InvalidSuggestion as exc:
        raise UserError(blocks.escape(exc.message)) from None
    await _refuse_duplicate(services, suggestion)
    now = services.clock()
    engine = _engine(services)
    recent = await store.count_since(engine, request.user_id, core.limit_window_start(now))
    if core.over_limit(recent, settings.suggest_limit):
        raise UserError(texts.SUGGEST_LIMIT.format(limit=settings.suggest_limit))

    async def followup() -> Reply:
        return await finish_suggestion(services, request, suggestion, now)

    reply = notice(texts.SUGGEST_CHECKING)
    reply.followup = followup
    return reply


async def _refuse_duplicate(services: Services, suggestion: core.Suggestion) -> None:
    """Answer a known URL with where it already is (catalog, pending or rejected)."""
    known = services.catalog.by_url(suggestion.url)
    if known is not None:
        raise UserError(
            texts.SUGGEST_IN_CATALOG.format(
                title=blocks.link(known.url, known.title), topic=blocks.escape(known.primary_topic)
            )
        )
    row = await store.find_by_url(_engine(services), suggestion.url_hash)
    if row is None:
        return
    if row.status == store.PENDING:
        raise UserError(texts.SUGGEST_PENDING)
    if row.status == store.REJECTED:
        raise UserError(texts.SUGGEST_REJECTED)
    topic = row.topics[0] if row.topics else store.DEFAULT_TOPIC
    raise UserError(
        texts.SUGGEST_IN_CATALOG.format(
            title=blocks.link(row.url, row.title), topic=blocks.escape(topic)
        )
    )


async def finish_suggestion(
    services: Services, request: CommandRequest, suggestion: core.Suggestion, now: datetime
) -> Reply:
    """Fetch the title, store the suggestion and post it for review; say what happened."""
    result = await fetcher_for(services).fetch_title(suggestion.url)
    title = core.clean_title(result.title, suggestion.url)
    engine = _engine(services)
    try:
        suggestion_id = await store.add_suggestion(
            engine,
            suggestion,
            team_id=request.team_id,
            user_id=request.user_id,
            channel_id=request.channel_id or None,
            title=title,
            fetch_ok=result.ok,
            now=now,
        )
    except store.DuplicateSuggestion:
        return notice(texts.SUGGEST_RACE)
    row = await store.get(engine, suggestion_id)
    assert row is not None
    await _post_for_review(services, row)
    text = texts.SUGGEST_THANKS.format(title=f"*{blocks.escape(title)}*")
    if suggestion.topics:
        text += f" ({blocks.escape(kit.topic_list(suggestion.topics))})"
    if not result.ok:
        text += "\n" + texts.SUGGEST_NO_TITLE.format(
            reason=blocks.escape(result.reason or "unknown reason"),
            url=blocks.escape(suggestion.url),
        )
    return notice(text)


async def _post_for_review(services: Services, row: store.SuggestionRow) -> None:
    channel = services.settings.review_channel
    if not channel or services.slack is None:
        logger.info("suggestion %d stored; no review channel to post it to", row.id)
        return
    ts = await services.slack.post_review(
        channel, kit.review_text(row), kit.build_review(row, services.catalog.topics)
    )
    if ts:
        await store.set_review_message(_engine(services), row.id, channel, ts)


# ------------------------------------------------------------------------------ moderating


def is_moderator(services: Services, user_id: str) -> bool:
    return user_id in services.settings.admin_ids


async def list_pending(services: Services, request: CommandRequest) -> Reply:
    """`/mlops suggestions`: pending suggestions with their buttons, for moderators only."""
    if not services.settings.admin_ids:
        raise UserError(texts.NO_MODERATORS)
    if not is_moderator(services, request.user_id):
        raise UserError(texts.ONLY_MODERATORS)
    rows, total = await store.pending(_engine(services), PENDING_SHOWN)
    return Reply(
        text=blocks.fallback(f"{total} suggestion(s) waiting for review"),
        blocks=kit.build_pending_list(rows, total, services.catalog.topics),
    )


Outcome = Literal["denied", "missing", "already", "decided"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    row: store.SuggestionRow | None = None

    def message(self) -> str:
        """What to tell the moderator who clicked (mrkdwn)."""
        if self.outcome == "denied":
            return texts.ONLY_MODERATORS
        if self.outcome == "missing" or self.row is None:
            return texts.SUGGESTION_GONE
        if self.outcome == "already":
            return texts.ALREADY_DECIDED.format(decision=kit.decision_line(self.row))
        return kit.decision_line(self.row)


async def check_reviewable(services: Services, suggestion_id: int, moderator: str) -> Decision:
    """Whether `moderator` may decide this suggestion now ('decided' means: go ahead)."""
    if not is_moderator(services, moderator):
        return Decision("denied")
    row = await store.get(_engine(services), suggestion_id)
    if row is None:
        return Decision("missing")
    if row.status != store.PENDING:
        return Decision("already", row)
    return Decision("decided", row)


async def decide(
    services: Services,
    suggestion_id: int,
    moderator: str,
    *,
    approve: bool,
    reason: str | None = None,
    notify: bool = True,
) -> Decision:
    """Approve or reject once (the first of two racing moderators wins), then tell everyone."""
    check = await check_reviewable(services, suggestion_id, moderator)
    if check.outcome != "decided" or check.row is None:
        return check
    engine = _engine(services)
    won = await store.decide(
        engine,
        suggestion_id,
        approve=approve,
        moderator=moderator,
        now=services.clock(),
        reason=reason,
        new_resource_id=core.resource_id(suggestion_id, check.row.title) if approve else None,
    )
    row = await store.get(engine, suggestion_id)
    assert row is not None
    if not won:
        return Decision("already", row)
    if approve:
        publish(services, row)
    if notify:
        await announce(services, row)
    return Decision("decided", row)


def publish(services: Services, row: Any) -> Resource | None:
    """Add an approved suggestion to the catalog and search index (unless already there)."""
    try:
        resource = store.row_to_resource(row)
    except ValidationError:
        logger.exception("approved suggestion %s is not a valid resource", row.id)
        return None
    catalog = services.catalog
    if catalog.by_url(resource.url) is not None or catalog.resource(resource.id) is not None:
        return None
    catalog.add(resource)
    services.index.add(resource)
    return resource


async def announce(services: Services, row: store.SuggestionRow) -> None:
    """Show the decision on the review message and DM the suggester (best effort)."""
    if services.slack is None:
        return
    topics = services.catalog.topics
    if row.review_channel and row.review_ts:
        await services.slack.update_review(
            row.review_channel, row.review_ts, kit.review_text(row), kit.build_review(row, topics)
        )
    await services.slack.notify_user(row.user_id, kit.outcome_message(row, topics))


async def load_approved(services: Services) -> None:
    """Startup hook: approved suggestions join the catalog and index (after restarts too)."""
    if services.engine is None:
        return
    added = sum(
        publish(services, row) is not None for row in await store.approved_rows(services.engine)
    )
    if added:
        logger.info("loaded %d community resources", added)


REFRESH_SECONDS = 60.0


@asynccontextmanager
async def community_refresh(
    services: Services, interval: float = REFRESH_SECONDS
) -> AsyncIterator[asyncio.Task[None]]:
    """BACKGROUND entry for `serve`: pick up approvals made on other replicas every minute."""

    async def refresh_forever() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await load_approved(services)
            except Exception:  # a database hiccup must not end the refresher; next round retries
                logger.exception("refreshing community resources failed")

    task = asyncio.create_task(refresh_forever(), name="community-refresh")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ------------------------------------------------------------------------------ wiring


def register(router: Router, services: Services) -> None:
    async def on_suggest(request: CommandRequest, args: str) -> Reply:
        return await start_suggestion(services, request, args)

    async def on_suggestions(request: CommandRequest, args: str) -> Reply:
        return await list_pending(services, request)

    router.add("suggest", on_suggest)
    router.add("suggestions", on_suggestions)


# ------------------------------------------------------------------------------ CLI


async def exportable(settings: Settings, content: Catalog) -> list[Resource]:
    """Approved suggestions not yet in content/ (earlier exports included), oldest first."""
    from bot.store.engine import create_engine, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        rows = await store.approved_rows(engine)
    finally:
        await engine.dispose()
    resources = []
    for row in rows:
        try:
            resource = store.row_to_resource(row)
        except ValidationError:
            logger.warning("skipping approved suggestion %d: not a valid resource", row.id)
            continue
        shipped = content.by_url(resource.url)
        # Skip what maintainers already moved into other content files.
        if shipped is None or shipped.community:
            resources.append(resource)
    return resources


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write approved suggestions as a resources-only content file (or to stdout)."""
    from bot.cli import _load_or_report

    content = _load_or_report(settings)
    if content is None:
        return 1
    resources = asyncio.run(exportable(settings, content))
    document = core.export_document(resources)
    if args.out in (None, "-"):
        sys.stdout.write(document)
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(f"wrote {len(resources)} resource(s) to {out}", file=sys.stderr)
    return 0


def add_cli(subparsers: Any) -> None:
    """`mlops-bot suggestions export [--out PATH]`."""
    parser = subparsers.add_parser("suggestions", help="community suggestions")
    sub = parser.add_subparsers(dest="suggestions_command", required=True)
    exp = sub.add_parser(
        "export", help="write approved suggestions as a content file (for content/topics/)"
    )
    exp.add_argument("--out", default="-", help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_export)
