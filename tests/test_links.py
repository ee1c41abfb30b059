"""The link checker against loopback servers: outcomes, redirects, HEAD fallback, politeness."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from bot.core.link_health import LinkState
from bot.fetch import USER_AGENT, SafeFetcher
from bot.links import LinkChecker, LinkResult, Outcome, next_state
from tests.fakes.pages import LinkServer, resolver_from


@pytest.fixture
async def site() -> AsyncIterator[LinkServer]:
    async with LinkServer() as server:
        yield server


@pytest.fixture
async def checker(site: LinkServer) -> AsyncIterator[LinkChecker]:
    async with SafeFetcher({site.origin}, resolver=resolver_from({})) as fetcher:
        yield LinkChecker(fetcher, per_host_delay=0, timeout=0.5)


async def test_a_live_page_is_ok_with_head_only(site: LinkServer, checker: LinkChecker) -> None:
    result = await checker.check(site.url("/ok"))
    assert result == LinkResult(site.url("/ok"), 200, Outcome.OK, site.url("/ok"), False, None)
    assert site.seen() == [("HEAD", "/ok")]
    assert site.requests[0][2] == USER_AGENT


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_pages_are_a_dead_signal(
    site: LinkServer, checker: LinkChecker, status: int
) -> None:
    result = await checker.check(site.url(f"/gone{status}"))
    assert (result.status, result.outcome, result.error) == (
        status,
        Outcome.DEAD_SIGNAL,
        f"HTTP {status}",
    )


async def test_a_chain_of_301_and_308_is_a_permanent_move(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/p301"))
    assert (result.status, result.outcome) == (200, Outcome.OK)
    assert (result.final_url, result.permanent_redirect) == (site.url("/ok"), True)
    assert site.seen() == [("HEAD", "/p301"), ("HEAD", "/p308"), ("HEAD", "/ok")]


async def test_a_chain_with_a_temporary_hop_is_not_permanent(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/mixed"))
    assert (result.outcome, result.final_url, result.permanent_redirect) == (
        Outcome.OK,
        site.url("/ok"),
        False,
    )


async def test_too_many_redirects_is_transient(site: LinkServer, checker: LinkChecker) -> None:
    result = await checker.check(site.url("/loop/0"))
    assert (result.outcome, result.error, result.status) == (
        Outcome.TRANSIENT,
        "too many redirects",
        302,
    )
    assert len(site.requests) == 4  # the fetcher's limit: the first request and 3 redirects


async def test_a_500_that_recovers(site: LinkServer, checker: LinkChecker) -> None:
    first = await checker.check(site.url("/flaky"))
    second = await checker.check(site.url("/flaky"))
    assert (first.status, first.outcome) == (500, Outcome.TRANSIENT)
    assert (second.status, second.outcome) == (200, Outcome.OK)
    state = next_state(None, first, date(2026, 12, 1))
    assert (state.consecutive_failures, state.dead) == (0, False)
    assert next_state(state, second, date(2026, 12, 2)) == LinkState(last_status=200)


@pytest.mark.parametrize(("path", "status"), [("/busy429", 429), ("/error503", 503)])
async def test_busy_and_erroring_servers_are_transient(
    site: LinkServer, checker: LinkChecker, path: str, status: int
) -> None:
    result = await checker.check(site.url(path))
    assert (result.status, result.outcome) == (status, Outcome.TRANSIENT)


async def test_a_timeout_is_transient(site: LinkServer) -> None:
    async with SafeFetcher({site.origin}) as fetcher:
        started = time.monotonic()
        result = await LinkChecker(fetcher, timeout=0.2).check(site.url("/hang"))
    assert (result.status, result.outcome, result.error) == (None, Outcome.TRANSIENT, "timed out")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("path", "head_status"), [("/nohead", 405), ("/forbidhead", 403)])
async def test_a_server_refusing_head_is_asked_with_get(
    site: LinkServer, checker: LinkChecker, path: str, head_status: int
) -> None:
    result = await checker.check(site.url(path))
    assert (result.status, result.outcome) == (200, Outcome.OK)
    assert site.seen() == [("HEAD", path), ("GET", path)]


async def test_the_get_fallback_reads_nothing_past_the_headers(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/nohead-big"))  # the body never ends
    assert (result.status, result.outcome) == (200, Outcome.OK)


async def test_a_server_resetting_head_is_asked_with_get() -> None:
    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        seen.append(request.split(b" ", 1)[0])
        if request.startswith(b"HEAD"):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            writer.transport.abort()  # RST, no answer
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, SafeFetcher({f"127.0.0.1:{port}"}) as fetcher:
        result = await LinkChecker(fetcher, per_host_delay=0).check(f"http://127.0.0.1:{port}/")
    assert (result.status, result.outcome) == (200, Outcome.OK)
    assert seen == [b"HEAD", b"GET"]


async def test_an_unresolvable_host_is_a_dead_signal(checker: LinkChecker) -> None:
    result = await checker.check("https://nowhere.test/")
    assert (result.status, result.outcome, result.final_url) == (None, Outcome.DEAD_SIGNAL, None)
    assert result.error == "the host name could not be resolved"


async def test_a_refused_connection_is_a_dead_signal() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with SafeFetcher({f"127.0.0.1:{port}"}) as fetcher:
        result = await LinkChecker(fetcher).check(f"http://127.0.0.1:{port}/")
    assert (result.outcome, result.error) == (Outcome.DEAD_SIGNAL, "connection refused")


@pytest.mark.parametrize(
    "url",
    ["http://127.1/", "http://intranet/", "http://10.0.0.5/", "file:///etc/passwd"],
)
async def test_the_ssrf_guard_refuses(checker: LinkChecker, url: str) -> None:
    result = await checker.check(url)
    assert (result.outcome, result.status) == (Outcome.REFUSED, None)
    assert result.error


async def test_a_redirect_into_the_network_is_refused(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/to-private"))
    assert (result.outcome, result.status, result.final_url) == (
        Outcome.REFUSED,
        301,
        "http://10.0.0.5/",  # the hop that was refused
    )
    assert "private or local" in (result.error or "")
    assert site.seen() == [("HEAD", "/to-private")]


async def test_another_port_of_an_allowed_host_is_refused(site: LinkServer) -> None:
    async with LinkServer() as other, SafeFetcher({site.origin}) as fetcher:
        result = await LinkChecker(fetcher).check(other.url("/ok"))
    assert result.outcome is Outcome.REFUSED
    assert other.requests == []


async def test_requests_to_one_host_are_one_at_a_time_and_spaced(site: LinkServer) -> None:
    async with SafeFetcher({site.origin}) as fetcher:
        checker = LinkChecker(fetcher, per_host_delay=0.15)
        urls = [site.url(f"/wait?n={n}") for n in range(4)]
        results = await checker.check_all(urls)
    assert [r.outcome for r in results] == [Outcome.OK] * 4
    assert site.max_in_flight == 1
    starts = [t for *_rest, t in site.requests]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.15 + 0.05 - 0.01  # the 50 ms answer, then the delay


async def test_overall_concurrency_is_bounded_across_hosts(site: LinkServer) -> None:
    names = [f"h{n}.test" for n in range(12)]
    resolver = resolver_from({name: ["127.0.0.1"] for name in names})
    allowed = {f"{name}:{site.port}" for name in names}
    async with SafeFetcher(allowed, resolver=resolver) as fetcher:
        checker = LinkChecker(fetcher, concurrency=3, per_host_delay=0)
        results = await checker.check_all([site.url("/wait", host=name) for name in names])
    assert {r.outcome for r in results} == {Outcome.OK}
    assert site.max_in_flight == 3


async def test_check_all_keeps_order_dedupes_and_reports_progress(
    site: LinkServer, checker: LinkChecker
) -> None:
    calls: list[tuple[int, int]] = []
    checker.progress = lambda done, total: calls.append((done, total))
    urls = [site.url("/ok"), site.url("/gone404"), site.url("/ok"), site.url("/p301")]
    results = await checker.check_all(urls)
    assert [r.url for r in results] == urls
    assert [r.outcome for r in results] == [
        Outcome.OK,
        Outcome.DEAD_SIGNAL,
        Outcome.OK,
        Outcome.OK,
    ]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert site.seen().count(("HEAD", "/ok")) == 2  # once for /ok, once at the end of /p301


async def test_an_async_progress_callback_is_awaited(
    site: LinkServer, checker: LinkChecker
) -> None:
    calls: list[int] = []

    async def progress(done: int, total: int) -> None:
        calls.append(done)

    checker.progress = progress
    await checker.check_all([site.url("/ok"), site.url("/temp")])
    assert sorted(calls) == [1, 2]


async def test_three_bad_days_make_a_checked_link_dead(
    site: LinkServer, checker: LinkChecker
) -> None:
    day = date(2026, 12, 1)
    state: LinkState | None = None
    for when in [day, day, day + timedelta(days=1)]:  # twice on the first day counts once
        state = next_state(state, await checker.check(site.url("/gone410")), when)
    assert state is not None
    assert (state.consecutive_failures, state.dead) == (2, False)
    state = next_state(state, await checker.check(site.url("/gone410")), day + timedelta(days=2))
    assert (state.consecutive_failures, state.dead) == (3, True)


async def test_too_many_redirects_reports_the_last_url_requested(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/loop/0"))
    assert result.final_url == site.url("/loop/3")
    assert result.permanent_redirect is False


async def test_a_redirect_to_another_scheme_is_refused(
    site: LinkServer, checker: LinkChecker
) -> None:
    result = await checker.check(site.url("/to-ftp"))
    assert (result.outcome, result.status, result.final_url) == (
        Outcome.REFUSED,
        301,
        site.url("/to-ftp"),
    )
