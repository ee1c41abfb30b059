"""Catalog.topic_counts is computed once and stays right after community additions."""

from __future__ import annotations

from bot.core.catalog import Catalog
from bot.core.models import Kind, Resource, Topic


def _catalog() -> Catalog:
    topics = [
        Topic(id="serving", name="Serving", description="d"),
        Topic(id="drift", name="Drift", description="d"),
    ]
    resources = [
        Resource(
            id="a",
            title="A",
            url="https://e.org/a",
            kind=Kind.ARTICLE,
            topics=("serving",),
            summary="s",
        ),
        Resource(
            id="b",
            title="B",
            url="https://e.org/b",
            kind=Kind.TOOL,
            topics=("serving", "drift"),
            summary="s",
        ),
    ]
    return Catalog(topics, resources)


def test_counts_follow_additions():
    catalog = _catalog()
    assert catalog.topic_counts() == {"serving": 2, "drift": 1}
    catalog.add(
        Resource(
            id="c",
            title="C",
            url="https://e.org/c",
            kind=Kind.PAPER,
            topics=("drift",),
            summary="s",
        )
    )
    assert catalog.topic_counts() == {"serving": 2, "drift": 2}


def test_callers_cannot_change_the_cached_counts():
    catalog = _catalog()
    catalog.topic_counts()["serving"] = 99
    assert catalog.topic_counts()["serving"] == 2
