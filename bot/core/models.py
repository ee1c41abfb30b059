"""Typed content models: what a curator writes in content/ and what the core works on."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not embed credentials")
    if any(ch.isspace() for ch in value) or any(ch in value for ch in "<>|"):
        raise ValueError("must not contain spaces, '<', '>' or '|'")
    return value


# Kept as the curator wrote it (pydantic's URL types would rewrite it).
HttpUrlStr = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_check_url)
]


class Kind(StrEnum):
    COURSE = "course"
    BOOK = "book"
    PAPER = "paper"
    ARTICLE = "article"
    TALK = "talk"
    VIDEO = "video"
    LIST = "list"
    NEWSLETTER = "newsletter"
    PODCAST = "podcast"
    TOOL = "tool"

    @property
    def is_learning(self) -> bool:
        """Learning material ranks before tools and link lists."""
        return self in LEARNING_KINDS


LEARNING_KINDS = frozenset(
    {Kind.COURSE, Kind.BOOK, Kind.PAPER, Kind.ARTICLE, Kind.TALK, Kind.VIDEO}
)


class Level(StrEnum):
    INTRO = "intro"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Strict):
    id: Slug
    name: Line
    description: Line
    aliases: tuple[Line, ...] = ()
    start_here: tuple[Slug, ...] = ()


class Resource(_Strict):
    id: Slug
    title: Line
    url: HttpUrlStr
    kind: Kind
    topics: tuple[Slug, ...] = Field(min_length=1)
    summary: Line
    tags: tuple[Line, ...] = ()
    level: Level | None = None
    # Year of publication or last major update, shown in answers where known.
    year: int | None = Field(default=None, ge=1950, le=2100)
    # Set for resources approved from team suggestions rather than shipped in content/.
    community: bool = False

    @property
    def primary_topic(self) -> str:
        return self.topics[0]


class LessonResource(_Strict):
    id: Slug
    note: Line


# Block Kit: button text <= 75 chars, section text <= 3000; keep quiz text well inside them.
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
QuizText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class QuizOption(_Strict):
    text: OptionText
    explain: Line
    correct: bool = False


class QuizQuestion(_Strict):
    """A multiple-choice check question: 3-4 options, exactly one correct."""

    id: Slug
    question: QuizText
    options: tuple[QuizOption, ...] = Field(min_length=3, max_length=4)

    @model_validator(mode="after")
    def _one_correct(self) -> QuizQuestion:
        correct = sum(option.correct for option in self.options)
        if correct != 1:
            raise ValueError(f"needs exactly one correct option, has {correct}")
        texts = [option.text.casefold() for option in self.options]
        if len(set(texts)) != len(texts):
            raise ValueError("options must differ from each other")
        return self

    @property
    def correct_index(self) -> int:
        return next(i for i, option in enumerate(self.options) if option.correct)


class Lesson(_Strict):
    order: int = Field(ge=1)
    title: Line
    topics: tuple[Slug, ...] = Field(min_length=1)
    resources: tuple[LessonResource, ...] = Field(min_length=3, max_length=5)
    exercise: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    question: Line
    quiz: tuple[QuizQuestion, ...] = Field(min_length=2, max_length=3)
    body: str

    @model_validator(mode="after")
    def _unique_quiz_ids(self) -> Lesson:
        ids = [q.id for q in self.quiz]
        if len(set(ids)) != len(ids):
            raise ValueError("quiz question ids must be unique within the lesson")
        return self
