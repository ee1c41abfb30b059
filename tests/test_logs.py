"""bot/logs.py: JSON lines with the bound team and request id, readable text, quiet libraries."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.logs import (
    NOISY_LOGGERS,
    bind,
    configure_logging,
    current_request_id,
    current_team,
    new_request_id,
)

FIELDS = {"time", "level", "logger", "message", "team", "request_id"}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)


def json_lines(stream: io.StringIO) -> list[dict]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]  # every line parses


def test_json_lines_have_every_field() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    before = datetime.now(UTC)
    logging.getLogger("bot.digest").info("posted lesson %d to %s", 3, "C123")
    logging.getLogger("bot.test").debug("below the level: not written")
    logging.getLogger("bot.test").warning("multi\nline «ünïcode» 中文")
    (first, second) = json_lines(out)
    assert set(first) >= FIELDS
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.digest"
    assert first["message"] == "posted lesson 3 to C123"
    assert first["team"] is None and first["request_id"] is None
    assert "exc_info" not in first
    assert first["time"].endswith("Z")
    stamp = datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert second["level"] == "WARNING"
    assert second["message"] == "multi\nline «ünïcode» 中文"  # one line on disk, intact parsed


def test_traceback_lands_inside_one_json_line() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot.slack.app")
    with bind(team="T0TEAM", request_id="req-1"):
        try:
            raise ValueError("bad\npayload")
        except ValueError:
            log.exception("unhandled error in listener")
        log.info("after")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    error, after = (json.loads(line) for line in lines)
    assert error["level"] == "ERROR"
    assert error["message"] == "unhandled error in listener"
    assert isinstance(error["exc_info"], str)
    assert error["exc_info"].startswith("Traceback (most recent call last):")
    assert "ValueError: bad\npayload" in error["exc_info"]
    assert "test_traceback_lands_inside_one_json_line" in error["exc_info"]
    assert error["team"] == "T0TEAM" and error["request_id"] == "req-1"
    assert "exc_info" not in after


def test_exc_info_given_as_exception_and_stack_info() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    logging.getLogger("bot").error("failed", exc_info=RuntimeError("boom"))
    logging.getLogger("bot").info("where", stack_info=True)
    failed, where = json_lines(out)
    assert "RuntimeError: boom" in failed["exc_info"]
    assert where["stack_info"].startswith("Stack (most recent call last):")


def test_bind_sets_restores_and_keeps_what_is_not_given() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot")
    with bind(team="T1", request_id="r1"):
        log.info("a")
        with bind(request_id="r2"):
            log.info("b")
            with bind(team=None):
                log.info("c")
        log.info("d")
        with pytest.raises(KeyError), bind(team="T9"):
            raise KeyError
        log.info("e")
    log.info("f")
    log.info("g", extra={"team": "T-extra"})
    got = [(line["message"], line["team"], line["request_id"]) for line in json_lines(out)]
    assert got == [
        ("a", "T1", "r1"),
        ("b", "T1", "r2"),
        ("c", None, "r2"),
        ("d", "T1", "r1"),
        ("e", "T1", "r1"),
        ("f", None, None),
        ("g", "T-extra", None),
    ]
    assert current_team.get() is None and current_request_id.get() is None


async def test_concurrent_tasks_keep_their_own_context() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot.router")

    async def handle(team: str) -> None:
        with bind(team=team, request_id=new_request_id()):
            for step in range(3):
                log.info("%s step %d", team, step)
                await asyncio.sleep(0)

    await asyncio.gather(*(handle(f"T{i}") for i in range(5)))
    lines = json_lines(out)
    assert len(lines) == 15
    ids: dict[str, set[str]] = {}
    for line in lines:
        assert line["message"].startswith(line["team"] + " ")
        ids.setdefault(line["team"], set()).add(line["request_id"])
    assert all(len(one) == 1 for one in ids.values())
    assert len({next(iter(one)) for one in ids.values()}) == 5


def test_text_format_is_readable_and_shows_context() -> None:
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    log = logging.getLogger("bot.digest")
    log.debug("plain")
    with bind(team="T1", request_id="abc"):
        log.info("bound")
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("oops")
    lines = out.getvalue().splitlines()
    line = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(line + r" DEBUG bot\.digest: plain", lines[0])
    assert re.fullmatch(line + r" INFO bot\.digest \[team=T1 req=abc\]: bound", lines[1])
    assert re.fullmatch(line + r" ERROR bot\.digest: oops", lines[2])
    assert lines[3] == "Traceback (most recent call last):"
    assert lines[-1] == "ZeroDivisionError: division by zero"
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_noisy_loggers_are_quiet_and_levels_parse() -> None:
    out = io.StringIO()
    configure_logging("debug", "json", stream=out)
    assert logging.getLogger().level == logging.DEBUG
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).level == logging.WARNING
    logging.getLogger("httpx").info("HTTP Request: POST https://slack.com/api/chat.postMessage")
    logging.getLogger("slack_sdk.web.base_client").debug("payload with a token")
    logging.getLogger("aiohttp.access").info("127.0.0.1 GET /healthz")
    logging.getLogger("apscheduler.executors.default").info("Running job")
    logging.getLogger("httpx").warning("kept")
    assert [line["message"] for line in json_lines(out)] == ["kept"]
    configure_logging("nonsense", "json", stream=out)
    assert logging.getLogger().level == logging.INFO
    configure_logging("WARN", "json", stream=out)
    assert logging.getLogger().level == logging.WARNING


def test_configuring_again_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "text", stream=first)
    configure_logging("INFO", "JSON", stream=second)
    logging.getLogger("bot").info("once")
    assert first.getvalue() == ""
    assert [line["message"] for line in json_lines(second)] == ["once"]
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_mlops_handler", False)]
    assert len(ours) == 1


def test_unknown_format_falls_back_to_text_with_a_warning() -> None:
    out = io.StringIO()
    configure_logging("INFO", "yaml", stream=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert "WARNING bot.logs: unknown log format 'yaml'" in lines[0]


def test_new_request_ids_are_distinct() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", one) for one in ids)
