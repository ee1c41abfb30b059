"""Block Kit for App Home: one person's view of the bot in this workspace.

The view is built from plain data (`HomeData`) by one pure function, paginated so it stays
within Slack's 100 blocks whatever the number of channels and suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks import (
    Block,
    button,
    context,
    divider,
    escape,
    header,
    plain,
    section,
    text_input,
)
from bot.blocks.schedule import schedule_button
from bot.blocks.stats import search_sections, stats_button
from bot.blocks.suggestions import build_review
from bot.core.models import Topic
from bot.core.stats import ChannelStats, QuizRecord
from bot.core.suggestions import SuggestionRow

ACTION_HOME_PAGE = "home_page"
ACTION_READ_LESSON = "home_read_lesson"
ACTION_SEARCH = "home_search"
SEARCH_CALLBACK = "home_search_modal"
QUERY_BLOCK = "home_query"
CHANNELS_PER_PAGE = 5
SUGGESTIONS_PER_PAGE = 5
MAX_HOME_BLOCKS = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class HomePage:
    """Which page of channels and of suggestions is shown (1-based)."""

    channels: int = 1
    suggestions: int = 1

    def value(self) -> str:
        return f"c{self.channels}.s{self.suggestions}"


def read_page(value: str) -> HomePage:
    """A page from a button value ('c2.s1'); page 1 for anything else."""
    try:
        c, s = value.split(".")
        channels, suggestions = int(c.removeprefix("c")), int(s.removeprefix("s"))
    except ValueError:
        return HomePage()
    return HomePage(min(max(channels, 1), MAX_PAGE), min(max(suggestions, 1), MAX_PAGE))


@dataclass(frozen=True)
class HomeChannel:
    """A subscribed channel (or the person's personal digest) as Home shows it."""

    channel_id: str
    label: str  # mrkdwn: a channel mention, or "your personal digest"
    schedule: str  # "Tuesdays at 09:30 (Europe/Berlin)"
    status: str
    next_post: str | None  # in the channel's zone; None when not active
    lesson: str  # mrkdwn: "lesson 3 of 52, *Title*"
    season: int
    yours: bool  # the person subscribed it
    can_change: bool


@dataclass(frozen=True)
class HomeData:
    channels: Sequence[HomeChannel]  # this page's
    channel_total: int
    digest: HomeChannel | None
    lesson: str  # mrkdwn line for the current lesson
    lesson_channel: str  # whose current lesson "Read it" opens ("" = lesson 1)
    quiz: QuizRecord | None
    moderator: bool
    suggestions: Sequence[SuggestionRow]  # this page's
    suggestion_total: int
    topics: Mapping[str, Topic]
    search: ChannelStats | None  # the workspace's search figures (moderators)
    page: HomePage


def _channel_text(item: HomeChannel) -> str:
    lines = [f"*{item.label}* — {escape(item.schedule)}"]
    if item.next_post:
        lines.append(f"Next post: {escape(item.next_post)}")
    else:
        lines.append(f"Status: {escape(item.status)}")
    season = f" · season {item.season}" if item.season > 1 else ""
    lines.append(f"Current: {item.lesson}{season}")
    if item.yours:
        lines.append("_You subscribed it._")
    return "\n".join(lines)


def _channel_blocks(item: HomeChannel, moderator: bool) -> list[Block]:
    blocks: list[Block] = [section(_channel_text(item))]
    elements = []
    if item.can_change:
        elements.append(schedule_button(item.channel_id))
    if moderator and not item.channel_id.startswith("D"):
        elements.append(stats_button(item.channel_id))
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def _pager(page: HomePage, *, channels: bool, has_more: bool) -> Block | None:
    current = page.channels if channels else page.suggestions
    what = "channels" if channels else "suggestions"
    elements = []
    if current > 1:
        back = (
            HomePage(current - 1, page.suggestions)
            if channels
            else HomePage(page.channels, current - 1)
        )
        elements.append(button(f"◀ Previous {what}", ACTION_HOME_PAGE, back.value()))
    if has_more:
        on = (
            HomePage(current + 1, page.suggestions)
            if channels
            else HomePage(page.channels, current + 1)
        )
        elements.append(button(f"Show more {what}", ACTION_HOME_PAGE, on.value()))
    return {"type": "actions", "elements": elements} if elements else None


def build_home(data: HomeData) -> dict[str, Any]:
    """The Home tab: current lesson, quiz record, search, channels, and moderators' review."""
    read = button("Read it", ACTION_READ_LESSON, data.lesson_channel)
    search = button("Search…", ACTION_SEARCH, "search")
    blocks: list[Block] = [
        header("MLOps learning"),
        {**section(f"*This week's lesson:* {data.lesson}"), "accessory": read},
    ]
    if data.quiz is not None:
        q = data.quiz
        blocks.append(
            context(
                f"Your quiz record: {q.answered} answered, {q.correct} right, streak {q.streak}"
            )
        )
    blocks.append(
        {**section("*Find resources* on any MLOps topic, tool or question."), "accessory": search}
    )
    if data.digest is not None:
        blocks += [divider(), header("Your personal digest")]
        blocks += _channel_blocks(data.digest, moderator=False)
    blocks += [divider(), header(f"Weekly lessons in this workspace ({data.channel_total})")]
    channels = data.channels[:CHANNELS_PER_PAGE]  # one page, whatever the caller passed
    if not channels:
        blocks.append(section("No channel gets weekly lessons yet: run `/mlops subscribe` in one."))
    for item in channels:
        blocks += _channel_blocks(item, data.moderator)
    shown = (data.page.channels - 1) * CHANNELS_PER_PAGE + len(channels)
    if pager := _pager(data.page, channels=True, has_more=shown < data.channel_total):
        blocks.append(pager)
    if data.moderator:
        blocks += _moderator_blocks(data)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _moderator_blocks(data: HomeData) -> list[Block]:
    blocks: list[Block] = [
        divider(),
        header(f"Suggestions waiting for review ({data.suggestion_total})"),
    ]
    rows = data.suggestions[:SUGGESTIONS_PER_PAGE]
    if not rows:
        blocks.append(section("Nothing is waiting for review."))
    for row in rows:
        blocks += build_review(row, data.topics)
    shown = (data.page.suggestions - 1) * SUGGESTIONS_PER_PAGE + len(rows)
    if pager := _pager(data.page, channels=False, has_more=shown < data.suggestion_total):
        blocks.append(pager)
    if data.search is not None:
        blocks += [divider(), header("Stats"), *search_sections(data.search)]
        blocks.append(context("Each channel's lessons and threads: its *Stats* button."))
    return blocks


def build_search_modal() -> dict[str, Any]:
    """The search box: one input; submitting shows the answer in the modal."""
    return {
        "type": "modal",
        "callback_id": SEARCH_CALLBACK,
        "title": plain("Search", 24),
        "submit": plain("Search", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            text_input(
                QUERY_BLOCK,
                "A topic, a tool or a question",
                optional=False,
                multiline=False,
            )
        ],
    }


def build_answer_modal(title: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A read-only modal (a lesson, a search answer); buttons meant for messages are dropped."""
    shown = [b for b in blocks if b.get("type") != "actions"]
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": shown[:MAX_HOME_BLOCKS],
    }
