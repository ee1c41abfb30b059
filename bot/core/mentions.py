"""Slack's escapes for people and channels in command text: `<@U123|name>`, `<#C123|name>`."""

from __future__ import annotations

import re

_USER = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>$")
_BARE_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_BARE_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,20}$")


def user_id(text: str) -> str | None:
    """The user id of `<@U123>` / `<@U123|name>` (or a bare `U123`); None for anything else."""
    text = text.strip()
    found = _USER.match(text)
    if found:
        return found.group(1)
    return text if _BARE_USER.match(text) else None


def channel_id(text: str) -> str | None:
    """The channel id of `<#C123>` / `<#C123|name>` (or a bare `C123`); None otherwise."""
    text = text.strip()
    found = _CHANNEL.match(text)
    if found:
        return found.group(1)
    return text if _BARE_CHANNEL.match(text) else None
