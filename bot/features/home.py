"""App Home: each person's view of the bot, published when they open the Home tab.

It shows this week's lesson (with a button to read it), their quiz record, a search box, their
personal digest, the workspace's subscribed channels (schedule in each zone, next post,
current lesson, season, and Schedule… where they may change it) and, for moderators, the
pending suggestions with Approve/Reject (the suggestions feature handles those buttons) and
the search stats. Re-published after a change the person makes from it.

Which channels: every channel of the workspace that gets lessons, the person's own first.
Asking Slack which of them the person is in costs one conversations.members call per channel
(or users.conversations, which needs the channels:read/groups:read scopes) on every opening
of the tab; the list itself is in our database. Channels are shown as mentions, which Slack
renders only for people allowed to see the channel, so a private channel's name never shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import bot.features.stats as stats
from bot import blocks
from bot.blocks import home as kit
from bot.blocks import search as search_blocks
from bot.blocks.schedule import channel_label
from bot.core import curriculum
from bot.core.stats import QuizRecord
from bot.features.lessons import Lessons
from bot.features.search import answer
from bot.permissions import may_change
from bot.router import (
    ActionRequest,
    CommandRequest,
    EventRequest,
    Feature,
    Reply,
    ViewRequest,
    ViewResult,
)
from bot.services import Services
from bot.store import quiz_summary, subscriptions
from bot.store import suggestions as suggestion_store
from bot.store.subscriptions import Subscription


async def quiz_record(services: Services, team_id: str, user_id: str) -> QuizRecord | None:
    """The person's quiz record (answered, correct, streak); None while no quiz data exists.

    Read from the quiz answers (practice answers in the console do not count)."""
    return await quiz_summary.quiz_record(services.engine, team_id, user_id)


def _request(services: Services, team_id: str, user_id: str, channel_id: str) -> CommandRequest:
    return CommandRequest(
        text="",
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        source="console" if services.slack is None else "slash",
        is_dm=channel_id.startswith("D"),
    )


class _Rights:
    """Whether the person may change each subscription; users.info is asked at most once."""

    def __init__(self, services: Services, team_id: str, user_id: str) -> None:
        self.services, self.team_id, self.user_id = services, team_id, user_id
        self._privileged: bool | None = None

    async def may_change(self, sub: Subscription) -> bool:
        if sub.created_by == self.user_id:
            return True
        if self._privileged is None:
            probe = _request(self.services, self.team_id, self.user_id, sub.channel_id)
            # Not the subscriber: what is left is moderator, admin or console, the same for all.
            self._privileged = await may_change(self.services, probe, sub)
        return self._privileged


async def _line(
    services: Services, lessons: Lessons, sub: Subscription, rights: _Rights, user_id: str
) -> kit.HomeChannel:
    request = _request(services, sub.team_id, user_id, sub.channel_id)
    pick, _label = await lessons.current(request)
    next_post = None
    if sub.active:
        when, catching_up = await lessons.when_next(sub, services.clock())
        local = when.astimezone(sub.schedule.zone).strftime("%a %d %b %Y, %H:%M %Z")
        next_post = "due now (catching up)" if catching_up else local
    return kit.HomeChannel(
        channel_id=sub.channel_id,
        label=channel_label(sub.channel_id),
        schedule=sub.schedule.describe(),
        status=sub.status,
        next_post=next_post,
        lesson=_lesson(pick),
        season=pick.season,
        yours=sub.created_by == user_id,
        can_change=await rights.may_change(sub),
    )


def _lesson(pick: curriculum.Pick) -> str:
    return f"lesson {pick.number} of {pick.total}, *{blocks.escape(pick.lesson.title)}*"


def _page_of(items: Sequence[Subscription], page: int, size: int) -> Sequence[Subscription]:
    return items[(page - 1) * size : page * size]


async def build_view(
    services: Services, team_id: str, user_id: str, page: kit.HomePage | None = None
) -> dict[str, object]:
    """The person's Home view (page 1 of channels and suggestions unless told otherwise)."""
    page = page or kit.HomePage()
    lessons = Lessons(services)
    rights = _Rights(services, team_id, user_id)
    subs = [
        sub
        for sub in await subscriptions.list_all(services.engine)
        if sub.team_id == team_id and sub.status != subscriptions.UNSUBSCRIBED
    ]
    own_dm = next((s for s in subs if s.is_dm and s.created_by == user_id), None)
    channels = sorted(
        (s for s in subs if not s.is_dm), key=lambda s: (s.created_by != user_id, s.id)
    )
    last_page = max(1, -(-len(channels) // kit.CHANNELS_PER_PAGE))
    page = kit.HomePage(min(page.channels, last_page), page.suggestions)
    shown = [
        await _line(services, lessons, sub, rights, user_id)
        for sub in _page_of(channels, page.channels, kit.CHANNELS_PER_PAGE)
    ]
    digest = await _line(services, lessons, own_dm, rights, user_id) if own_dm else None
    current = digest or (shown[0] if shown else None)
    if current is not None:
        lesson, lesson_channel = current.lesson, current.channel_id
    elif services.catalog.lessons:
        lesson, lesson_channel = _lesson(curriculum.pick(services.catalog.lessons, 0, 1)), ""
    else:
        lesson, lesson_channel = "_no lessons yet_", ""
    moderator = user_id in services.settings.admin_ids
    rows: Sequence[suggestion_store.SuggestionRow] = []
    total = 0
    search = None
    if moderator:
        wanted = page.suggestions * kit.SUGGESTIONS_PER_PAGE
        found, total = await suggestion_store.pending(services.engine, wanted)
        last = max(1, -(-total // kit.SUGGESTIONS_PER_PAGE))
        page = kit.HomePage(page.channels, min(page.suggestions, last))
        rows = found[(page.suggestions - 1) * kit.SUGGESTIONS_PER_PAGE :]
        search = await stats.search_figures(services, team_id)
    data = kit.HomeData(
        channels=shown,
        channel_total=len(channels),
        digest=digest,
        lesson=lesson,
        lesson_channel=lesson_channel,
        quiz=await quiz_record(services, team_id, user_id),
        moderator=moderator,
        suggestions=rows[: kit.SUGGESTIONS_PER_PAGE],
        suggestion_total=total,
        topics=services.catalog.topics,
        search=search,
        page=page,
    )
    return kit.build_home(data)


async def refresh(
    services: Services, team_id: str, user_id: str, page: kit.HomePage | None = None
) -> None:
    """Publish the person's Home again (after a change they made; nothing without Slack)."""
    if services.slack is None or not user_id:
        return
    await services.slack.publish_home(user_id, await build_view(services, team_id, user_id, page))


# -- Slack surfaces ----------------------------------------------------------------------


async def on_home_opened(services: Services, event: EventRequest) -> None:
    """app_home_opened: publish the Home view (the Messages tab needs nothing)."""
    if str(event.event.get("tab") or "home") != "home":
        return
    await refresh(services, event.team_id, event.user_id)


def _as_reply(view: dict[str, object]) -> Reply:
    """Home as a message, for the console (and `/mlops home` anywhere)."""
    shown = list(view.get("blocks") or [])  # type: ignore[call-overload]
    return Reply(text=blocks.fallback("MLOps learning"), blocks=shown[: blocks.MAX_BLOCKS])


async def on_home_command(services: Services, request: CommandRequest, args: str) -> Reply:
    """`/mlops home`: the Home view as an answer (the console has no Home tab)."""
    return _as_reply(await build_view(services, request.team_id, request.user_id))


async def on_page(services: Services, action: ActionRequest) -> Reply | None:
    """Show more / Previous: the same view at another page."""
    page = kit.read_page(action.value)
    view = await build_view(services, action.team_id, action.user_id, page)
    if action.container != "view" or services.slack is None:
        reply = _as_reply(view)
        reply.replace = True
        return reply
    await services.slack.publish_home(action.user_id, view)
    return None


async def on_read_lesson(services: Services, action: ActionRequest) -> Reply | None:
    """Read it: the current lesson of that channel (lesson 1 when none) in a modal."""
    channel = action.value.strip()
    request = _request(services, action.team_id, action.user_id, channel)
    reply = await Lessons(services).lesson(request, "")
    modal = kit.build_answer_modal("This week's lesson", reply.blocks or [])
    return Reply(text=reply.text, modal=modal)


async def on_search_open(services: Services, action: ActionRequest) -> Reply | None:
    return Reply(text=blocks.fallback("Search"), modal=kit.build_search_modal())


async def on_search_submit(services: Services, view: ViewRequest) -> ViewResult:
    """The search box's answer, in the modal (logged like `/mlops <query>`)."""
    query = str(view.values.get(kit.QUERY_BLOCK) or "").strip()
    if not query:
        return ViewResult(errors={kit.QUERY_BLOCK: "Type a topic, a tool or a question."})
    reply = answer(services, query)
    await stats.log_search(services, view.team_id, query)
    shown = reply.blocks or search_blocks.build_help()
    return ViewResult(update=kit.build_answer_modal("Search", shown))


FEATURE = Feature(
    name="home",
    commands={"home": on_home_command},
    actions={
        kit.ACTION_HOME_PAGE: on_page,
        kit.ACTION_READ_LESSON: on_read_lesson,
        kit.ACTION_SEARCH: on_search_open,
    },
    views={kit.SEARCH_CALLBACK: on_search_submit},
    events={"app_home_opened": on_home_opened},
)
