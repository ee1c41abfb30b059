"""`/mlops suggest`, `/mlops suggestions` and moderation: the team grows the catalog.

Flow: parse and check the input at once (bad input changes nothing), answer "Checking the
link…", then in the follow-up fetch the title, store the pending suggestion and post it to the
review channel. A moderator's decision is recorded atomically, shown on the review message,
sent to the suggester, and an approved resource becomes searchable immediately.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

import bot.features.home as home
from bot import blocks, texts
from bot.blocks import suggestions as suggestion_blocks
from bot.core import suggestions as suggestion_rules
from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.core.models import Resource
from bot.features.admin import is_moderator as moderates
from bot.features.admin import moderators, review_channel
from bot.router import (
    ActionRequest,
    CliCommand,
    CommandRequest,
    Feature,
    Job,
    Reply,
    UserError,
    ViewRequest,
    ViewResult,
    notice,
)
from bot.services import Services
from bot.store import events
from bot.store import suggestions as suggestion_store

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

PENDING_SHOWN = 10


def _engine(services: Services) -> AsyncEngine:
    return services.engine


# ------------------------------------------------------------------------------ suggesting


async def start_suggestion(services: Services, request: CommandRequest, args: str) -> Reply:
    """Check a suggestion synchronously; the follow-up fetches, stores and posts it."""
    settings = services.settings
    if settings.suggest_limit == 0:
        raise UserError(texts.SUGGEST_OFF)
    try:
        suggestion = suggestion_rules.parse_suggestion(
            args, services.catalog.topics, settings.allowed_fetch_hosts
        )
    except suggestion_rules.InvalidSuggestion as exc:
        raise UserError(blocks.escape(exc.message)) from None
    await _refuse_duplicate(services, suggestion)
    now = services.clock()
    engine = _engine(services)
    recent = await suggestion_store.count_since(
        engine, request.user_id, suggestion_rules.limit_window_start(now)
    )
    if suggestion_rules.over_limit(recent, settings.suggest_limit):
        raise UserError(texts.SUGGEST_LIMIT.format(limit=settings.suggest_limit))

    async def followup() -> Reply:
        return await finish_suggestion(services, request, suggestion, now)

    reply = notice(texts.SUGGEST_CHECKING)
    reply.followup = followup
    return reply


async def _refuse_duplicate(services: Services, suggestion: suggestion_rules.Suggestion) -> None:
    """Answer a known URL with where it already is (catalog, pending or rejected)."""
    known = services.catalog.by_url(suggestion.url)
    if known is not None:
        raise UserError(
            texts.SUGGEST_IN_CATALOG.format(
                title=blocks.link(known.url, known.title), topic=blocks.escape(known.primary_topic)
            )
        )
    row = await suggestion_store.find_by_url(_engine(services), suggestion.url_hash)
    if row is None:
        return
    if row.status == suggestion_store.PENDING:
        raise UserError(texts.SUGGEST_PENDING)
    if row.status == suggestion_store.REJECTED:
        raise UserError(texts.SUGGEST_REJECTED)
    topic = row.topics[0] if row.topics else suggestion_store.DEFAULT_TOPIC
    raise UserError(
        texts.SUGGEST_IN_CATALOG.format(
            title=blocks.link(row.url, row.title), topic=blocks.escape(topic)
        )
    )


async def finish_suggestion(
    services: Services,
    request: CommandRequest,
    suggestion: suggestion_rules.Suggestion,
    now: datetime,
) -> Reply:
    """Fetch the title, store the suggestion and post it for review; say what happened."""
    result = await services.fetcher.fetch_title(suggestion.url)
    title = suggestion_rules.clean_title(result.title, suggestion.url)
    engine = _engine(services)
    try:
        suggestion_id = await suggestion_store.add_suggestion(
            engine,
            suggestion,
            team_id=request.team_id,
            user_id=request.user_id,
            channel_id=request.channel_id or None,
            title=title,
            fetch_ok=result.ok,
            now=now,
        )
    except suggestion_store.DuplicateSuggestion:
        return notice(texts.SUGGEST_RACE)
    row = await suggestion_store.get(engine, suggestion_id)
    assert row is not None
    await _post_for_review(services, row)
    text = texts.SUGGEST_THANKS.format(title=f"*{blocks.escape(title)}*")
    if suggestion.topics:
        text += f" ({blocks.escape(suggestion_blocks.topic_list(suggestion.topics))})"
    if not result.ok:
        text += "\n" + texts.SUGGEST_NO_TITLE.format(
            reason=blocks.escape(result.reason or "unknown reason"),
            url=blocks.escape(suggestion.url),
        )
    return notice(text)


async def _post_for_review(services: Services, row: suggestion_store.SuggestionRow) -> None:
    channel = await review_channel(services, row.team_id)
    if not channel or services.slack is None:
        logger.info("suggestion %d stored; no review channel to post it to", row.id)
        return
    ts = await services.slack.post_review(
        channel,
        suggestion_blocks.review_text(row),
        suggestion_blocks.build_review(row, services.catalog.topics),
    )
    if ts:
        await suggestion_store.set_review_message(_engine(services), row.id, channel, ts)


# ------------------------------------------------------------------------------ moderating


async def is_moderator(services: Services, team_id: str, user_id: str) -> bool:
    return await moderates(services, team_id, user_id)


async def list_pending(services: Services, request: CommandRequest) -> Reply:
    """`/mlops suggestions`: pending suggestions with their buttons, for moderators only."""
    if not await moderators(services, request.team_id):
        raise UserError(texts.NO_MODERATORS)
    if not await is_moderator(services, request.team_id, request.user_id):
        raise UserError(texts.ONLY_MODERATORS)
    rows, total = await suggestion_store.pending(_engine(services), PENDING_SHOWN)
    return Reply(
        text=blocks.fallback(f"{total} suggestion(s) waiting for review"),
        blocks=suggestion_blocks.build_pending_list(rows, total, services.catalog.topics),
    )


Outcome = Literal["denied", "missing", "already", "ok"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    row: suggestion_store.SuggestionRow | None = None

    def message(self) -> str:
        """What to tell the moderator who clicked (mrkdwn)."""
        if self.outcome == "denied":
            return texts.ONLY_MODERATORS
        if self.outcome == "missing" or self.row is None:
            return texts.SUGGESTION_GONE
        if self.outcome == "already":
            return texts.ALREADY_DECIDED.format(decision=suggestion_blocks.decision_line(self.row))
        return suggestion_blocks.decision_line(self.row)


async def check_reviewable(services: Services, suggestion_id: int, moderator: str) -> Decision:
    """Whether `moderator` may decide this suggestion now ('ok' means: go ahead)."""
    row = await suggestion_store.get(_engine(services), suggestion_id)
    if not await is_moderator(services, row.team_id if row else "", moderator):
        return Decision("denied")
    if row is None:
        return Decision("missing")
    if row.status != suggestion_store.PENDING:
        return Decision("already", row)
    return Decision("ok", row)


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
    if check.outcome != "ok" or check.row is None:
        return check
    engine = _engine(services)
    won = await suggestion_store.decide(
        engine,
        suggestion_id,
        approve=approve,
        moderator=moderator,
        now=services.clock(),
        reason=reason,
        new_resource_id=suggestion_rules.resource_id(suggestion_id, check.row.title)
        if approve
        else None,
    )
    row = await suggestion_store.get(engine, suggestion_id)
    assert row is not None
    if not won:
        return Decision("already", row)
    if approve:
        publish(services, row)
    if notify:
        await announce(services, row)
    return Decision("ok", row)


def publish(services: Services, row: Any) -> Resource | None:
    """Add an approved suggestion to the catalog and search index (unless already there)."""
    try:
        resource = suggestion_store.row_to_resource(row)
    except ValidationError:
        logger.exception("approved suggestion %s is not a valid resource", row.id)
        return None
    catalog = services.catalog
    if catalog.by_url(resource.url) is not None or catalog.resource(resource.id) is not None:
        return None
    catalog.add(resource)
    services.index.add(resource)
    return resource


async def announce(services: Services, row: suggestion_store.SuggestionRow) -> None:
    """Show the decision on the review message and DM the suggester (best effort)."""
    if services.slack is None:
        return
    topics = services.catalog.topics
    if row.review_channel and row.review_ts:
        await services.slack.update_review(
            row.review_channel,
            row.review_ts,
            suggestion_blocks.review_text(row),
            suggestion_blocks.build_review(row, topics),
        )
    await services.slack.notify_user(row.user_id, suggestion_blocks.outcome_message(row, topics))


async def load_approved(services: Services) -> None:
    """Startup hook: approved suggestions join the catalog and index (after restarts too)."""
    added = sum(
        publish(services, row) is not None
        for row in await suggestion_store.approved_rows(services.engine)
    )
    if added:
        logger.info("loaded %d community resources", added)


REFRESH_SECONDS = 60.0


async def refresh_community(services: Services) -> None:
    """Job: pick up approvals made on other replicas (every minute while `serve` runs)."""
    await load_approved(services)


async def forget_old_events(services: Services) -> None:
    """Drop mention event ids older than Slack's retry window (they are never re-delivered)."""
    await events.forget_old_events(services.engine, services.clock())


# ------------------------------------------------------------------------------ Slack surfaces


def _suggestion_id(value: str) -> int | None:
    """A positive id that fits the database's integer column, else None."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None


async def on_suggest(services: Services, request: CommandRequest, args: str) -> Reply:
    return await start_suggestion(services, request, args)


async def on_suggestions(services: Services, request: CommandRequest, args: str) -> Reply:
    return await list_pending(services, request)


async def on_approve(services: Services, action: ActionRequest) -> Reply | None:
    suggestion_id = _suggestion_id(action.value)
    if suggestion_id is None:
        return notice(texts.SUGGESTION_GONE)
    decision = await decide(services, suggestion_id, action.user_id, approve=True)
    if action.container == "view":  # from App Home: show it without the decided suggestion
        await home.refresh(services, action.team_id, action.user_id)
    # The review message itself shows the decision; elsewhere (ephemeral list, console,
    # App Home) the moderator is told directly.
    if decision.outcome != "ok" or action.container != "message":
        return notice(decision.message())
    return None


async def on_reject(services: Services, action: ActionRequest) -> Reply | None:
    suggestion_id = _suggestion_id(action.value)
    check = (
        await check_reviewable(services, suggestion_id, action.user_id)
        if suggestion_id
        else Decision("missing")
    )
    if check.outcome != "ok" or check.row is None:
        return notice(check.message())
    modal = suggestion_blocks.build_reject_modal(check.row.id, check.row.title)
    if action.container == "view":  # opened from App Home: refresh it after the decision
        modal["private_metadata"] += FROM_HOME
    return Reply(text=blocks.fallback("Reject suggestion"), modal=modal)


FROM_HOME = ":home"


async def on_reject_submit(services: Services, view: ViewRequest) -> ViewResult:
    raw = view.private_metadata
    from_home = raw.endswith(FROM_HOME)
    suggestion_id = _suggestion_id(raw.removesuffix(FROM_HOME))
    if suggestion_id is None:
        return ViewResult(update=blocks.build_info_modal(texts.SUGGESTION_GONE, "Suggestion"))
    decision = await decide(
        services,
        suggestion_id,
        view.user_id,
        approve=False,
        reason=suggestion_blocks.read_reason(view.values) or None,
        notify=False,  # Slack closes the modal only when we answer; tell people after
    )
    if decision.outcome != "ok" or decision.row is None:
        return ViewResult(update=blocks.build_info_modal(decision.message(), "Suggestion"))
    row = decision.row

    async def after() -> Reply | None:
        await announce(services, row)
        if from_home:
            await home.refresh(services, view.team_id, view.user_id)
        return notice(decision.message())

    return ViewResult(after=after)


# ------------------------------------------------------------------------------ CLI


async def exportable(services: Services, content: Catalog) -> list[Resource]:
    """Approved suggestions not yet in content/ (earlier exports included), oldest first."""
    resources = []
    for row in await suggestion_store.approved_rows(services.engine):
        try:
            resource = suggestion_store.row_to_resource(row)
        except ValidationError:
            logger.warning("skipping approved suggestion %d: not a valid resource", row.id)
            continue
        shipped = content.by_url(resource.url)
        # Skip what maintainers already moved into other content files.
        if shipped is None or shipped.community:
            resources.append(resource)
    return resources


async def cmd_export(args: argparse.Namespace, services: Services) -> int:
    """Write approved suggestions as a resources-only content file (or to stdout)."""
    content = load_catalog(services.settings.content_dir)
    resources = await exportable(services, content)
    document = suggestion_rules.export_document(resources)
    if args.out in (None, "-"):
        sys.stdout.write(document)
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")  # noqa: ASYNC240 - a one-shot CLI command
    print(f"wrote {len(resources)} resource(s) to {out}", file=sys.stderr)
    return 0


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="-", help="file to write (default: standard output)")


FEATURE = Feature(
    name="suggestions",
    commands={"suggest": on_suggest, "suggestions": on_suggestions},
    actions={
        suggestion_blocks.ACTION_APPROVE: on_approve,
        suggestion_blocks.ACTION_REJECT: on_reject,
    },
    views={suggestion_blocks.REJECT_CALLBACK: on_reject_submit},
    jobs=(Job("community:refresh", refresh_community, every=lambda _settings: REFRESH_SECONDS),),
    cli=(
        CliCommand(
            "suggestions",
            "export",
            "write approved suggestions as a content file (for content/topics/)",
            cmd_export,
            _export_args,
        ),
    ),
    on_start=(load_approved, forget_old_events),
)
