"""Turn `/mlops ...` text into a command name and its arguments.

Reserved words take precedence over free-text search: `/mlops help` is help, never a search.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Anything longer is cut before parsing: Slack documents no maximum for `text`.
MAX_TEXT = 4000
SEARCH = "search"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_LEADING_MENTION = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>\s*)+")
_LEADING_SLASH = re.compile(r"^\s*/mlops\b", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # a reserved word, or SEARCH
    args: str  # the rest of the text, cleaned of control characters


def clean(text: str | None) -> str:
    """Drop control and bidi characters, fold whitespace, cap the length."""
    text = unicodedata.normalize("NFC", (text or "")[:MAX_TEXT])
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def parse(text: str | None, reserved: frozenset[str] | set[str]) -> ParsedCommand:
    """Split text into a reserved command and its args, or a free-text search."""
    cleaned = clean(text)
    cleaned = _LEADING_MENTION.sub("", cleaned)
    cleaned = _LEADING_SLASH.sub("", cleaned).strip()
    if not cleaned:
        return ParsedCommand("help", "")
    head, _, rest = cleaned.partition(" ")
    word = head.casefold()
    if word in reserved:
        return ParsedCommand(word, rest.strip())
    return ParsedCommand(SEARCH, cleaned)
