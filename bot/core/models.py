"""Typed content models: what a curator writes in content/ and what the core works on."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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
    # Set for resources approved from team suggestions rather than shipped in content/.
    community: bool = False

    @property
    def primary_topic(self) -> str:
        return self.topics[0]


class LessonResource(_Strict):
    id: Slug
    note: Line


class Lesson(_Strict):
    order: int = Field(ge=1)
    title: Line
    topics: tuple[Slug, ...] = Field(min_length=1)
    resources: tuple[LessonResource, ...] = Field(min_length=3, max_length=5)
    exercise: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    question: Line
    body: str
