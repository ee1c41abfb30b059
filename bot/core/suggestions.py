"""Community suggestions: parse and check `/mlops suggest <url> [topic ...] [note]`.

Pure: no Slack, database or network. The feature layer stores, fetches and renders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core.addresses import refusal_reason
from bot.core.models import Kind, Resource, Topic
from bot.core.urls import normalise_url

MAX_URL = 2048
MAX_NOTE = 300
MAX_TOPICS = 5
# URL + topics + note, generously; a 10 KB paste is refused rather than cut.
MAX_ARGS = MAX_URL + MAX_NOTE + 250
MAX_TITLE = 200
LIMIT_WINDOW = timedelta(days=1)

# Slack wraps links as <https://x|label> or <https://x>.
_WRAPPED = re.compile(r"^<([^<>|]*)(?:\|[^<>]*)?>")
# Slack control sequences (<!here>, <@U1>, <#C1>, <!subteam^S1>) and plain-text broadcasts.
_MENTION = re.compile(r"<[!@#]|(?<![\w./])@(?:here|channel|everyone)\b", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_FORBIDDEN_URL_CHARS = frozenset("<>|\"'`\\{}^")

USAGE = (
    "Start with the link, then any topics and a short note, e.g."
    " `/mlops suggest https://example.org/post serving monitoring great intro to canary releases`."
)


class InvalidSuggestion(ValueError):
    """Bad input; the message is plain text with no user input in it (safe to show)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Suggestion:
    """A checked suggestion, ready to store."""

    url: str
    url_key: str  # normalise_url(url): what duplicates are compared on
    topics: tuple[str, ...]
    note: str

    @property
    def url_hash(self) -> str:
        return url_hash(self.url_key)


def url_hash(url_key: str) -> str:
    """A fixed-size digest of a normalised URL (unique-indexed; long keys would not fit)."""
    return hashlib.sha256(url_key.encode("utf-8")).hexdigest()


def unescape_slack(text: str) -> str:
    """Undo the three escapes Slack applies to command text (ampersand last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def check_url(url: str, allow_hosts: Iterable[tuple[str, int]] = ()) -> str:
    """Return the URL if it may be suggested, else raise InvalidSuggestion saying why."""
    if len(url) > MAX_URL:
        raise InvalidSuggestion(f"That link is too long (at most {MAX_URL} characters).")
    scheme = _SCHEME.match(url)
    if scheme is None:
        raise InvalidSuggestion("That doesn't look like a link. " + USAGE)
    if scheme.group(1).lower() not in ("http", "https"):
        raise InvalidSuggestion("Only http and https links can be suggested.")
    if any(ch.isspace() or ch in _FORBIDDEN_URL_CHARS or ord(ch) < 32 for ch in url):
        raise InvalidSuggestion("That link contains characters a link can't have.")
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise InvalidSuggestion("That doesn't look like a valid link. " + USAGE) from None
    if not url[len(scheme.group(0)) :].startswith("//"):
        raise InvalidSuggestion("That doesn't look like a valid link. " + USAGE)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidSuggestion("Links with a user name or password in them can't be suggested.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidSuggestion("That link has no host name. " + USAGE)
    # Non-canonical IP spellings, internal and single-label names are refused here, before
    # anything is stored or any name is looked up.
    if refusal_reason(url, frozenset(allow_hosts)) is not None:
        raise InvalidSuggestion("Links to private or local network addresses can't be suggested.")
    return url


def topic_phrases(topics: Mapping[str, Topic]) -> dict[str, str]:
    """Every way to name a topic (id, name, aliases), case-folded, mapped to its id."""
    phrases: dict[str, str] = {}
    for topic in topics.values():
        for alias in topic.aliases:
            phrases.setdefault(" ".join(alias.casefold().split()), topic.id)
        phrases[" ".join(topic.name.casefold().split())] = topic.id
        phrases[topic.id.replace("-", " ")] = topic.id
        phrases[topic.id] = topic.id
    return phrases


def split_topics(words: list[str], topics: Mapping[str, Topic]) -> tuple[tuple[str, ...], str]:
    """Leading words naming topics (longest alias first) become topics; the rest is the note."""
    phrases = topic_phrases(topics)
    longest = max((len(p.split()) for p in phrases), default=1)
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(w.casefold().strip(",;") for w in words[i : i + size])
            topic_id = phrases.get(phrase)
            if topic_id:
                if topic_id not in found:
                    found.append(topic_id)
                i += size
                break
        else:
            break
    return tuple(found[:MAX_TOPICS]), " ".join(words[i:])


def parse_suggestion(
    args: str, topics: Mapping[str, Topic], allow_hosts: Iterable[tuple[str, int]] = ()
) -> Suggestion:
    """Parse `<url> [topic ...] [note]` as Slack sends it; raise InvalidSuggestion if bad."""
    text = args.strip()
    if not text:
        raise InvalidSuggestion("Which link would you like to suggest? " + USAGE)
    if len(text) > MAX_ARGS:
        raise InvalidSuggestion(
            f"That's too long. Send a link, topics and a note of at most {MAX_NOTE} characters."
        )
    wrapped = _WRAPPED.match(text)
    if wrapped:
        url, rest = wrapped.group(1), text[wrapped.end() :]
    else:
        url, _, rest = text.partition(" ")
    if _MENTION.search(text) or _MENTION.search(unescape_slack(text)):
        raise InvalidSuggestion(
            "Suggestions can't contain mentions such as @here, @channel or @someone."
        )
    url = check_url(unescape_slack(url).strip(), allow_hosts)
    found, note = split_topics(unescape_slack(rest).split(), topics)
    if len(note) > MAX_NOTE:
        raise InvalidSuggestion(f"Please keep the note under {MAX_NOTE} characters.")
    return Suggestion(url=url, url_key=normalise_url(url), topics=found, note=note)


def limit_window_start(now: datetime) -> datetime:
    """Suggestions made after this instant count towards the daily limit."""
    return now - LIMIT_WINDOW


def over_limit(recent: int, limit: int) -> bool:
    """True when a user has already made `limit` suggestions in the window."""
    return recent >= limit


def clean_title(raw: str | None, url: str) -> str:
    """A page title fit to show: whitespace folded, capped; the URL when there is none."""
    title = " ".join((raw or "").split())
    title = "".join(ch for ch in title if ch.isprintable())
    if not title:
        return url[:MAX_TITLE]
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def guess_kind(url: str) -> Kind:
    """A reasonable kind for a suggested link (moderators can fix it in the exported file)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.lower()
    if host in ("youtube.com", "youtu.be", "vimeo.com", "m.youtube.com"):
        return Kind.VIDEO
    if host == "arxiv.org" or path.endswith(".pdf"):
        return Kind.PAPER
    if host == "github.com" and "awesome" in path:
        return Kind.LIST
    if host in ("github.com", "gitlab.com", "pypi.org"):
        return Kind.TOOL
    return Kind.ARTICLE


def resource_id(suggestion_id: int, title: str) -> str:
    """A stable catalog id for an approved suggestion: community-<id>-<title slug>."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
    rid = f"community-{suggestion_id}" + (f"-{slug}" if slug else "")
    return rid[:80].rstrip("-")


EXPORT_HEADER = (
    "# Community suggestions approved in Slack, written by `mlops-bot suggestions export`.\n"
    "# Check kinds and summaries, keep this file in content/topics/ and run"
    " `mlops-bot validate`.\n"
)


def export_document(resources: Iterable[Resource]) -> str:
    """Approved resources as a content file the catalog loader accepts (resources only)."""
    items = [
        {
            "id": r.id,
            "title": r.title,
            "url": r.url,
            "kind": r.kind.value,
            "topics": list(r.topics),
            "summary": r.summary,
            "community": True,
        }
        for r in resources
    ]
    body = yaml.safe_dump({"resources": items}, allow_unicode=True, sort_keys=False, width=100)
    return EXPORT_HEADER + body


PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands back naive datetimes; everything is stored in UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def topic_ids(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else (value or ())
    return tuple(t for t in items if t)


@dataclass(frozen=True)
class SuggestionRow:
    """One stored suggestion (the table's columns, typed)."""

    id: int
    team_id: str
    user_id: str
    channel_id: str | None
    url: str
    url_key: str
    title: str
    fetch_ok: bool
    topics: tuple[str, ...]
    note: str
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    resource_id: str | None
    review_channel: str | None
    review_ts: str | None

    @classmethod
    def from_row(cls, row: Any) -> SuggestionRow:
        return cls(
            id=row.id,
            team_id=row.team_id,
            user_id=row.user_id,
            channel_id=row.channel_id,
            url=row.url,
            url_key=row.url_key,
            title=row.title,
            fetch_ok=bool(row.fetch_ok),
            topics=topic_ids(row.topics),
            note=row.note or "",
            status=row.status,
            created_at=as_utc(row.created_at) or datetime.now(UTC),
            decided_by=row.decided_by,
            decided_at=as_utc(row.decided_at),
            reason=row.reason,
            resource_id=row.resource_id,
            review_channel=row.review_channel,
            review_ts=row.review_ts,
        )
