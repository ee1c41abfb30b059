"""A weekly quiz's results as the recap shows them: participation and accuracy per question.

Pure: the store counts answers, the digest fetches the thread, this module decides what the
recap says. It never holds user ids or anyone's individual answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.models import Lesson, QuizQuestion


@dataclass(frozen=True)
class QuestionTally:
    """How many people answered one question, and how many of them got it right."""

    question: QuizQuestion
    answered: int
    correct: int

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class QuizTally:
    participants: int  # distinct people who answered at least one question
    questions: tuple[QuestionTally, ...]

    def most_missed(self) -> QuestionTally | None:
        """The answered question with the lowest share of right answers (None if all right)."""
        answered = [q for q in self.questions if q.answered]
        if not answered:
            return None
        worst = min(answered, key=lambda q: (q.share_correct, -q.answered))
        return worst if worst.correct < worst.answered else None


def tally(lesson: Lesson, participants: int, counts: Mapping[str, tuple[int, int]]) -> QuizTally:
    """Tallies in the lesson's question order; `counts` maps question id → (answered, correct)."""
    return QuizTally(
        participants=participants,
        questions=tuple(QuestionTally(q, *counts.get(q.id, (0, 0))) for q in lesson.quiz),
    )


@dataclass(frozen=True)
class Recap:
    """Last week's post in numbers: the discussion thread and the quiz."""

    lesson_title: str
    lesson_number: int
    permalink: str
    replies: int
    repliers: int
    quiz: QuizTally | None


def human_replies(thread: Sequence[Mapping[str, object]], root_ts: str) -> tuple[int, int]:
    """(replies, distinct people) in a thread, leaving out the root and every bot's messages."""
    people: set[str] = set()
    replies = 0
    for message in thread:
        if message.get("ts") == root_ts:
            continue
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            continue
        user = message.get("user")
        if not isinstance(user, str) or not user:
            continue
        replies += 1
        people.add(user)
    return replies, len(people)
