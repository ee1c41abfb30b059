"""The labelled queries of tests/eval/queries.tsv stay above their floors on the real catalog."""

from __future__ import annotations

import math

import pytest

from bot.core.catalog import Catalog
from bot.core.content import ContentError, load_catalog
from bot.core.search import SearchIndex
from tests.eval import FLOORS, evaluate, load_rows, summarise, table


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    try:
        return load_catalog()
    except ContentError as exc:
        pytest.skip(f"content/ does not load yet ({exc}); the evaluation needs the real catalog")


@pytest.fixture(scope="module")
def summary(catalog: Catalog) -> dict[str, dict[str, float]]:
    return summarise(evaluate(SearchIndex.build(catalog), load_rows()))


def test_the_set_is_big_and_labels_name_real_things(catalog: Catalog) -> None:
    rows = load_rows()
    assert len(rows) >= 300
    assert len({r.category for r in rows}) >= 13
    for row in rows:
        for rid in [*(i for group in row.ids for i in group), *([row.first] if row.first else [])]:
            assert catalog.resource(rid) is not None, (row.query, rid)
        for topic in (row.topic, row.not_topic):
            assert topic is None or catalog.topic(topic) is not None, (row.query, topic)
        assert row.answer or row.wants_hit or row.wants_topic, row.query


@pytest.mark.parametrize("category", sorted(FLOORS))
def test_category_stays_above_its_floor(
    summary: dict[str, dict[str, float]], category: str
) -> None:
    measured = summary[category]
    low = {
        metric: (round(measured[metric], 3), floor)
        for metric, floor in FLOORS[category].items()
        if not math.isnan(measured[metric]) and measured[metric] < floor
    }
    assert not low, f"{category} below its floor (measured, floor): {low}\n{table(summary)}"
