"""Pure builders for stats and App Home, by structure: quiz figures (once the quiz tables
feed them), escaping, and the 100-block limit at any size."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks import home as kit
from bot.blocks import stats as stats_kit
from bot.core.stats import ChannelStats, Count, LessonStats, QuizRecord, QuizTally

POSTED = datetime(2025, 3, 10, 10, tzinfo=UTC)


def test_stats_show_quiz_figures_and_escape_queries() -> None:
    lessons = [
        LessonStats(2, "Data <management>", POSTED, 4, 3, QuizTally(5, 10, 7)),
        LessonStats(1, "Setting up", POSTED, None, None, None),
    ]
    stats = ChannelStats(
        "C1", lessons, [Count("serving", 4)], [Count("<!channel> & co", 2)], searches=9
    )
    blocks = stats_kit.build_stats(stats, "<#C1>")
    text = json.dumps(blocks, ensure_ascii=False)
    assert "4 replies from 3 people; quiz: 5 took the quiz, 70% of answers right" in text
    assert "replies unknown" in text and "Data &lt;management&gt;" in text
    assert "“&lt;!channel&gt; &amp; co” ×2" in text and "<!channel>" not in text
    assert "Quiz overall: 10 answers, 70% right" in text
    document = stats_kit.as_json(stats)
    assert document["lessons"][0]["quiz"] == {"people": 5, "answers": 10, "correct": 7}
    assert "quiz: 5 took the quiz" in stats_kit.as_text(stats)


def test_home_stays_within_100_blocks_and_shows_the_quiz_record() -> None:
    channel = kit.HomeChannel(
        "C1", "<#C1>", "Mondays at 10:00 (UTC)", "active", "Mon 10 Mar", "lesson 1 of 52", 2,
        yours=True, can_change=True,
    )  # fmt: skip
    data = kit.HomeData(
        channels=[channel] * 50,  # more than a page: the builder still caps the view
        channel_total=500,
        digest=channel,
        lesson="lesson 1 of 52",
        lesson_channel="C1",
        quiz=QuizRecord(answered=12, correct=9, streak=3),
        moderator=True,
        suggestions=[],
        suggestion_total=0,
        topics={},
        search=ChannelStats(""),
        page=kit.HomePage(3, 1),
    )
    view = kit.build_home(data)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    assert "Your quiz record: 12 answered, 9 right, streak 3" in text
    assert "season 2" in text and "◀ Previous channels" in text


def test_page_values_are_read_safely() -> None:
    assert kit.read_page("c3.s2") == kit.HomePage(3, 2)
    assert kit.read_page("garbage") == kit.HomePage()
    assert kit.read_page("c-5.s99999999") == kit.HomePage(1, kit.MAX_PAGE)
