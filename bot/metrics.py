"""Prometheus metrics on a registry of their own, and the `GET /metrics` handler.

Every label value comes from a fixed set, so the number of series is bounded whatever users
type: commands outside the allow-list given at construction count as "other", Slack error codes
outside KNOWN_SLACK_ERRORS as "other". No user id, channel id or query text is ever a label.

    metrics = Metrics(commands=router.reserved | {SEARCH})  # reserved excludes "search"
    metrics.request("slash", "serving", "ok", 0.042)
    web_app.router.add_get(METRICS_PATH, metrics_handler(metrics, settings_token))
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

METRICS_PATH = "/metrics"
# The classic text format, which every Prometheus version scrapes; generate_latest writes it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER = "other"

KINDS = frozenset({"slash", "action", "view", "event", "console"})
OUTCOMES = frozenset({"ok", "user_error", "error", "timeout"})
WEEKLY_OUTCOMES = frozenset({"posted", "reconciled", "suspended", "failed"})

# Web API methods the bot calls; anything else is counted as "other".
KNOWN_SLACK_METHODS = frozenset(
    {
        "auth.test",
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "chat.getPermalink",
        "conversations.history",
        "conversations.replies",
        "conversations.info",
        "conversations.open",
        "users.info",
        "views.open",
        "views.update",
        "views.publish",
        "oauth.v2.access",
    }
)
# Error codes worth a series of their own: what the digest classifies (bot/slack/gateway.py)
# and the usual auth and payload problems. Any other code is "other".
KNOWN_SLACK_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "user_not_found",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "timeout",
    }
)
RATE_LIMITED = "429"

# Slack wants an acknowledgement within 3 s; the buckets are finest below that.
ANSWER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def _pick(value: object, allowed: frozenset[str]) -> str:
    text = str(value).strip().casefold() if value is not None else ""
    return text if text in allowed else OTHER


@dataclass
class Outcome:
    """What `Metrics.track` records; set `value` to "user_error" etc. before the block ends."""

    value: str = "ok"


class Metrics:
    """The bot's counters and histograms on a dedicated CollectorRegistry (one per app, so tests
    can build several). Each method records one event and never raises on odd label values."""

    def __init__(
        self,
        commands: Iterable[str] = (),
        *,
        slack_methods: Iterable[str] = KNOWN_SLACK_METHODS,
    ) -> None:
        self.commands = frozenset(c.strip().casefold() for c in commands if c and c.strip())
        self.slack_methods = frozenset(slack_methods)
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self._requests = Counter(
            "mlops_requests",
            "Requests answered, by kind (slash|action|view|event|console), command and outcome.",
            ("kind", "command", "outcome"),
            registry=reg,
        )
        self._answer = Histogram(
            "mlops_answer_seconds",
            "Seconds from receiving a request to answering it, by kind.",
            ("kind",),
            buckets=ANSWER_BUCKETS,
            registry=reg,
        )
        self._weekly = Counter(
            "mlops_weekly_posts",
            "Weekly lesson deliveries, by outcome (posted|reconciled|suspended|failed).",
            ("outcome",),
            registry=reg,
        )
        self._slack = Counter(
            "mlops_slack_api_calls",
            "Slack Web API calls, by method and status (ok, a known error code, other, 429).",
            ("method", "status"),
            registry=reg,
        )
        self._decisions = Counter(
            "mlops_suggestion_decisions",
            "Moderator decisions on community suggestions (approved|rejected).",
            ("decision",),
            registry=reg,
        )
        self._quiz = Counter(
            "mlops_quiz_answers",
            "Quiz answers, by whether they were correct (true|false).",
            ("correct",),
            registry=reg,
        )
        # Series with a small fixed label set exist from the start, at zero, so rate() and
        # alerts work before the first event.
        for outcome in sorted(WEEKLY_OUTCOMES):
            self._weekly.labels(outcome=outcome)
        for decision in ("approved", "rejected"):
            self._decisions.labels(decision=decision)
        for correct in ("true", "false"):
            self._quiz.labels(correct=correct)

    # -- label sanitising -------------------------------------------------------------------
    def command_label(self, command: str | None) -> str:
        return _pick(command, self.commands)

    def slack_method_label(self, method: str | None) -> str:
        text = (method or "").strip()
        return text if text in self.slack_methods else OTHER

    @staticmethod
    def slack_status_label(status: str | int | None) -> str:
        """ "ok" for success, "429" for rate limiting, a known error code, else "other"."""
        if status is None:
            return OTHER
        if isinstance(status, int):
            if status == 429:
                return RATE_LIMITED
            return "ok" if 200 <= status < 300 else OTHER
        text = status.strip().casefold()
        if text in {"ok", RATE_LIMITED}:
            return text
        if text == "ratelimited":
            return RATE_LIMITED
        return text if text in KNOWN_SLACK_ERRORS else OTHER

    # -- events -----------------------------------------------------------------------------
    def request(
        self, kind: str, command: str | None, outcome: str, seconds: float | None = None
    ) -> None:
        """One request answered; `seconds` (if given) goes into mlops_answer_seconds."""
        kind_label = _pick(kind, KINDS)
        self._requests.labels(
            kind=kind_label,
            command=self.command_label(command),
            outcome=_pick(outcome, OUTCOMES),
        ).inc()
        if seconds is not None and seconds >= 0:
            self._answer.labels(kind=kind_label).observe(seconds)

    @contextmanager
    def track(self, kind: str, command: str | None) -> Iterator[Outcome]:
        """Time a block and count it: "ok" unless the block sets another outcome; TimeoutError
        counts as "timeout", any other exception as "error" (and is re-raised)."""
        outcome = Outcome()
        started = time.perf_counter()
        try:
            yield outcome
        except TimeoutError:
            outcome.value = "timeout"
            raise
        except BaseException:  # incl. cancellation: the request was not answered
            outcome.value = "error"
            raise
        finally:
            self.request(kind, command, outcome.value, time.perf_counter() - started)

    def weekly_post(self, outcome: str) -> None:
        self._weekly.labels(outcome=_pick(outcome, WEEKLY_OUTCOMES)).inc()

    def slack_call(self, method: str, status: str | int) -> None:
        self._slack.labels(
            method=self.slack_method_label(method), status=self.slack_status_label(status)
        ).inc()

    def decision(self, approved: bool) -> None:
        self._decisions.labels(decision="approved" if approved else "rejected").inc()

    def quiz_answer(self, correct: bool) -> None:
        self._quiz.labels(correct="true" if correct else "false").inc()

    # -- exposition -------------------------------------------------------------------------
    def render(self) -> tuple[bytes, str]:
        """The registry in Prometheus' text format: (body, content type)."""
        return generate_latest(self.registry), CONTENT_TYPE


def metrics_handler(
    metrics: Metrics, token: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for `GET /metrics`. With a token, only `Authorization: Bearer <token>`
    gets the metrics (compared in constant time); anything else is 401. Without one (None or
    empty) the endpoint is open: keep it on a private network then."""
    expected = f"Bearer {token}".encode() if token else None

    async def handle(request: web.Request) -> web.Response:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, expected):
                return web.Response(
                    status=401,
                    text="unauthorized\n",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        body, content_type = metrics.render()
        return web.Response(
            body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
        )

    return handle
