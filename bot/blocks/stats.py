"""Block Kit (and plain text) for `/mlops stats`: a channel's lessons, threads, quiz, searches.

Only counts appear: no names, no one's answers. Query texts are what people typed (normalised)
and are escaped like any user text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks import Block, button, context, escape, fallback, header, section
from bot.core.stats import WEEKS, ChannelStats, Count, LessonStats, QuizTally

ACTION_CHANNEL_STATS = "home_channel_stats"
MAX_LESSON_LINES = WEEKS
MAX_GAPS = 10


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def quiz_text(tally: QuizTally | None) -> str:
    if tally is None:
        return "no quiz data"
    return f"{tally.people} took the quiz, {_percent(tally.accuracy)} of answers right"


def lesson_line(lesson: LessonStats) -> str:
    day = lesson.posted_at.strftime("%d %b")
    if lesson.replies is None:
        thread = "replies unknown"
    else:
        people = "person" if lesson.repliers == 1 else "people"
        thread = f"{lesson.replies} repl{'y' if lesson.replies == 1 else 'ies'} from {lesson.repliers} {people}"
    line = f"• {day} · lesson {lesson.number}, *{escape(lesson.title)}* — {thread}"
    if lesson.quiz is not None:
        line += f"; quiz: {quiz_text(lesson.quiz)}"
    return line


def _counts(counts: Sequence[Count], quote: bool) -> str:
    if quote:
        return "\n".join(f"• “{escape(c.text)}” ×{c.count}" for c in counts)
    return "\n".join(f"• {escape(c.text)} ×{c.count}" for c in counts)


def _searches(n: int) -> str:
    return "1 search" if n == 1 else f"{n} searches"


def search_sections(stats: ChannelStats) -> list[Block]:
    """Top searched topics this month and what people searched for and did not find."""
    if not stats.logging:
        return [context("Search logging is off (`MLOPS_SEARCH_LOG=off`): no search figures.")]
    top = _counts(stats.top_topics, quote=False) or "_no searches with a topic yet_"
    gaps = _counts(stats.gaps[:MAX_GAPS], quote=True) or "_none: every search found something_"
    return [
        section(f"*Top searched topics this month* ({_searches(stats.searches)} in all)\n{top}"),
        section(
            f"*Searched for and not found* in the last {stats.gap_days} days — the catalog's"
            f" gaps\n{gaps}"
        ),
    ]


def build_stats(stats: ChannelStats, where: str) -> list[Block]:
    """`/mlops stats`: lessons over the last weeks with their threads, quiz and searches."""
    lessons = stats.lessons[:MAX_LESSON_LINES]
    blocks: list[Block] = [header(f"Stats: the last {WEEKS} weeks")]
    if lessons:
        lines = "\n".join(lesson_line(lesson) for lesson in lessons)
        blocks.append(section(f"*{len(lessons)} lesson(s) posted in {where}*\n{lines}"))
    else:
        blocks.append(section(f"No lessons were posted in {where} in the last {WEEKS} weeks."))
    if stats.quiz is not None:
        overall = stats.quiz
        blocks.append(
            context(f"Quiz overall: {overall.answers} answers, {_percent(overall.accuracy)} right")
        )
    blocks += search_sections(stats)
    blocks.append(context("Counts only: nobody's answers or searches are shown by name."))
    return blocks


def stats_text(stats: ChannelStats) -> str:
    return fallback(f"Stats: {len(stats.lessons)} lesson(s) posted in the last {WEEKS} weeks")


def stats_button(channel_id: str) -> dict[str, Any]:
    return button("Stats", ACTION_CHANNEL_STATS, channel_id)


def build_stats_modal(stats: ChannelStats, where: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Channel stats"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": build_stats(stats, where)[:100],
    }


def as_json(stats: ChannelStats) -> dict[str, Any]:
    """The same figures for `mlops-bot stats --json`."""
    return {
        "channel": stats.channel_id,
        "weeks": WEEKS,
        "lessons": [
            {
                "number": lesson.number,
                "title": lesson.title,
                "posted_at": lesson.posted_at.isoformat(),
                "replies": lesson.replies,
                "repliers": lesson.repliers,
                "quiz": None
                if lesson.quiz is None
                else {
                    "people": lesson.quiz.people,
                    "answers": lesson.quiz.answers,
                    "correct": lesson.quiz.correct,
                },
            }
            for lesson in stats.lessons
        ],
        "search_logging": stats.logging,
        "searches_this_month": stats.searches,
        "top_topics": [{"topic": c.text, "count": c.count} for c in stats.top_topics],
        "not_found": [{"query": c.text, "count": c.count} for c in stats.gaps],
    }


def as_text(stats: ChannelStats) -> str:
    """The same figures as plain lines for `mlops-bot stats`."""
    lines = [f"Channel {stats.channel_id}: lessons posted in the last {WEEKS} weeks"]
    for lesson in stats.lessons:
        replies = "?" if lesson.replies is None else str(lesson.replies)
        repliers = "?" if lesson.repliers is None else str(lesson.repliers)
        line = (
            f"  {lesson.posted_at:%Y-%m-%d}  lesson {lesson.number}  {lesson.title}"
            f"  replies={replies} repliers={repliers}"
        )
        if lesson.quiz is not None:
            line += f"  quiz: {quiz_text(lesson.quiz)}"
        lines.append(line)
    if not stats.lessons:
        lines.append("  (none)")
    if not stats.logging:
        lines.append("Search logging is off (MLOPS_SEARCH_LOG=off).")
        return "\n".join(lines)
    lines.append(f"Searches this month: {stats.searches}")
    lines.append("Top topics this month:")
    lines += [f"  {c.text}  {c.count}" for c in stats.top_topics] or ["  (none)"]
    lines.append(f"Searched for and not found (last {stats.gap_days} days):")
    lines += [f"  {c.text}  {c.count}" for c in stats.gaps] or ["  (none)"]
    return "\n".join(lines)
