"""Read-only seam onto the quiz engineer's answers, for App Home and `/mlops stats`.

The quiz tables (`quiz_answers`, revision 0004) are built on another branch. Until they are
merged these functions find no such table and return None, and the surfaces say nothing
about quizzes. INTEGRATION: once `bot/store/quiz.py` exists, replace the two `_query_*`
bodies with calls to its repository functions (same return types, from bot.core.stats).
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.stats import QuizRecord, QuizTally

QUIZ_TABLE = "quiz_answers"


async def has_quiz_table(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(QUIZ_TABLE)))


async def quiz_record(engine: AsyncEngine, team_id: str, user_id: str) -> QuizRecord | None:
    """One person's quiz record in a workspace, or None when there is no quiz data."""
    if not await has_quiz_table(engine):
        return None
    return await _query_record(engine, team_id, user_id)


async def quiz_tally(
    engine: AsyncEngine, team_id: str, channel_id: str, message_ts: str
) -> QuizTally | None:
    """The quiz of the lesson posted at `message_ts` in a channel, or None without quiz data."""
    if not await has_quiz_table(engine):
        return None
    return await _query_tally(engine, team_id, channel_id, message_ts)


async def _query_record(engine: AsyncEngine, team_id: str, user_id: str) -> QuizRecord | None:
    # INTEGRATION: hook up bot.store.quiz here (answered, correct, streak for the person).
    return None


async def _query_tally(
    engine: AsyncEngine, team_id: str, channel_id: str, message_ts: str
) -> QuizTally | None:
    # INTEGRATION: hook up bot.store.quiz here (people, answers, correct for that lesson post).
    return None
