"""The weekly quiz: answer buttons, the live "N answered" count, and `/mlops quiz`.

The digest posts the quiz in each lesson's thread (`bot.digest`); this feature handles the
clicks. A click records the person's answer (the last one counts, until the channel's next
lesson is posted), tells only them whether it was right and why, and refreshes the count on
the quiz message with chat.update, paced: at most one update per message every
`MLOPS_QUIZ_UPDATE_INTERVAL` seconds. A click inside the interval leaves one pending job per
message (`quiz-count:<id>`) that runs when the interval ends and shows the count then, so a
burst of clicks costs one update. The database decides who updates (compare-and-set on the
count last shown), so two replicas never send the same change twice.

`/mlops quiz` shows the channel's current quiz to the person, with the same buttons; a click
there replaces it with the feedback and the quiz again, their answers marked. The
console has no posted lessons, so it shows lesson 1's quiz for practice; those answers are
recorded under the week key `practice` in the console's channel.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.triggers.date import DateTrigger

from bot import texts
from bot.blocks import Block, divider, escape
from bot.blocks import quiz as quiz_blocks
from bot.core import curriculum
from bot.core.models import Lesson, QuizQuestion
from bot.router import (
    CONSOLE_CHANNEL,
    ActionRequest,
    CommandRequest,
    Feature,
    Reply,
    notice,
)
from bot.services import Services
from bot.slack.gateway import PostError, RateLimited, Uncertain
from bot.store import deliveries, subscriptions
from bot.store import quiz as quiz_store
from bot.store.deliveries import Delivery

logger = logging.getLogger(__name__)

COUNT_JOB_PREFIX = "quiz-count:"


def count_job_id(post_id: int) -> str:
    return f"{COUNT_JOB_PREFIX}{post_id}"


async def current_delivery(services: Services, team_id: str, channel_id: str) -> Delivery | None:
    """The channel's latest posted lesson: its quiz is the open one."""
    for row in await deliveries.for_channel(services.engine, team_id, channel_id, limit=10):
        if row.message_ts:
            return row
    return None


def _question(lesson: Lesson, question_id: str) -> QuizQuestion | None:
    return next((q for q in lesson.quiz if q.id == question_id), None)


# -- the live count -------------------------------------------------------------------------


def _schedule_refresh(services: Services, post_id: int, at: datetime) -> None:
    """One pending update per message: a click while one is pending adds nothing."""
    job_id = count_job_id(post_id)
    if services.scheduler.get(job_id) is not None:
        return
    services.scheduler.put(
        job_id, refresh_count, DateTrigger(run_date=at), args=(services, post_id)
    )


async def refresh_count(services: Services, post_id: int) -> None:
    """Show the quiz message's current "N answered": now, or when the pacing interval since
    the last update ends (the job this leaves behind calls this again then)."""
    if services.slack is None:
        return
    engine = services.engine
    interval = services.settings.quiz_update_interval
    for _ in range(3):
        post = await quiz_store.get_post(engine, post_id)
        if post is None:
            return
        count = await quiz_store.participants(engine, post.team_id, post.channel_id, post.week_key)
        if count == post.rendered_count:
            return
        now = services.clock()
        if interval and post.rendered_at is not None:
            due = post.rendered_at + timedelta(seconds=interval)
            if due > now:
                _schedule_refresh(services, post.id, due)
                return
        if not await quiz_store.claim_render(engine, post, count, now=now):
            continue  # another click (or replica) showed a newer count meanwhile: look again
        await _send_count(services, post, count, now)
        return


async def _send_count(
    services: Services, post: quiz_store.QuizPost, count: int, now: datetime
) -> None:
    assert services.slack is not None
    lesson = curriculum.pick(services.catalog.lessons, post.position, post.season).lesson
    blocks = quiz_blocks.build_quiz(lesson, post.week_key, count)
    try:
        async with asyncio.timeout(services.settings.answer_budget / 2):
            await services.slack.single_shot().update_once(
                post.channel_id, post.message_ts, quiz_blocks.quiz_text(lesson), blocks
            )
    except (PostError, TimeoutError) as exc:
        code = exc.code if isinstance(exc, PostError) else "timeout"
        logger.warning("could not update the quiz count in %s: %s", post.channel_id, code)
        await quiz_store.release_render(services.engine, post, count)
        if isinstance(exc, (RateLimited, Uncertain, TimeoutError)):
            wait = exc.retry_after if isinstance(exc, RateLimited) else 0.0
            pause = max(services.settings.quiz_update_interval, wait, 1.0)
            _schedule_refresh(services, post.id, now + timedelta(seconds=pause))


# -- answering ------------------------------------------------------------------------------


async def on_answer(services: Services, request: ActionRequest) -> Reply:
    """A click on an option: record it, tell only the clicker how they did, refresh the count."""
    parsed = quiz_blocks.parse_value(request.value)
    if parsed is None:
        return notice(texts.QUIZ_UNKNOWN)
    week_key, question_id, option = parsed
    team, channel = request.team_id, request.channel_id
    practice = week_key == quiz_store.PRACTICE
    if practice:
        if channel != CONSOLE_CHANNEL or not services.catalog.lessons:
            return notice(texts.QUIZ_UNKNOWN)
        lesson, number = services.catalog.lessons[0], 1
    else:
        row = await deliveries.find(services.engine, team, channel, week_key)
        if row is None or not row.message_ts:
            return notice(texts.QUIZ_UNKNOWN)
        current = await current_delivery(services, team, channel)
        if current is None or current.id != row.id:
            return notice(texts.QUIZ_CLOSED)
        pick = curriculum.pick(services.catalog.lessons, row.position, row.season)
        lesson, number = pick.lesson, pick.number
    question = _question(lesson, question_id)
    if question is None or option >= len(question.options):
        return notice(texts.QUIZ_UNKNOWN)
    correct = option == question.correct_index
    previous = await quiz_store.record_answer(
        services.engine, team_id=team, channel_id=channel, week_key=week_key,
        question_id=question.id, user_id=request.user_id, option_index=option,
        correct=correct, now=services.clock(),
    )  # fmt: skip
    if services.metrics is not None:
        services.metrics.quiz_answer(correct)
    if not practice:
        post = await quiz_store.find_post(services.engine, team, channel, week_key)
        if post is not None:
            await refresh_count(services, post.id)
    changed = previous is not None and previous != option
    blocks = quiz_blocks.build_feedback(question, option, changed=changed, practice=practice)
    text = quiz_blocks.feedback_text(question, option)
    if request.container in ("ephemeral", "console"):
        # Answered from `/mlops quiz`: show it again below the feedback, this answer marked,
        # so the next question is one click (or `press N`) away. Only the clicker sees it.
        quiz = await _personal_quiz(
            services, request.user_id, lesson, number, team, channel, week_key
        )
        return Reply(text=text, blocks=[*blocks, divider(), *quiz], replace=True)
    return Reply(text=text, blocks=blocks)


# -- /mlops quiz ----------------------------------------------------------------------------


async def on_quiz(services: Services, request: CommandRequest, args: str) -> Reply:
    """This channel's current quiz, only to the person, with buttons that answer it."""
    channel = request.channel_id
    if request.is_dm and services.slack is not None:
        channel = await services.slack.open_dm(request.user_id)
    team = request.team_id
    current = await current_delivery(services, team, channel)
    if current is None and channel == CONSOLE_CHANNEL and services.catalog.lessons:
        lesson = services.catalog.lessons[0]
        return await _show(services, request, lesson, 1, team, channel, quiz_store.PRACTICE)
    sub = await subscriptions.get(services.engine, team, channel)
    if sub is None or sub.status == subscriptions.UNSUBSCRIBED:
        return notice(texts.QUIZ_NOT_SUBSCRIBED)
    if current is None:
        return notice(texts.QUIZ_NOTHING_YET)
    pick = curriculum.pick(services.catalog.lessons, current.position, current.season)
    return await _show(services, request, pick.lesson, pick.number, team, channel, current.week_key)


async def _show(
    services: Services,
    request: CommandRequest,
    lesson: Lesson,
    number: int,
    team: str,
    channel: str,
    week_key: str,
) -> Reply:
    blocks = await _personal_quiz(
        services, request.user_id, lesson, number, team, channel, week_key
    )
    return Reply(text=quiz_blocks.quiz_text(lesson), blocks=blocks)


async def _personal_quiz(
    services: Services,
    user_id: str,
    lesson: Lesson,
    number: int,
    team: str,
    channel: str,
    week_key: str,
) -> list[Block]:
    """The quiz as one person sees it: the count, and their own answers marked."""
    engine = services.engine
    count = await quiz_store.participants(engine, team, channel, week_key)
    mine = await quiz_store.answers_of(engine, team, channel, week_key, user_id)
    title = escape(lesson.title)
    if week_key == quiz_store.PRACTICE:
        intro = texts.QUIZ_PRACTICE.format(title=title)
    else:
        intro = texts.QUIZ_CURRENT.format(number=number, title=title)
    return quiz_blocks.build_quiz(lesson, week_key, count, intro=intro, mine=mine)


FEATURE = Feature(
    name="quiz",
    commands={"quiz": on_quiz},
    actions={action_id: on_answer for action_id in quiz_blocks.ACTION_ANSWERS},
)
