"""bot/metrics.py: bounded labels, a registry per instance, and the guarded /metrics handler."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import CONTENT_TYPE, METRICS_PATH, Metrics, metrics_handler
from bot.server import start_site

COMMANDS = ("help", "topics", "search", "subscribe", "suggest")


def value(metrics: Metrics, name: str, **labels: str) -> float:
    got = metrics.registry.get_sample_value(name, labels)
    return 0.0 if got is None else got


def label_values(metrics: Metrics, label: str) -> set[str]:
    body, _ = metrics.render()
    return {
        sample.labels[label]
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if label in sample.labels
    }


def test_request_counts_and_times_by_kind() -> None:
    m = Metrics(COMMANDS)
    m.request("slash", "topics", "ok", 0.02)
    m.request("slash", "topics", "ok", 0.04)
    m.request("action", "help", "user_error", 0.5)
    assert value(m, "mlops_requests_total", kind="slash", command="topics", outcome="ok") == 2
    assert (
        value(m, "mlops_requests_total", kind="action", command="help", outcome="user_error") == 1
    )
    assert value(m, "mlops_answer_seconds_count", kind="slash") == 2
    assert value(m, "mlops_answer_seconds_sum", kind="slash") == pytest.approx(0.06)
    assert value(m, "mlops_answer_seconds_bucket", kind="slash", le="0.025") == 1
    m.request("event", "help", "ok")  # no duration given: counted, not timed
    assert value(m, "mlops_answer_seconds_count", kind="event") == 0


def test_commands_outside_the_allow_list_and_user_text_become_other() -> None:
    m = Metrics(COMMANDS)
    for text in ("kubeflow pipelines", "U024BE7LH", "<@U024BE7LH> hi", "DROP TABLE", "", None):
        m.request("slash", text, "ok", 0.01)
    m.request("slash", "  Topics ", "ok", 0.01)  # case and spaces do not make a new series
    assert value(m, "mlops_requests_total", kind="slash", command="other", outcome="ok") == 6
    assert value(m, "mlops_requests_total", kind="slash", command="topics", outcome="ok") == 1
    assert label_values(m, "command") == {"other", "topics"}


def test_unknown_kind_and_outcome_are_bucketed_not_raised() -> None:
    m = Metrics(COMMANDS)
    m.request("webhook", "help", "exploded", 0.1)
    assert value(m, "mlops_requests_total", kind="other", command="help", outcome="other") == 1
    assert label_values(m, "kind") == {"other"}


def test_track_records_outcome_and_duration() -> None:
    m = Metrics(COMMANDS)
    with m.track("slash", "help"):
        pass
    with m.track("slash", "help") as outcome:
        outcome.value = "user_error"
    with pytest.raises(TimeoutError), m.track("slash", "help"):
        raise TimeoutError
    with pytest.raises(RuntimeError), m.track("console", "search"):
        raise RuntimeError("boom")
    for outcome_label in ("ok", "user_error", "timeout"):
        assert (
            value(m, "mlops_requests_total", kind="slash", command="help", outcome=outcome_label)
            == 1
        )
    assert value(m, "mlops_requests_total", kind="console", command="search", outcome="error") == 1
    assert value(m, "mlops_answer_seconds_count", kind="slash") == 3


def test_weekly_decisions_and_quiz_start_at_zero_and_count() -> None:
    m = Metrics()
    for outcome in ("posted", "reconciled", "suspended", "failed"):
        assert m.registry.get_sample_value("mlops_weekly_posts_total", {"outcome": outcome}) == 0
    m.weekly_post("posted")
    m.weekly_post("posted")
    m.weekly_post("suspended")
    m.weekly_post("C0123 exploded")
    assert value(m, "mlops_weekly_posts_total", outcome="posted") == 2
    assert value(m, "mlops_weekly_posts_total", outcome="suspended") == 1
    assert value(m, "mlops_weekly_posts_total", outcome="other") == 1

    assert (
        m.registry.get_sample_value("mlops_suggestion_decisions_total", {"decision": "rejected"})
        == 0
    )
    m.decision(approved=True)
    m.decision(approved=False)
    m.decision(approved=True)
    assert value(m, "mlops_suggestion_decisions_total", decision="approved") == 2
    assert value(m, "mlops_suggestion_decisions_total", decision="rejected") == 1

    m.quiz_answer(correct=False)
    m.quiz_answer(correct=True)
    m.quiz_answer(correct=True)
    assert value(m, "mlops_quiz_answers_total", correct="true") == 2
    assert value(m, "mlops_quiz_answers_total", correct="false") == 1


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("ok", "ok"),
        (200, "ok"),
        ("channel_not_found", "channel_not_found"),
        ("not_in_channel", "not_in_channel"),
        ("is_archived", "is_archived"),
        ("invalid_auth", "invalid_auth"),
        ("ratelimited", "429"),
        ("429", "429"),
        (429, "429"),
        (503, "other"),
        ("some_new_code_slack_invented", "other"),
        ("https://example.com/?q=secret", "other"),
    ],
)
def test_slack_status_buckets(status: str | int, label: str) -> None:
    m = Metrics()
    m.slack_call("chat.postMessage", status)
    assert value(m, "mlops_slack_api_calls_total", method="chat.postMessage", status=label) == 1


def test_slack_methods_are_allow_listed() -> None:
    m = Metrics()
    m.slack_call("conversations.history", "ok")
    m.slack_call("admin.users.session.reset", "ok")
    assert value(m, "mlops_slack_api_calls_total", method="conversations.history", status="ok") == 1
    assert value(m, "mlops_slack_api_calls_total", method="other", status="ok") == 1
    custom = Metrics(slack_methods={"chat.postMessage"})
    custom.slack_call("conversations.history", "ok")
    assert value(custom, "mlops_slack_api_calls_total", method="other", status="ok") == 1


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(COMMANDS), Metrics(COMMANDS)  # no "Duplicated timeseries" error
    first.weekly_post("posted")
    assert value(first, "mlops_weekly_posts_total", outcome="posted") == 1
    assert value(second, "mlops_weekly_posts_total", outcome="posted") == 0
    assert first.registry is not REGISTRY
    assert REGISTRY.get_sample_value("mlops_weekly_posts_total", {"outcome": "posted"}) is None


def test_render_is_prometheus_text_with_every_family() -> None:
    m = Metrics(COMMANDS)
    m.request("slash", "help", "ok", 0.01)
    m.slack_call("chat.postMessage", "ok")
    body, content_type = m.render()
    assert content_type == CONTENT_TYPE
    assert content_type.startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {
        "mlops_requests",
        "mlops_answer_seconds",
        "mlops_weekly_posts",
        "mlops_slack_api_calls",
        "mlops_suggestion_decisions",
        "mlops_quiz_answers",
    } <= names
    assert b"mlops_requests_total{" in body


async def _serve(handler):  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_get(METRICS_PATH, handler)
    return await start_site(app, "127.0.0.1", 0)


async def test_handler_without_token_is_open() -> None:
    m = Metrics(COMMANDS)
    m.request("slash", "help", "ok", 0.01)
    runner, port = await _serve(metrics_handler(m, None))
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}{METRICS_PATH}") as resp,
        ):
            assert resp.status == 200
            assert resp.headers["Content-Type"] == CONTENT_TYPE
            text = await resp.text()
        assert 'mlops_requests_total{command="help",kind="slash",outcome="ok"} 1.0' in text
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        ("Bearer s3cret-token-but-longer", 401),
        ("Bearer s3cret-toke", 401),
        ("bearer s3cret-token", 401),
        ("s3cret-token", 401),
        ("Basic czNjcmV0LXRva2Vu", 401),
        ("Bearer s3cret-token", 200),
    ],
)
async def test_handler_with_token_requires_bearer(header: str | None, status: int) -> None:
    m = Metrics(COMMANDS)
    runner, port = await _serve(metrics_handler(m, "s3cret-token"))
    headers = {"Authorization": header} if header is not None else {}
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}{METRICS_PATH}", headers=headers) as resp,
        ):
            assert resp.status == status
            text = await resp.text()
        if status == 401:
            assert "mlops_" not in text
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert "mlops_weekly_posts_total" in text
    finally:
        await runner.cleanup()


async def test_empty_token_means_open() -> None:
    runner, port = await _serve(metrics_handler(Metrics(), ""))
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}{METRICS_PATH}") as resp,
        ):
            assert resp.status == 200
    finally:
        await runner.cleanup()
