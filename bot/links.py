"""Check that catalog links still work (`mlops-bot links check`), politely and safely.

Every request goes through the bot's one `SafeFetcher` (its client, its SSRF guards on every
hop, its redirect limit). Per link: HEAD; if the server refuses HEAD (405, 501, 403, or resets
the connection) then GET, streamed, reading nothing past the headers. Redirects are followed
by hand, recording whether every hop was permanent (301/308) and the final URL.

Politeness: one request at a time per host, `per_host_delay` seconds (default 1) between two
requests to the same host, at most `concurrency` (default 8) requests in flight overall, and a
User-Agent naming the bot and its home page. The results feed bot/core/link_health.py.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import httpx

from bot.core.addresses import split_target
from bot.core.link_health import LinkResult, LinkState, Outcome, classify_status, next_state
from bot.fetch import REDIRECTS, Refused, SafeFetcher, UnresolvableHost

__all__ = [
    "HEAD_REFUSED",
    "LinkChecker",
    "LinkResult",
    "LinkState",
    "Outcome",
    "Progress",
    "next_state",
]

logger = logging.getLogger(__name__)

CONCURRENCY = 8
PER_HOST_DELAY = 1.0
TIMEOUT = 10.0
HEAD_REFUSED = frozenset({403, 405, 501})
PERMANENT = frozenset({301, 308})

Progress = Callable[[int, int], object]  # (done, total); may return an awaitable


class _Reset(Exception):
    """The server dropped the connection instead of answering HEAD."""


def _connection_refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class LinkChecker:
    """Check links with the fetcher's client and guards; see the module docstring."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        concurrency: int = CONCURRENCY,
        per_host_delay: float = PER_HOST_DELAY,
        timeout: float = TIMEOUT,
        progress: Progress | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.per_host_delay = per_host_delay
        self.timeout = timeout
        self.progress = progress
        self._slots = asyncio.Semaphore(concurrency)
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._last_request: dict[str, float] = {}
        self._headers = {"Accept": "*/*"}  # the client sends USER_AGENT

    async def check_all(self, urls: Sequence[str]) -> list[LinkResult]:
        """One result per URL, in order (a URL given twice is checked once)."""
        unique = list(dict.fromkeys(urls))
        total, done = len(unique), 0
        results: dict[str, LinkResult] = {}

        async def one(url: str) -> None:
            nonlocal done
            results[url] = await self.check(url)
            done += 1
            if self.progress is not None:
                outcome = self.progress(done, total)
                if inspect.isawaitable(outcome):
                    await outcome

        # A task per link; the host locks and the slots keep it polite and bounded.
        async with asyncio.TaskGroup() as group:
            for url in unique:
                group.create_task(one(url))
        return [results[url] for url in urls]

    async def check(self, url: str) -> LinkResult:
        """Check one link; never raises for network or content problems."""
        current = tried = url
        status: int | None = None
        hops = 0
        permanent = True
        answered = False
        try:
            for _hop in range(self.fetcher.max_redirects + 1):
                tried = current
                status, location = await self._probe(current)
                answered = True
                if status in REDIRECTS and location:
                    permanent = permanent and status in PERMANENT
                    hops += 1
                    current = self.fetcher.next_hop_to(current, location)
                    continue
                outcome = classify_status(status)
                return LinkResult(
                    url,
                    status,
                    outcome,
                    final_url=current,
                    permanent_redirect=hops > 0 and permanent,
                    error=None if outcome is Outcome.OK else f"HTTP {status}",
                )
            return self._failed(url, status, tried, Outcome.TRANSIENT, "too many redirects")
        except UnresolvableHost as exc:
            return self._failed(
                url, status, tried if answered else None, Outcome.DEAD_SIGNAL, str(exc)
            )
        except Refused as exc:
            return self._failed(url, status, tried if answered else None, Outcome.REFUSED, str(exc))
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(
                url, status, tried if answered else None, Outcome.TRANSIENT, "timed out"
            )
        except httpx.InvalidURL:
            return self._failed(url, status, None, Outcome.REFUSED, "not a URL the bot can fetch")
        except (httpx.HTTPError, _Reset) as exc:
            final = tried if answered else None
            if isinstance(exc, httpx.ConnectError) and _connection_refused(exc):
                return self._failed(url, status, final, Outcome.DEAD_SIGNAL, "connection refused")
            logger.info("link check failed: %s", type(exc).__name__)
            return self._failed(url, status, final, Outcome.TRANSIENT, type(exc).__name__)

    @staticmethod
    def _failed(
        url: str, status: int | None, final: str | None, outcome: Outcome, error: str
    ) -> LinkResult:
        return LinkResult(url, status, outcome, final_url=final, error=error)

    async def _probe(self, url: str) -> tuple[int, str | None]:
        """(status, Location) of HEAD, or of a headers-only GET if the server refuses HEAD."""
        try:
            status, location = await self._request("HEAD", url)
        except _Reset:
            status, location = None, None
        if status is None or status in HEAD_REFUSED:
            status, location = await self._request("GET", url)
        assert status is not None
        return status, location

    async def _request(self, method: str, url: str) -> tuple[int | None, str | None]:
        """One polite, guarded, bounded request; the body is never read."""
        async with self._polite(url), self._slots, asyncio.timeout(self.timeout):
            try:
                async with self.fetcher.open(method, url, headers=self._headers) as response:
                    return response.status_code, response.headers.get("location")
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                if method == "HEAD":
                    raise _Reset() from exc
                raise

    @asynccontextmanager
    async def _polite(self, url: str) -> AsyncIterator[None]:
        """One request at a time per host, `per_host_delay` apart."""
        try:
            _scheme, host, _port = split_target(url)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            last = self._last_request.get(host)
            if last is not None:
                wait = last + self.per_host_delay - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_request[host] = loop.time()
