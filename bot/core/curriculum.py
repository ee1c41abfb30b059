"""Where a channel is in the curriculum: the lesson at a position, and the step to the next.

Each channel keeps a 0-based `position` in the ordered lessons and a `season` number. After the
last lesson the channel starts over at lesson 1 in the next season, and that first post carries
a short "new season" note. If the curriculum shrinks below a stored position, the channel wraps
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.models import Lesson


@dataclass(frozen=True)
class Pick:
    lesson: Lesson
    position: int  # 0-based index into the ordered lessons
    season: int
    total: int

    @property
    def number(self) -> int:
        """1-based number shown to people ('Lesson 3 of 24')."""
        return self.position + 1

    @property
    def new_season(self) -> bool:
        """The first lesson of a season after the first: the post says the curriculum restarts."""
        return self.position == 0 and self.season > 1


def normalise(position: int, season: int, total: int) -> tuple[int, int]:
    """A stored (position, season) made valid for a curriculum of `total` lessons."""
    if total <= 0:
        raise ValueError("the curriculum has no lessons")
    if position < 0:
        return 0, max(season, 1)
    if position >= total:
        return 0, max(season, 1) + 1
    return position, max(season, 1)


def pick(lessons: Sequence[Lesson], position: int, season: int) -> Pick:
    """The lesson a channel at (position, season) gets next."""
    position, season = normalise(position, season, len(lessons))
    return Pick(lessons[position], position, season, len(lessons))


def advance(position: int, season: int, total: int) -> tuple[int, int]:
    """The (position, season) after posting the lesson at (position, season)."""
    position, season = normalise(position, season, total)
    if position + 1 >= total:
        return 0, season + 1
    return position + 1, season


def by_number(lessons: Sequence[Lesson], number: int) -> Lesson | None:
    """Lesson `number` (1-based, as people count), or None."""
    if 1 <= number <= len(lessons):
        return lessons[number - 1]
    return None
