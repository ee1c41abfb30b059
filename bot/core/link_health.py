"""When a catalog link counts as dead, moved or fine: pure, no I/O (today is passed in).

`mlops-bot links check` checks every link (bot/links.py) and folds each `LinkResult` into the
link's stored `LinkState` with `next_state`:

- ok (2xx): failures reset, the link is alive again; a permanent redirect chain (every hop
  301/308) records its final URL as "moved", anything else clears it;
- dead-signal (404, 410, DNS failure, connection refused): counts one failure per day; a second
  failure on the day of the last counted one does not count again; after DEAD_AFTER (3) counted
  failures, on different days and with no ok in between, the link is dead;
- transient (5xx, timeout, 429, anything else) and refused (the SSRF guard stopped the check):
  neither count nor reset: one bad day of a flaky server never kills a link, and a dead link
  stays dead until it answers ok.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

DEAD_AFTER = 3
DEAD_STATUSES = frozenset({404, 410})


class Outcome(StrEnum):
    OK = "ok"
    DEAD_SIGNAL = "dead-signal"  # 404, 410, DNS failure, connection refused
    TRANSIENT = "transient"  # 5xx, timeout, 429, anything else
    REFUSED = "refused"  # the SSRF guard would not fetch it


@dataclass(frozen=True)
class LinkResult:
    """One check of one link."""

    url: str
    status: int | None  # the final HTTP status, None if no response was had
    outcome: Outcome
    final_url: str | None = (
        None  # the last URL requested (after redirects); None if the first failed
    )
    permanent_redirect: bool = False  # at least one redirect, and every hop was 301/308
    error: str | None = None  # a short reason when the outcome is not ok


@dataclass(frozen=True)
class LinkState:
    """What is stored about a link between checks."""

    consecutive_failures: int = 0  # counted dead-signal days since the last ok
    last_failure_day: date | None = None  # the day of the last counted failure
    last_status: int | None = None
    final_url: str | None = None  # where the link has moved (permanent redirects), if it has
    dead: bool = False

    @property
    def moved(self) -> bool:
        return self.final_url is not None


def classify_status(status: int) -> Outcome:
    """The outcome a final HTTP status stands for."""
    if 200 <= status < 300:
        return Outcome.OK
    if status in DEAD_STATUSES:
        return Outcome.DEAD_SIGNAL
    return Outcome.TRANSIENT


def next_state(previous: LinkState | None, result: LinkResult, today: date) -> LinkState:
    """The link's state after `result`, checked on `today` (see the module docstring)."""
    state = previous or LinkState()
    if result.outcome is Outcome.OK:
        moved = result.final_url if result.permanent_redirect else None
        return LinkState(last_status=result.status, final_url=moved)
    state = replace(state, last_status=result.status)
    if result.outcome is not Outcome.DEAD_SIGNAL:
        return state  # transient or refused: neither counts nor resets
    if state.last_failure_day is not None and today <= state.last_failure_day:
        return state  # already counted today (or the clock went back)
    failures = state.consecutive_failures + 1
    return replace(
        state,
        consecutive_failures=failures,
        last_failure_day=today,
        dead=state.dead or failures >= DEAD_AFTER,
    )
