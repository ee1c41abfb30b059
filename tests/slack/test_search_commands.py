"""`/mlops …` through the bot's real HTTP endpoint, signed like Slack, against the fake Web API."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from bot.blocks.search import ACTION_MORE, ACTION_SHARE
from tests.conftest import BotServer
from tests.fakes.signing import signed_headers, slash_body

LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def all_text(payload: Any) -> str:
    """Every string inside a Slack payload, for checks on what a user could see."""
    if isinstance(payload, dict):
        return "\n".join(all_text(v) for v in payload.values())
    if isinstance(payload, list):
        return "\n".join(all_text(v) for v in payload)
    return payload if isinstance(payload, str) else ""


def visible_text(payload: dict[str, Any]) -> str:
    """Text a user sees (block texts and fallback), excluding button values."""
    parts = [payload.get("text") or ""]
    for block in payload.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                parts.append(element["text"].get("text", ""))
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def links(payload: dict[str, Any]) -> list[str]:
    return [m.group(1) for m in LINK.finditer(visible_text(payload))]


def buttons(payload: dict[str, Any]) -> dict[str, str]:
    found = {}
    for block in payload.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element["value"]
    return found


async def test_topic_query_answers_ephemerally_with_five_linked_resources(bot_server: BotServer):
    ack = await bot_server.slash("serving")
    assert ack["response_type"] == "ephemeral"
    urls = links(ack)
    assert len(urls) == 5
    catalog = bot_server.services.catalog
    shown = [catalog.by_url(u) for u in urls]
    assert all(shown), "every link is a catalog resource"
    assert all("serving" in r.topics for r in shown)
    kinds = [r.kind.is_learning for r in shown]
    assert kinds == sorted(kinds, reverse=True), "learning material before tools"
    text = visible_text(ack)
    assert "Tools to explore" in text
    for resource in shown:
        assert resource.summary.split()[0] in text
    assert set(buttons(ack)) == {ACTION_SHARE, ACTION_MORE}


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("model serving", "serving"),
        ("inference", "serving"),
        ("servng", "serving"),
        ("how do I deploy a model", "deployment"),
        ("drift", "drift"),
        ("数据标注", "labeling"),
        ("模型服务", "serving"),
    ],
)
async def test_synonyms_typos_questions_and_chinese_reach_the_topic(
    bot_server: BotServer, query: str, topic: str
):
    ack = await bot_server.slash(query)
    shown = [bot_server.services.catalog.by_url(u) for u in links(ack)]
    assert len(shown) == 5
    assert sum(topic in r.topics for r in shown) >= 3


async def test_tool_name_puts_that_tool_first(bot_server: BotServer):
    ack = await bot_server.slash("feast")
    first = bot_server.services.catalog.by_url(links(ack)[0])
    assert first is not None and first.title.lower().startswith("feast")


async def test_no_match_offers_did_you_mean_and_topics(bot_server: BotServer):
    ack = await bot_server.slash("pizza")
    text = visible_text(ack)
    assert ack["response_type"] == "ephemeral"
    assert "couldn't find" in text
    assert "`serving`" in text and "`labeling`" in text
    assert not links(ack)


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP"])
async def test_empty_text_and_help_show_usage(bot_server: BotServer, text: str):
    ack = await bot_server.slash(text)
    assert ack["response_type"] == "ephemeral"
    assert "/mlops serving" in visible_text(ack)
    assert "/mlops topics" in visible_text(ack)


async def test_topics_lists_every_topic_with_counts(bot_server: BotServer):
    ack = await bot_server.slash("topics")
    text = visible_text(ack)
    counts = bot_server.services.catalog.topic_counts()
    assert ack["response_type"] == "ephemeral"
    for topic_id, count in counts.items():
        assert f"`{topic_id}`" in text
        assert f"({count})" in text


async def test_reserved_words_win_over_search(bot_server: BotServer):
    ack = await bot_server.slash("topics serving")
    assert "topics" in visible_text(ack).lower()
    assert not links(ack)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,
        "serving\x00\x07\x1b[31m",
        "🚀 serving 🤖",
        "模型监控",
        "<!channel> serving",
        "<!here|here> <!everyone>",
        "<@U123> monitoring",
        "&lt;script&gt; serving",
        "*bold* _it_ ~strike~ `code` <https://evil.example|click me> > quote",
        "\u202eserving\u202c",
    ],
)
async def test_hostile_input_gets_a_friendly_answer_that_cannot_ping_or_link(
    bot_server: BotServer, text: str
):
    ack = await bot_server.slash(text)
    assert ack["response_type"] == "ephemeral"
    shown = visible_text(ack)
    assert shown.strip()
    for forbidden in ("<!channel", "<!here", "<!everyone", "<@U123", "evil.example|"):
        assert forbidden not in shown
    # Every link the bot renders points at a catalog resource.
    for url in links(ack):
        assert bot_server.services.catalog.by_url(url) is not None
    assert "Traceback" not in all_text(ack)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 6 * 60)},
        {"X-Slack-Signature": ""},
    ],
    ids=["invalid", "stale", "missing"],
)
async def test_bad_signatures_are_refused_and_run_nothing(
    bot_server: BotServer, headers: dict[str, str]
):
    body = slash_body("serving", bot_server.fake.response_url())
    good = signed_headers(body, content_type="application/x-www-form-urlencoded")
    if "X-Slack-Request-Timestamp" in headers:
        # Stale: a correct signature over an old timestamp.
        good = signed_headers(
            body,
            content_type="application/x-www-form-urlencoded",
            timestamp=int(headers["X-Slack-Request-Timestamp"]),
        )
    else:
        good.update(headers)
    resp = await bot_server.http.post(f"{bot_server.url}/slack/events", data=body, headers=good)
    assert resp.status == 401
    assert "Resources" not in await resp.text()
    assert bot_server.fake.calls == []


async def test_unsigned_request_is_refused(bot_server: BotServer):
    body = slash_body("serving", bot_server.fake.response_url())
    resp = await bot_server.http.post(
        f"{bot_server.url}/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 401


async def test_share_posts_the_same_answer_publicly(bot_server: BotServer):
    ack = await bot_server.slash("monitoring")
    resp = await bot_server.click(ACTION_SHARE, buttons(ack)[ACTION_SHARE])
    assert resp.status == 200
    await bot_server.fake.wait_for(lambda: bot_server.fake.responses)
    shared = bot_server.fake.responses[-1]
    assert shared["response_type"] == "in_channel"
    assert links(shared) == links(ack)
    assert "<@U222>" in visible_text(shared)
    assert ACTION_SHARE not in buttons(shared)


async def test_more_pages_on_without_repeats(bot_server: BotServer):
    ack = await bot_server.slash("monitoring")
    first_page = links(ack)
    await bot_server.click(ACTION_MORE, buttons(ack)[ACTION_MORE])
    await bot_server.fake.wait_for(lambda: bot_server.fake.responses)
    second = bot_server.fake.responses[-1]
    assert second.get("replace_original") is True
    second_page = links(second)
    assert len(second_page) == 5
    assert not set(first_page) & set(second_page)
    assert "6–10 of" in visible_text(second)


async def test_tampered_button_value_gets_a_friendly_answer(bot_server: BotServer):
    resp = await bot_server.click(ACTION_MORE, "not json <!channel>")
    assert resp.status == 200
    await bot_server.fake.wait_for(lambda: bot_server.fake.responses)
    assert "expired" in bot_server.fake.responses[-1]["text"]


async def test_unknown_interactions_are_acknowledged(bot_server: BotServer):
    resp = await bot_server.click("some_old_button", "x")
    assert resp.status == 200
    odd = json.dumps({"type": "never_seen_before", "team": {"id": "T111"}})
    from urllib.parse import urlencode

    resp = await bot_server.post(urlencode({"payload": odd}), "application/x-www-form-urlencoded")
    assert resp.status == 200


def mention(
    text: str, ts: str = "1700000000.000100", thread_ts: str | None = None
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": "U222",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": "C111",
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def test_mention_in_a_thread_answers_in_that_thread(bot_server: BotServer):
    resp = await bot_server.event(mention("serving", thread_ts="1699999999.000001"))
    assert resp.status == 200
    fake = bot_server.fake
    await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    posted = fake.calls_to("chat.postMessage")[0].args
    assert posted["channel"] == "C111"
    assert posted["thread_ts"] == "1699999999.000001"
    assert len(links(posted)) == 5


async def test_retried_mention_is_answered_once(bot_server: BotServer):
    fake = bot_server.fake
    await bot_server.event(mention("monitoring"), event_id="EvRetry1")
    await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    resp = await bot_server.event(
        mention("monitoring"),
        event_id="EvRetry1",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert resp.status == 200
    # A different event afterwards proves the listener still runs (and orders the check).
    await bot_server.event(mention("labeling"), event_id="EvOther")
    await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 2)
    answered = [c.args["text"] for c in fake.calls_to("chat.postMessage")]
    assert len(answered) == 2
    assert sum("monitoring" in t for t in answered) == 1


async def test_mention_help_is_ephemeral(bot_server: BotServer):
    await bot_server.event(mention("help"), event_id="EvHelp")
    fake = bot_server.fake
    await fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    call = fake.calls_to("chat.postEphemeral")[0].args
    assert call["user"] == "U222"
    assert call["thread_ts"] == "1700000000.000100"
    assert not fake.calls_to("chat.postMessage")


async def test_healthz(bot_server: BotServer):
    resp = await bot_server.http.get(f"{bot_server.url}/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("hi", "MLOps resources, right here"),
        ("what can you do", "MLOps resources, right here"),
        ("taco tuesday", "couldn't find"),
        ("parking permit", "couldn't find"),
        ("knitting patterns", "couldn't find"),
        ("pipeline for the garden hose", "couldn't find"),
        ("gradient boosting", "production"),
        ("ปัญญาประดิษฐ์", "read Thai"),
    ],
)
async def test_off_topic_and_greetings_through_the_endpoint(
    bot_server: BotServer, text: str, expect: str
):
    answer = await bot_server.slash(text)
    shown = json.dumps(answer, ensure_ascii=False)
    assert expect in shown, shown[:600]
    assert "Share in channel" not in shown


async def test_serving_books_start_with_books_through_the_endpoint(bot_server: BotServer):
    import re

    answer = await bot_server.slash("serving books")
    kinds = re.findall(r"_(course|book|paper|article|talk|video|tool|list)_", json.dumps(answer))
    assert kinds and kinds[0] == "book", kinds
