"""Last week's recap for the top of this week's post: the thread and the quiz, in numbers.

Two Slack reads (the thread's replies and its permalink) and two counts from the quiz store.
Only totals leave this module: no user ids, no one's answers, nothing about people who did not
take part. If Slack cannot answer, there is no recap this week (one warning) and the lesson is
posted without it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import curriculum
from bot.core.models import Lesson
from bot.core.quiz import Recap, human_replies, tally
from bot.slack.gateway import PostError, SlackGateway
from bot.store import quiz as quiz_store
from bot.store.deliveries import Delivery

logger = logging.getLogger(__name__)


async def gather(
    engine: AsyncEngine, slack: SlackGateway, previous: Delivery, lessons: Sequence[Lesson]
) -> Recap | None:
    """The recap of delivery `previous` (a posted one), or None when Slack could not tell."""
    if previous.message_ts is None or not lessons:
        return None
    ts = previous.message_ts
    try:
        thread = await slack.discussion(previous.channel_id, ts)
        permalink = await slack.permalink(previous.channel_id, ts)
    except PostError as exc:  # the recap is a courtesy: never hold up a lesson for it
        logger.warning("no recap of %s this week: %s", previous.key, exc.code)
        return None
    replies, repliers = human_replies(thread, ts)
    pick = curriculum.pick(lessons, previous.position, previous.season)
    args = (engine, previous.team_id, previous.channel_id, previous.week_key)
    quiz = None
    people = await quiz_store.participants(*args)
    # A week posted before quizzes existed had none: say nothing rather than "no answers".
    if pick.lesson.quiz and (people or await quiz_store.find_post(*args)):
        quiz = tally(pick.lesson, people, await quiz_store.question_counts(*args))
    return Recap(
        lesson_title=pick.lesson.title,
        lesson_number=pick.number,
        permalink=permalink,
        replies=replies,
        repliers=repliers,
        quiz=quiz,
    )
