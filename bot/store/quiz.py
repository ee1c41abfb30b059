"""Quiz repository: each weekly post's quiz message, and people's answers (the last counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.deliveries import Delivery
from bot.store.schema import quiz_answers, quiz_posts
from bot.store.subscriptions import as_utc

# The console's practice quiz (lesson 1) is recorded under this week key.
PRACTICE = "practice"


@dataclass(frozen=True)
class QuizPost:
    id: int
    delivery_id: int
    team_id: str
    channel_id: str
    week_key: str
    position: int
    season: int
    message_ts: str
    posted_at: datetime
    rendered_count: int
    rendered_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> QuizPost:
        values = dict(row._mapping)
        values["posted_at"] = as_utc(values["posted_at"])
        values["rendered_at"] = as_utc(values["rendered_at"])
        return cls(**values)


def _week(team_id: str, channel_id: str, week_key: str, table: Any) -> Any:
    return and_(
        table.c.team_id == team_id,
        table.c.channel_id == channel_id,
        table.c.week_key == week_key,
    )


async def find_post(
    engine: AsyncEngine, team_id: str, channel_id: str, week_key: str
) -> QuizPost | None:
    query = select(quiz_posts).where(_week(team_id, channel_id, week_key, quiz_posts))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return QuizPost.from_row(row) if row else None


async def get_post(engine: AsyncEngine, post_id: int) -> QuizPost | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(quiz_posts).where(quiz_posts.c.id == post_id))).first()
    return QuizPost.from_row(row) if row else None


async def record_post(
    engine: AsyncEngine, delivery: Delivery, message_ts: str, *, now: datetime
) -> QuizPost:
    """Record the quiz message of a delivery (a second record of the same week keeps the first)."""
    values = {
        "delivery_id": delivery.id,
        "team_id": delivery.team_id,
        "channel_id": delivery.channel_id,
        "week_key": delivery.week_key,
        "position": delivery.position,
        "season": delivery.season,
        "message_ts": message_ts,
        "posted_at": now,
        "rendered_count": 0,
        "rendered_at": None,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(quiz_posts.insert().values(**values))
    except IntegrityError:
        pass
    found = await find_post(engine, delivery.team_id, delivery.channel_id, delivery.week_key)
    assert found is not None
    return found


async def claim_render(engine: AsyncEngine, post: QuizPost, count: int, *, now: datetime) -> bool:
    """Take the right to show `count` on the message (compare-and-set on the count it shows:
    counts only grow), so two clicks or two replicas never both send the same change."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(quiz_posts)
            .where(
                quiz_posts.c.id == post.id,
                quiz_posts.c.rendered_count == post.rendered_count,
            )
            .values(rendered_count=count, rendered_at=now)
        )
    return result.rowcount == 1


async def release_render(engine: AsyncEngine, post: QuizPost, count: int) -> None:
    """Slack refused the update: show the old count as current, so the next try sends it."""
    async with engine.begin() as conn:
        await conn.execute(
            update(quiz_posts)
            .where(quiz_posts.c.id == post.id, quiz_posts.c.rendered_count == count)
            .values(rendered_count=post.rendered_count)
        )


async def record_answer(
    engine: AsyncEngine,
    *,
    team_id: str,
    channel_id: str,
    week_key: str,
    question_id: str,
    user_id: str,
    option_index: int,
    correct: bool,
    now: datetime,
) -> int | None:
    """Store a person's answer to a question, replacing an earlier one; the earlier option."""
    key = and_(
        _week(team_id, channel_id, week_key, quiz_answers),
        quiz_answers.c.question_id == question_id,
        quiz_answers.c.user_id == user_id,
    )
    values = {"option_index": option_index, "correct": correct, "answered_at": now}
    for _ in range(3):
        async with engine.connect() as conn:
            previous = (await conn.execute(select(quiz_answers.c.option_index).where(key))).first()
        if previous is not None:
            async with engine.begin() as conn:
                result = await conn.execute(update(quiz_answers).where(key).values(**values))
            if result.rowcount == 1:
                return int(previous[0])
            continue
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    quiz_answers.insert().values(
                        team_id=team_id,
                        channel_id=channel_id,
                        week_key=week_key,
                        question_id=question_id,
                        user_id=user_id,
                        **values,
                    )
                )
        except IntegrityError:  # the same person's other click won the insert: update it
            continue
        return None
    raise RuntimeError("answer kept changing; try again")


async def participants(engine: AsyncEngine, team_id: str, channel_id: str, week_key: str) -> int:
    """Distinct people who answered at least one question of the week's quiz."""
    query = select(func.count(distinct(quiz_answers.c.user_id))).where(
        _week(team_id, channel_id, week_key, quiz_answers)
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def question_counts(
    engine: AsyncEngine, team_id: str, channel_id: str, week_key: str
) -> dict[str, tuple[int, int]]:
    """Question id → (people who answered it, people whose answer is right)."""
    correct = func.sum(case((quiz_answers.c.correct, 1), else_=0))
    query = (
        select(quiz_answers.c.question_id, func.count(), correct)
        .where(_week(team_id, channel_id, week_key, quiz_answers))
        .group_by(quiz_answers.c.question_id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {str(qid): (int(n), int(right or 0)) for qid, n, right in rows}


async def answers_of(
    engine: AsyncEngine, team_id: str, channel_id: str, week_key: str, user_id: str
) -> dict[str, int]:
    """One person's own answers to the week's quiz: question id → option index."""
    query = select(quiz_answers.c.question_id, quiz_answers.c.option_index).where(
        _week(team_id, channel_id, week_key, quiz_answers), quiz_answers.c.user_id == user_id
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {str(qid): int(option) for qid, option in rows}
