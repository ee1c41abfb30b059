"""What `/mlops stats` and App Home report: pure data and the query normalisation of the log.

Nothing here knows who did what: the search log keeps normalised text, and thread and quiz
figures are counts. The current instant always comes in as an argument.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

MAX_QUERY = 200
WEEKS = 8
_NOT_WORD = re.compile(r"[^\w\s/+#.-]+")


def normalise_query(text: str) -> str:
    """A query as the log keeps it: NFKC, case-folded, punctuation dropped, spaces collapsed.

    Slack markup (`<@U123>`, `<#C1|x>`, links) is dropped too, so no user id is ever kept."""
    text = re.sub(r"<[^>]*>", " ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NOT_WORD.sub(" ", text)
    text = " ".join(word.strip(".-") for word in text.split())
    return " ".join(text.split())[:MAX_QUERY]


def month_start(now: datetime) -> date:
    """The first day of `now`'s month (UTC): "this month" for the top searched topics."""
    return now.date().replace(day=1)


def window_start(now: datetime, weeks: int = WEEKS) -> datetime:
    return now - timedelta(weeks=weeks)


@dataclass(frozen=True)
class QuizRecord:
    """One person's quiz record (from the quiz tables): questions answered, right, streak."""

    answered: int
    correct: int
    streak: int  # consecutive lessons with every question answered correctly


@dataclass(frozen=True)
class QuizTally:
    """One lesson's quiz in one channel: how many took part and how many answers were right."""

    people: int
    answers: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None


@dataclass(frozen=True)
class LessonStats:
    """One posted lesson: its number and title, and its discussion thread's figures."""

    number: int
    title: str
    posted_at: datetime
    replies: int | None  # None when Slack could not tell (no token, thread unreadable)
    repliers: int | None
    quiz: QuizTally | None = None


@dataclass(frozen=True)
class Count:
    text: str
    count: int


@dataclass(frozen=True)
class ChannelStats:
    channel_id: str
    lessons: list[LessonStats] = field(default_factory=list)
    top_topics: list[Count] = field(default_factory=list)
    gaps: list[Count] = field(default_factory=list)  # searches that found nothing
    searches: int = 0  # searches this month in the workspace
    gap_days: int = 90  # the gaps cover the whole retention window
    logging: bool = True  # MLOPS_SEARCH_LOG is on

    @property
    def quiz(self) -> QuizTally | None:
        """Every posted lesson's quiz together (None when no quiz data exists); `people` is
        the most who took any one quiz (the same people take several)."""
        tallies = [lesson.quiz for lesson in self.lessons if lesson.quiz is not None]
        if not tallies:
            return None
        return QuizTally(
            people=max(t.people for t in tallies),
            answers=sum(t.answers for t in tallies),
            correct=sum(t.correct for t in tallies),
        )
