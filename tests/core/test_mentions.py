"""Slack's `<@U…|name>` and `<#C…|name>` escapes in command text."""

from __future__ import annotations

import pytest

from bot.core.mentions import channel_id, user_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123ABC|ada>", "U123ABC"),
        ("<@U123ABC>", "U123ABC"),
        (" <@W0ENTERPRISE|grid> ", "W0ENTERPRISE"),
        ("U123ABC", "U123ABC"),
        ("<@u123abc>", None),
        ("<#C123|general>", None),
        ("@ada", None),
        ("<@U123> <@U456>", None),
        ("", None),
    ],
)
def test_user_id(text: str, expected: str | None) -> None:
    assert user_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<#C0REVIEW|ml-review>", "C0REVIEW"),
        ("<#C0REVIEW>", "C0REVIEW"),
        ("<#G0PRIVATE|secret>", "G0PRIVATE"),
        ("C0REVIEW", "C0REVIEW"),
        ("#ml-review", None),
        ("<@U123|ada>", None),
        ("<!channel>", None),
    ],
)
def test_channel_id(text: str, expected: str | None) -> None:
    assert channel_id(text) == expected
