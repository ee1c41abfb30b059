"""Block Kit, built by pure functions in one package; this module holds the primitives.

Feature builders live beside it (search, lessons, suggestions). Action ids are shared constants.

Anything a user or a web page wrote goes through `escape` and is sent with `verbatim: true`,
so echoed text can never ping (`<!channel>`), link or mention anybody.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FALLBACK = 3900
MAX_ECHO = 120


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control (ampersand first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def echo(text: str, limit: int = MAX_ECHO) -> str:
    """User text shown back to them: shortened and escaped."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def link(url: str, label: str) -> str:
    """A mrkdwn link; `|` and `>` can never appear inside, whatever the label holds."""
    safe_label = escape(label.replace("|", "¦"))
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{safe_label}>"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cap(text, MAX_SECTION), "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*parts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(p) for p in parts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _cap(text, 150)}}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cap(text, 75)},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback(text: str) -> str:
    """The notification text that accompanies blocks."""
    return _cap(text, MAX_FALLBACK)


def build_message(text: str) -> list[Block]:
    """A plain notice (errors, confirmations); `text` must already be escaped mrkdwn."""
    return [section(text)]


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cap(text, limit)}


def build_info_modal(text: str, title: str = "MLOps bot") -> dict[str, Any]:
    """A modal that only says something (e.g. someone else decided first)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [section(text)],
    }


def text_input(
    block_id: str, label: str, *, optional: bool = True, multiline: bool = True, initial: str = ""
) -> Block:
    """A plain-text input block of a modal (the console asks for it on its own line)."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": 2000,
    }
    if initial:
        element["initial_value"] = initial[:2000]
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": element,
    }


def select_input(
    block_id: str, label: str, options: list[tuple[str, str]], initial: str | None = None
) -> Block:
    """A static select input (value, label pairs; at most 100 options)."""
    choices = [{"text": plain(text, 75), "value": value[:150]} for value, text in options[:100]]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": choices}
    for choice in choices:
        if choice["value"] == initial:
            element["initial_option"] = choice
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}


def time_input(block_id: str, label: str, initial: str | None = None) -> Block:
    element: dict[str, Any] = {"type": "timepicker", "action_id": "value"}
    if initial:
        element["initial_time"] = initial
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}


def modal(
    callback_id: str,
    title: str,
    body: list[Block],
    *,
    submit: str = "Save",
    private_metadata: str = "",
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata[:3000],
        "blocks": body[:100],
    }
