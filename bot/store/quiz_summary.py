"""Quiz figures for App Home and `/mlops stats`: one person's record, one lesson's tally."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.stats import QuizRecord, QuizTally
from bot.store.quiz import PRACTICE
from bot.store.schema import deliveries, quiz_answers

PRACTICE_WEEK = PRACTICE  # the console's practice answers are not a record


async def quiz_record(engine: AsyncEngine, team_id: str, user_id: str) -> QuizRecord | None:
    """One person's quiz record in a workspace, or None before their first answer."""
    return await _query_record(engine, team_id, user_id)


async def quiz_tally(
    engine: AsyncEngine, team_id: str, channel_id: str, message_ts: str
) -> QuizTally | None:
    """The quiz of the lesson posted at `message_ts` in a channel (None: no such post)."""
    return await _query_tally(engine, team_id, channel_id, message_ts)


async def _query_record(engine: AsyncEngine, team_id: str, user_id: str) -> QuizRecord | None:
    """Answers and right answers (practice excluded), and the streak: the person's latest
    lessons, newest first, in which every answer they gave was right."""
    query = (
        select(
            quiz_answers.c.channel_id,
            quiz_answers.c.week_key,
            func.count().label("answers"),
            func.sum(case((quiz_answers.c.correct, 1), else_=0)).label("right"),
        )
        .where(
            quiz_answers.c.team_id == team_id,
            quiz_answers.c.user_id == user_id,
            quiz_answers.c.week_key != PRACTICE_WEEK,
        )
        .group_by(quiz_answers.c.channel_id, quiz_answers.c.week_key)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    if not rows:
        return None
    streak = 0
    for row in sorted(rows, key=lambda r: r.week_key, reverse=True):
        if int(row.right or 0) != int(row.answers):
            break
        streak += 1
    return QuizRecord(
        answered=sum(int(r.answers) for r in rows),
        correct=sum(int(r.right or 0) for r in rows),
        streak=streak,
    )


async def _query_tally(
    engine: AsyncEngine, team_id: str, channel_id: str, message_ts: str
) -> QuizTally | None:
    """People, answers and right answers of the quiz of the lesson posted at `message_ts`."""
    async with engine.connect() as conn:
        week = (
            await conn.execute(
                select(deliveries.c.week_key).where(
                    deliveries.c.team_id == team_id,
                    deliveries.c.channel_id == channel_id,
                    deliveries.c.message_ts == message_ts,
                )
            )
        ).scalar()
        if week is None:
            return None
        row = (
            await conn.execute(
                select(
                    func.count(func.distinct(quiz_answers.c.user_id)).label("people"),
                    func.count().label("answers"),
                    func.sum(case((quiz_answers.c.correct, 1), else_=0)).label("right"),
                ).where(
                    quiz_answers.c.team_id == team_id,
                    quiz_answers.c.channel_id == channel_id,
                    quiz_answers.c.week_key == week,
                )
            )
        ).one()
    return QuizTally(people=int(row.people), answers=int(row.answers), correct=int(row.right or 0))
