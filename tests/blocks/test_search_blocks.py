"""Block Kit builders, checked by structure and Slack's limits without any client."""

from __future__ import annotations

import json

from bot.blocks import echo, escape, link
from bot.blocks.search import (
    ACTION_MORE,
    ACTION_SHARE,
    build_help,
    build_no_match,
    build_recommendations,
    build_topics,
    read_search_state,
    search_state,
)
from bot.core.catalog import Catalog
from bot.core.search import SearchIndex


def test_escape_order_and_link_safety():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert link("https://x.org/a|b>c", "A | B > C") == "<https://x.org/a%7Cb%3Ec|A ¦ B &gt; C>"
    assert echo("y" * 500).endswith("…") and len(echo("y" * 500)) <= 120


def test_recommendations_respect_limits_and_carry_state(catalog: Catalog):
    results = SearchIndex.build(catalog).search("monitoring", limit=5)
    blocks = build_recommendations(results, catalog.topics)
    assert len(blocks) <= 50
    for block in blocks:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= 3000
        if block["type"] == "section":
            assert block["text"]["verbatim"] is True
    actions = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ACTION_SHARE, ACTION_MORE]
    assert read_search_state(actions[1]["value"]) == (results.query, 5)
    assert all(len(a["value"]) <= 2000 for a in actions)


def test_search_state_round_trips_and_rejects_garbage():
    assert read_search_state(search_state("model serving", 10)) == ("model serving", 10)
    assert read_search_state("nope") is None
    assert read_search_state(json.dumps({"q": "x", "o": -5})) is None
    assert read_search_state(None) is None


def test_no_match_help_and_topics(catalog: Catalog):
    blocks = build_no_match("<!here> pizza", ["serving"], catalog.topics)
    text = json.dumps(blocks)
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "`serving`" in text
    assert len(build_help()) >= 2
    topic_blocks = build_topics(catalog.topics, catalog.topic_counts())
    assert all(len(b["text"]["text"]) <= 3000 for b in topic_blocks)


def test_answer_follows_the_intent_of_the_results(catalog: Catalog):
    from bot.blocks.search import build_answer

    index = SearchIndex.build(catalog)
    helped = json.dumps(build_answer(index.search("hi"), catalog.topics))
    assert json.dumps(build_help()) == helped
    nothing = json.dumps(build_answer(index.search("pizza"), catalog.topics))
    assert "couldn" in nothing
    answered = build_answer(index.search("monitoring"), catalog.topics)
    assert answered == build_recommendations(index.search("monitoring"), catalog.topics)


def test_no_match_says_why_for_general_ml_and_unreadable_scripts(catalog: Catalog):
    from bot.blocks.search import build_answer

    index = SearchIndex.build(catalog)
    general = json.dumps(build_answer(index.search("dropout"), catalog.topics), ensure_ascii=False)
    assert "running ML in production" in general
    script = json.dumps(build_answer(index.search("การตรวจสอบ"), catalog.topics))
    assert "Thai" in script


def test_recommendations_show_the_note_year_and_level():
    from bot.core.models import Kind, Level, Resource, Topic

    topic = Topic(id="serving", name="Serving", description="Serving.", aliases=("serving",))
    tool = Resource(
        id="triton-inference-server",
        title="Triton Inference Server",
        url="https://example.com/triton",
        kind=Kind.TOOL,
        topics=("serving",),
        summary="Serves models.",
        tags=("triton",),
        year=2024,
    )
    book = Resource(
        id="serving-book",
        title="Serving book",
        url="https://example.com/book",
        kind=Kind.BOOK,
        topics=("serving",),
        summary="A book.",
        level=Level.INTRO,
        year=2021,
    )
    other = Resource(
        id="triton",
        title="OpenAI Triton (GPU kernel language)",
        url="https://example.com/openai-triton",
        kind=Kind.TOOL,
        topics=("serving",),
        summary="Kernels.",
    )
    catalog = Catalog([topic], [tool, book, other])
    results = SearchIndex.build(catalog).search("triton")
    text = json.dumps(build_recommendations(results, catalog.topics), ensure_ascii=False)
    assert "OpenAI" in text and "2024" in text
    shelf = SearchIndex.build(catalog).search("serving books")
    text = json.dumps(build_recommendations(shelf, catalog.topics), ensure_ascii=False)
    assert "_intro_" in text and "2021" in text
