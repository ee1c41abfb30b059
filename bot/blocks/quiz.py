"""Block Kit for the weekly quiz: the quiz message, a person's feedback, and last week's recap.

Each option is a button; its value names the week, the question and the option
(`2025-W10|q-id|2`) and never whether it is right. Slack wants action ids unique within a
block, so the n-th option of a question uses `ACTION_ANSWERS[n]`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import texts
from bot.blocks import Block, button, context, divider, escape, fallback, link, section
from bot.core.models import Lesson, QuizQuestion
from bot.core.quiz import QuestionTally, Recap

MAX_OPTIONS = 4
ACTION_ANSWERS: tuple[str, ...] = tuple(f"quiz_answer_{n}" for n in range(MAX_OPTIONS))
SEPARATOR = "|"


def answer_value(week_key: str, question_id: str, option: int) -> str:
    return SEPARATOR.join((week_key, question_id, str(option)))


def parse_value(value: str) -> tuple[str, str, int] | None:
    """(week key, question id, option index) from a button's value, or None if it is not one."""
    parts = value.split(SEPARATOR)
    if len(parts) != 3 or not all(parts) or not parts[2].isdigit() or len(parts[2]) > 2:
        return None
    return parts[0], parts[1], int(parts[2])


def answered_text(count: int) -> str:
    return texts.QUIZ_NO_ANSWERS if count == 0 else texts.QUIZ_ANSWERED.format(count=count)


def quiz_text(lesson: Lesson) -> str:
    """Notification text for the quiz message."""
    return fallback(texts.QUIZ_FALLBACK.format(title=lesson.title))


def question_blocks(
    question: QuizQuestion, number: int, week_key: str, mine: int | None = None
) -> list[Block]:
    """A question and its options as buttons; `mine` marks the person's own answer."""
    buttons = []
    for n, option in enumerate(question.options[:MAX_OPTIONS]):
        style = "primary" if n == mine else None
        value = answer_value(week_key, question.id, n)
        buttons.append(button(option.text, ACTION_ANSWERS[n], value, style=style))
    return [
        section(f"*{number}.* {escape(question.question)}"),
        {"type": "actions", "elements": buttons},
    ]


def build_quiz(
    lesson: Lesson,
    week_key: str,
    answered: int,
    *,
    intro: str = texts.QUIZ_INTRO,
    mine: Mapping[str, int] | None = None,
    footer: str | None = None,
) -> list[Block]:
    """The quiz: an intro, each question with its options, and the live "N answered" line.

    At most 1 + 3 × 2 + 2 blocks: far inside Slack's 50."""
    blocks: list[Block] = [section(intro)]
    for number, question in enumerate(lesson.quiz, start=1):
        picked = mine.get(question.id) if mine is not None else None
        blocks += question_blocks(question, number, week_key, picked)
    parts = [answered_text(answered)]
    if mine is not None:
        parts.append(texts.QUIZ_YOURS.format(done=len(mine), total=len(lesson.quiz)))
    blocks.append(context(" · ".join(parts)))
    if footer:
        blocks.append(context(footer))
    return blocks


def _option_line(question: QuizQuestion, index: int) -> str:
    option = question.options[index]
    return f"“{escape(option.text)}” — {escape(option.explain)}"


def build_feedback(
    question: QuizQuestion, picked: int, *, changed: bool, practice: bool = False
) -> list[Block]:
    """What the person who clicked sees (only them): right or wrong, and why."""
    right = picked == question.correct_index
    lines = [f"*{escape(question.question)}*"]
    if right:
        lines.append(f"{texts.QUIZ_RIGHT} {_option_line(question, picked)}")
    else:
        lines.append(f"{texts.QUIZ_WRONG} You picked {_option_line(question, picked)}")
        lines.append(f"The answer: {_option_line(question, question.correct_index)}")
    note = texts.QUIZ_PRACTICE_NOTE if practice else texts.QUIZ_PRIVATE_NOTE
    if changed:
        note = f"{texts.QUIZ_CHANGED} {note}"
    return [section("\n".join(lines)), context(note)]


def feedback_text(question: QuizQuestion, picked: int) -> str:
    right = picked == question.correct_index
    return fallback(f"{texts.QUIZ_RIGHT if right else texts.QUIZ_WRONG} {question.question}")


def _percent(tally: QuestionTally) -> str:
    return f"{round(100 * tally.share_correct)}%"


def build_recap(recap: Recap) -> list[Block]:
    """Last week in numbers, opening this week's post: thread replies, quiz participation and
    accuracy per question, and the explanation of the most missed question's answer."""
    label = f"Lesson {recap.lesson_number}: {recap.lesson_title}"
    if recap.replies:
        people = "1 person" if recap.repliers == 1 else f"{recap.repliers} people"
        replies = "1 reply" if recap.replies == 1 else f"{recap.replies} replies"
        thread = f"{replies} from {people}"
    else:
        thread = "no replies yet"
    lines = [f"*Last week* 🔁 {link(recap.permalink, label)} — {thread} in the thread."]
    quiz = recap.quiz
    if quiz is not None and quiz.participants:
        who = "1 person" if quiz.participants == 1 else f"{quiz.participants} people"
        shares = ", ".join(
            f"Q{n} {_percent(q)}" for n, q in enumerate(quiz.questions, start=1) if q.answered
        )
        lines.append(f"Quiz: {who} took part; right answers: {shares}.")
        missed = quiz.most_missed()
        if missed is not None:
            correct = missed.question.options[missed.question.correct_index]
            lines.append(
                f"Most missed: _{escape(missed.question.question)}_ The answer:"
                f" “{escape(correct.text)}” — {escape(correct.explain)}"
            )
    elif quiz is not None:
        lines.append("Quiz: no answers last week.")
    return [section("\n".join(lines)), divider()]
