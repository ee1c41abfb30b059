"""The weekly quiz through the signed endpoint and the loopback fake Slack, time controlled:
the quiz in the thread, answers (the last counts), the ephemeral feedback, the paced live
count, `/mlops quiz` in Slack and the console, and the recap that opens next week's post."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.blocks.quiz import ACTION_ANSWERS, answer_value, parse_value
from bot.core.catalog import Catalog
from bot.core.models import QuizQuestion
from bot.digest import Digest
from bot.features.quiz import count_job_id, refresh_count
from bot.store import quiz as quiz_store
from tests.conftest import BotServer, boot_bot
from tests.digest_helpers import TEAM, Sleeps, lesson_roots, quizzes, subscribe
from tests.fakes.slack_api import FakeSlack

T0 = datetime(2025, 3, 1, tzinfo=UTC)  # a Saturday
MONDAY = datetime(2025, 3, 3, 10, tzinfo=UTC)
CHANNEL = "C1"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def quiz_bot(
    tmp_path: Path, fake: FakeSlack, catalog: Catalog, clock: Clock, **overrides: Any
) -> AsyncIterator[BotServer]:
    """A booted bot with C1 subscribed (Mondays 10:00 UTC) and its first lesson posted."""
    async with boot_bot(tmp_path, catalog, fake, clock=clock, **overrides) as server:
        await subscribe(server.services, CHANNEL, "mon", "10:00", "UTC", T0)
        clock.now = MONDAY
        await Digest(server.services, sleep=Sleeps()).run_pass(MONDAY)
        yield server


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def context_of(blocks: list[dict[str, Any]]) -> str:
    return " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


def option(question: QuizQuestion, right: bool) -> int:
    """The correct option's index, or the first wrong one."""
    if right:
        return question.correct_index
    return next(n for n in range(len(question.options)) if n != question.correct_index)


async def answer(
    server: BotServer, fake: FakeSlack, user: str, question: QuizQuestion, index: int,
    week_key: str = "2025-W10", message_ts: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Click option `index` of `question` as `user`; the ephemeral answer they got."""
    seen = len(fake.responses)
    resp = await server.click(
        ACTION_ANSWERS[index], answer_value(week_key, question.id, index),
        user=user, channel=CHANNEL, message_ts=message_ts,
    )  # fmt: skip
    assert resp.status == 200
    await fake.wait_for(lambda: len(fake.responses) > seen)
    return fake.responses[-1]


def updates(fake: FakeSlack) -> list[str]:
    """The "N answered" line of every chat.update the quiz message got."""
    return [context_of(c.args["blocks"]) for c in fake.calls_to("chat.update")]


async def test_weekly_post_carries_the_quiz_in_its_thread(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with quiz_bot(tmp_path, fake_slack, catalog, Clock(T0)) as server:
        post = await quiz_store.find_post(server.services.engine, TEAM, CHANNEL, "2025-W10")
    root = lesson_roots(fake_slack, CHANNEL)[0]
    (quiz,) = quizzes(fake_slack, CHANNEL)
    assert quiz["thread_ts"] == root["ts"]
    assert post is not None and post.message_ts == quiz["ts"]
    lesson = catalog.lessons[0]
    sections = [b["text"]["text"] for b in quiz["blocks"] if b["type"] == "section"]
    for question in lesson.quiz:
        assert any(question.question[:40] in s for s in sections)
    found = buttons(quiz)
    assert [e["text"]["text"] for e in found] == [o.text for q in lesson.quiz for o in q.options]
    # The value names the week, the question and the option, and never which one is right.
    assert parse_value(found[0]["value"]) == ("2025-W10", lesson.quiz[0].id, 0)
    assert all("correct" not in e["value"] and len(e["value"]) < 120 for e in found)
    assert "No answers yet" in context_of(quiz["blocks"])
    # The question came first, the quiz second, in the same thread.
    replies = [m for m in fake_slack.posted(CHANNEL) if m.get("thread_ts") == root["ts"]]
    assert [m["metadata"]["event_payload"]["kind"] for m in replies] == ["question", "quiz"]


async def test_three_people_answer_counts_feedback_and_next_weeks_recap(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    clock = Clock(T0)
    lesson = catalog.lessons[0]
    first, second = lesson.quiz[0], lesson.quiz[1]
    async with quiz_bot(tmp_path, fake_slack, catalog, clock, quiz_update_interval=0) as server:
        quiz_ts = quizzes(fake_slack, CHANNEL)[0]["ts"]
        clock.now = MONDAY + timedelta(hours=1)
        wrong = await answer(
            server, fake_slack, "UANN", first, option(first, False), message_ts=quiz_ts
        )
        # Only the clicker sees it: right or wrong, why, and the right answer's explanation.
        assert wrong["response_type"] == "ephemeral" and not wrong.get("replace_original")
        text = wrong["blocks"][0]["text"]["text"]
        picked = first.options[option(first, False)]
        right_one = first.options[first.correct_index]
        assert (
            "Not quite" in text and picked.explain[:30] in text and right_one.explain[:30] in text
        )
        changed = await answer(server, fake_slack, "UANN", first, first.correct_index)  # changes it
        assert "Right" in changed["blocks"][0]["text"]["text"]
        assert "Answer changed" in context_of(changed["blocks"])
        await answer(server, fake_slack, "UBEN", first, first.correct_index)
        await answer(server, fake_slack, "UCAT", first, option(first, False))
        await answer(server, fake_slack, "UANN", second, option(second, False))
        await answer(server, fake_slack, "UBEN", second, option(second, False))
        await fake_slack.wait_for(lambda: "3 answered" in " ".join(updates(fake_slack)))
        # Nobody's answer reaches anyone else: every answer went to the clicker's response_url.
        assert all(r["response_type"] == "ephemeral" for r in fake_slack.responses)
        engine = server.services.engine
        counts = await quiz_store.question_counts(engine, TEAM, CHANNEL, "2025-W10")
        assert counts == {first.id: (3, 2), second.id: (2, 0)}
        assert await quiz_store.participants(engine, TEAM, CHANNEL, "2025-W10") == 3
        # The count on the message: distinct people, one update per change, never repeated.
        shown = [u.split(" answered")[0] for u in updates(fake_slack)]
        assert shown == ["1", "2", "3"]
        update = fake_slack.calls_to("chat.update")[-1].args
        assert update["ts"] == quiz_ts and update["channel"] == CHANNEL
        # People reply in last week's thread; the bot's own replies do not count.
        root = lesson_roots(fake_slack, CHANNEL)[0]
        for user in ("UANN", "UBEN", "UANN"):
            fake_slack.add_message(
                CHANNEL, "we start with a baseline", thread_ts=root["ts"], user=user
            )
        clock.now = MONDAY + timedelta(days=7, minutes=1)
        await Digest(server.services, sleep=Sleeps()).run_pass(clock.now)
        # The quiz has closed once the next lesson is posted.
        closed = await answer(server, fake_slack, "UCAT", first, first.correct_index)
        assert "closed" in closed["blocks"][0]["text"]["text"]
        assert await quiz_store.participants(engine, TEAM, CHANNEL, "2025-W10") == 3
    week2 = lesson_roots(fake_slack, CHANNEL)[1]
    recap = week2["blocks"][0]["text"]["text"]
    assert week2["blocks"][0]["type"] == "section"
    assert "3 replies from 2 people" in recap
    assert f"<https://fake.slack.com/archives/{CHANNEL}/p{root['ts'].replace('.', '')}|" in recap
    assert "3 people took part" in recap and "Q1 67%, Q2 0%" in recap
    correct = second.options[second.correct_index]
    assert "Most missed" in recap and correct.explain[:40] in recap
    for user in ("UANN", "UBEN", "UCAT"):
        assert user not in recap
    assert "header" in [b["type"] for b in week2["blocks"]][1:3]


async def test_count_updates_are_paced_and_a_burst_becomes_one_update(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    clock = Clock(T0)
    question = catalog.lessons[0].quiz[0]
    async with quiz_bot(tmp_path, fake_slack, catalog, clock, quiz_update_interval=5) as server:
        services = server.services
        post = await quiz_store.find_post(services.engine, TEAM, CHANNEL, "2025-W10")
        assert post is not None
        start = MONDAY + timedelta(hours=2)
        clock.now = start
        await answer(server, fake_slack, "UANN", question, 0)
        await fake_slack.wait_for(lambda: len(updates(fake_slack)) == 1)
        for n, user in enumerate(("UBEN", "UCAT", "UDAN"), start=1):
            clock.now = start + timedelta(seconds=n)
            await answer(server, fake_slack, user, question, 1)
        assert updates(fake_slack) == ["1 answered"]  # the burst waits for the interval
        job = services.scheduler.get(count_job_id(post.id))
        assert job is not None and job.trigger.run_date == start + timedelta(seconds=5)
        assert len([j for j in services.scheduler.jobs() if j.id.startswith("quiz-count:")]) == 1
        clock.now = start + timedelta(seconds=5)  # the pending job runs when the interval ends
        await refresh_count(services, post.id)
        assert updates(fake_slack) == ["1 answered", "4 answered"]
        await refresh_count(services, post.id)  # nothing new: no call
        assert len(fake_slack.calls_to("chat.update")) == 2


async def test_a_refused_update_is_tried_again(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    clock = Clock(T0)
    question = catalog.lessons[0].quiz[0]
    async with quiz_bot(tmp_path, fake_slack, catalog, clock, quiz_update_interval=0) as server:
        fake_slack.fail_next("chat.update", status=429, retry_after=2)
        clock.now = MONDAY + timedelta(hours=1)
        got = await answer(server, fake_slack, "UANN", question, 0)
        assert "quiz" in got["text"].lower() or got["blocks"]  # the person still hears back
        post = await quiz_store.find_post(server.services.engine, TEAM, CHANNEL, "2025-W10")
        assert post is not None and post.rendered_count == 0
        assert server.services.scheduler.get(count_job_id(post.id)) is not None
        await refresh_count(server.services, post.id)
    assert fake_slack.calls_to("chat.update")[-1].args["ts"] == post.message_ts
    assert updates(fake_slack)[-1] == "1 answered"


async def test_slash_quiz_shows_the_current_quiz_and_its_buttons_answer(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    clock = Clock(T0)
    lesson = catalog.lessons[0]
    async with quiz_bot(tmp_path, fake_slack, catalog, clock, quiz_update_interval=0) as server:
        ack = await server.slash("quiz", channel_id=CHANNEL, user_id="ULATE")
        assert ack["response_type"] == "ephemeral"
        assert f"Lesson 1: {lesson.title}" in ack["blocks"][0]["text"]["text"]
        shown = [e for b in ack["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert len(shown) == sum(len(q.options) for q in lesson.quiz)
        assert "you've answered 0 of" in context_of(ack["blocks"])
        # A latecomer answers from the ephemeral message (no message_ts: is_ephemeral).
        pressed_at = lesson.quiz[0].correct_index
        pressed = shown[pressed_at]
        resp = await server.click(
            pressed["action_id"], pressed["value"], user="ULATE", channel=CHANNEL
        )
        assert resp.status == 200
        await fake_slack.wait_for(lambda: bool(fake_slack.responses))
        reply = fake_slack.responses[-1]
        assert "Right" in reply["blocks"][0]["text"]["text"]
        # The ephemeral quiz is replaced: feedback on top, the quiz below with this answer marked.
        assert reply["replace_original"] is True and reply["response_type"] == "ephemeral"
        styles = [e.get("style") for e in buttons(reply)]
        assert styles.count("primary") == 1 and styles.index("primary") == pressed_at
        await fake_slack.wait_for(lambda: updates(fake_slack) == ["1 answered"])
        again = await server.slash("quiz", channel_id=CHANNEL, user_id="ULATE")
        assert "1 answered · you've answered 1 of" in context_of(again["blocks"])
        marked = [e for b in again["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [e.get("style") for e in marked].count("primary") == 1
        elsewhere = await server.slash("quiz", channel_id="C404")
        assert "isn't subscribed" in elsewhere["blocks"][0]["text"]["text"]
        await subscribe(server.services, "C2", "mon", "10:00", "UTC", clock.now)
        waiting = await server.slash("quiz", channel_id="C2")
        assert "No lesson has been posted here yet" in waiting["blocks"][0]["text"]["text"]
        assert "/mlops lesson" in waiting["blocks"][0]["text"]["text"]


async def test_console_practice_quiz_with_press(tmp_path: Path, catalog: Catalog) -> None:
    lesson = catalog.lessons[0]
    question = lesson.quiz[0]
    async with boot_bot(tmp_path, catalog, None, offline=True) as server:
        console = server.console()
        shown = await console.handle("/mlops quiz")
        assert "Practice quiz" in shown and lesson.title in shown
        assert f"[1 {question.options[0].text}" in shown
        right = await console.handle(f"press {question.correct_index + 1}")
        assert "Right" in right and question.options[question.correct_index].explain[:30] in right
        # The quiz comes back below the feedback, so `press N` answers the next one.
        assert "1 answered · you've answered 1 of" in right
        wrong_index = option(question, False)
        wrong = await console.handle(f"press {wrong_index + 1}")
        assert "Not quite" in wrong and "Answer changed" in wrong
        second = lesson.quiz[1]
        offset = len(question.options)
        await console.handle(f"press {offset + second.correct_index + 1}")
        again = await console.handle("/mlops quiz")
        assert "1 answered" in again and "you've answered 2 of" in again
        engine = server.services.engine
        answers = await quiz_store.answers_of(
            engine, "T0CONSOLE", "C0CONSOLE", "practice", "U0CONSOLE"
        )
        assert answers == {question.id: wrong_index, second.id: second.correct_index}


async def test_a_quiz_that_reached_slack_before_a_crash_is_found_not_reposted(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    from bot.core.schedule import last_occurrence
    from bot.digest import EVENT_TYPE
    from bot.store import deliveries

    async with boot_bot(tmp_path, catalog, fake_slack, http=False) as server:
        services = server.services
        sub = await subscribe(services, CHANNEL, "mon", "10:00", "UTC", T0)
        row = await deliveries.claim(
            services.engine, sub, last_occurrence(sub.schedule, MONDAY), lesson_order=1,
            now=MONDAY, claimer="elsewhere:1:1:dead",
        )  # fmt: skip
        assert row is not None
        # The dead process had posted all three messages, and recorded none of them.
        for ts, kind, thread in (("1741000000.000001", "lesson", None),
                                 ("1741000000.000002", "question", "1741000000.000001"),
                                 ("1741000000.000003", "quiz", "1741000000.000001")):  # fmt: skip
            fake_slack.messages[CHANNEL].append(
                {"ts": ts, "channel": CHANNEL, "text": kind, "blocks": [], "thread_ts": thread,
                 "user": "UBOT", "bot_id": "BBOT",
                 "metadata": {"event_type": EVENT_TYPE,
                              "event_payload": {"delivery_key": row.key, "kind": kind}}}
            )  # fmt: skip
        report = await Digest(services, sleep=Sleeps()).run_pass(MONDAY + timedelta(minutes=6))
        assert report.posted == [row.key]
        post = await quiz_store.find_post(services.engine, TEAM, CHANNEL, row.week_key)
    assert fake_slack.calls_to("chat.postMessage") == []
    assert post is not None and post.message_ts == "1741000000.000003"


async def test_when_slack_cannot_tell_the_recap_the_lesson_is_posted_without_it(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, caplog: Any
) -> None:
    clock = Clock(T0)
    async with quiz_bot(tmp_path, fake_slack, catalog, clock) as server:
        fake_slack.fail_next("chat.getPermalink", error="missing_scope")
        clock.now = MONDAY + timedelta(days=7)
        with caplog.at_level("WARNING", logger="bot.recap"):
            report = await Digest(server.services, sleep=Sleeps()).run_pass(clock.now)
    assert report.posted and not report.failed
    week2 = lesson_roots(fake_slack, CHANNEL)[1]
    assert week2["blocks"][0]["type"] == "header"
    assert len(quizzes(fake_slack, CHANNEL)) == 2
    warnings = [r for r in caplog.records if r.name == "bot.recap"]
    assert len(warnings) == 1 and "missing_scope" in warnings[0].getMessage()


async def test_a_week_without_a_quiz_message_gets_no_quiz_line_in_its_recap(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    from bot.store.schema import quiz_posts

    clock = Clock(T0)
    async with quiz_bot(tmp_path, fake_slack, catalog, clock) as server:
        async with server.services.engine.begin() as conn:  # as if posted before quizzes
            await conn.execute(quiz_posts.delete())
        clock.now = MONDAY + timedelta(days=7)
        await Digest(server.services, sleep=Sleeps()).run_pass(clock.now)
    recap = lesson_roots(fake_slack, CHANNEL)[1]["blocks"][0]["text"]["text"]
    assert "no replies yet" in recap and "Quiz" not in recap


async def test_each_answer_is_counted_in_metrics(tmp_path: Path, catalog: Catalog) -> None:
    from dataclasses import replace

    from bot.features.quiz import on_answer
    from bot.metrics import Metrics
    from bot.router import ActionRequest

    question = catalog.lessons[0].quiz[0]
    metrics = Metrics()
    async with boot_bot(tmp_path, catalog, None, offline=True) as server:
        services = replace(server.services, metrics=metrics)
        for index in (question.correct_index, option(question, False), option(question, False)):
            value = answer_value("practice", question.id, index)
            request = ActionRequest(ACTION_ANSWERS[index], value, container="console",
                                    channel_id="C0CONSOLE")  # fmt: skip
            await on_answer(services, request)
    body = metrics.render()[0].decode()
    assert 'mlops_quiz_answers_total{correct="true"} 1.0' in body
    assert 'mlops_quiz_answers_total{correct="false"} 2.0' in body


async def test_answers_count_and_recap_over_postgres(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, pg_url: str
) -> None:
    clock = Clock(T0)
    question = catalog.lessons[0].quiz[0]
    async with quiz_bot(
        tmp_path, fake_slack, catalog, clock, quiz_update_interval=0, database_url=pg_url
    ) as server:
        clock.now = MONDAY + timedelta(hours=1)
        await answer(server, fake_slack, "UANN", question, option(question, False))
        await answer(server, fake_slack, "UANN", question, question.correct_index)
        await answer(server, fake_slack, "UBEN", question, option(question, False))
        await fake_slack.wait_for(lambda: updates(fake_slack)[-1:] == ["2 answered"])
        clock.now = MONDAY + timedelta(days=7)
        await Digest(server.services, sleep=Sleeps()).run_pass(clock.now)
    recap = lesson_roots(fake_slack, CHANNEL)[1]["blocks"][0]["text"]["text"]
    assert "2 people took part; right answers: Q1 50%." in recap


async def test_quiz_answers_show_in_app_home_and_stats(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    from bot.store import quiz_summary

    lesson = catalog.lessons[0]
    first, second = lesson.quiz[0], lesson.quiz[1]
    async with quiz_bot(tmp_path, fake_slack, catalog, Clock(T0), admins="UANN") as server:
        quiz_ts = quizzes(fake_slack, CHANNEL)[0]["ts"]
        await answer(server, fake_slack, "UANN", first, first.correct_index, message_ts=quiz_ts)
        await answer(server, fake_slack, "UANN", second, option(second, False), message_ts=quiz_ts)
        await answer(server, fake_slack, "UBEN", first, first.correct_index, message_ts=quiz_ts)
        engine = server.services.engine
        record = await quiz_summary.quiz_record(engine, TEAM, "UANN")
        assert record is not None and (record.answered, record.correct, record.streak) == (2, 1, 0)
        ben = await quiz_summary.quiz_record(engine, TEAM, "UBEN")
        assert ben is not None and (ben.answered, ben.correct, ben.streak) == (1, 1, 1)
        root = lesson_roots(fake_slack, CHANNEL)[0]
        tally = await quiz_summary.quiz_tally(engine, TEAM, CHANNEL, root["ts"])
        assert tally is not None and (tally.people, tally.answers, tally.correct) == (2, 3, 2)
        resp = await server.event({"type": "app_home_opened", "user": "UANN", "tab": "home"})
        assert resp.status == 200
        await fake_slack.wait_for(lambda: "UANN" in fake_slack.home_views)
        home = json.dumps(fake_slack.home_views["UANN"])
        assert "Your quiz record: 2 answered, 1 right, streak 0" in home
