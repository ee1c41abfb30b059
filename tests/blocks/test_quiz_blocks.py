"""Quiz blocks by structure: every lesson's quiz, feedback and recap within Block Kit limits."""

from __future__ import annotations

from typing import Any

from bot.blocks import MAX_BLOCKS, MAX_SECTION
from bot.blocks.quiz import (
    ACTION_ANSWERS,
    answer_value,
    build_feedback,
    build_quiz,
    build_recap,
    parse_value,
)
from bot.core.catalog import Catalog
from bot.core.quiz import Recap, human_replies, tally

LONGEST_WEEK_KEY = "2025-W10"


def _within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "actions":
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids)) <= 25  # unique within the block, as Slack wants
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000


def test_all_52_quizzes_render_within_block_kit_limits(catalog: Catalog) -> None:
    assert len(catalog.lessons) == 52
    for lesson in catalog.lessons:
        mine = {q.id: q.correct_index for q in lesson.quiz}
        for blocks in (
            build_quiz(lesson, LONGEST_WEEK_KEY, 0),
            build_quiz(lesson, "practice", 9999, mine=mine, footer="x"),
        ):
            _within_limits(blocks)
            elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
            assert [e["text"]["text"] for e in elements] == [
                o.text for q in lesson.quiz for o in q.options
            ]  # no option text was cut
            for element in elements:
                parsed = parse_value(element["value"])
                assert parsed is not None and element["action_id"] == ACTION_ANSWERS[parsed[2]]
        for question in lesson.quiz:
            for index in range(len(question.options)):
                _within_limits(build_feedback(question, index, changed=True))
        counts = {q.id: (7, n % 3) for n, q in enumerate(lesson.quiz)}
        recap = Recap(lesson.title, lesson.order, "https://fake.slack.com/p1", 40, 12,
                      tally(lesson, 9, counts))  # fmt: skip
        _within_limits(build_recap(recap))


def test_values_round_trip_and_junk_is_refused() -> None:
    assert parse_value(answer_value("2025-W10", "baseline-first", 3)) == (
        "2025-W10",
        "baseline-first",
        3,
    )
    for junk in ("", "a|b", "a|b|c", "a||1", "a|b|1|2", "a|b|-1", "a|b|123", "<!channel>"):
        assert parse_value(junk) is None


def test_feedback_explains_the_pick_and_the_right_answer(catalog: Catalog) -> None:
    question = catalog.lessons[0].quiz[0]
    right = build_feedback(question, question.correct_index, changed=False)
    assert "Right" in right[0]["text"]["text"]
    wrong_index = (question.correct_index + 1) % len(question.options)
    wrong = build_feedback(question, wrong_index, changed=False)[0]["text"]["text"]
    assert question.options[wrong_index].explain[:30] in wrong
    assert question.options[question.correct_index].explain[:30] in wrong


def test_recap_has_only_totals_and_the_most_missed_answer(catalog: Catalog) -> None:
    lesson = catalog.lessons[0]
    counts = {lesson.quiz[0].id: (4, 3), lesson.quiz[1].id: (4, 1)}
    text = build_recap(
        Recap(lesson.title, 1, "https://fake.slack.com/p1", 1, 1, tally(lesson, 4, counts))
    )[0]["text"]["text"]
    assert "1 reply from 1 person" in text
    assert "4 people took part; right answers: Q1 75%, Q2 25%." in text
    missed = lesson.quiz[1]
    assert f"_{missed.question[:30]}" in text
    assert missed.options[missed.correct_index].explain[:30] in text
    nobody = build_recap(Recap(lesson.title, 1, "https://x/p", 0, 0, tally(lesson, 0, {})))
    assert "no replies yet" in nobody[0]["text"]["text"]
    assert "no answers" in nobody[0]["text"]["text"]


def test_human_replies_leave_out_the_root_and_bots() -> None:
    thread = [
        {"ts": "1.0", "user": "UBOT", "bot_id": "B1"},
        {"ts": "1.1", "user": "UBOT", "bot_id": "B1"},
        {"ts": "1.2", "user": "UA"},
        {"ts": "1.3", "user": "UB"},
        {"ts": "1.4", "user": "UA"},
        {"ts": "1.5", "subtype": "bot_message", "username": "other bot"},
    ]
    assert human_replies(thread, "1.0") == (3, 2)
