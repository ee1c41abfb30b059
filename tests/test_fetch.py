"""The title fetcher: real loopback pages, fake DNS for the addresses we must never reach."""

from __future__ import annotations

import asyncio
import gzip
import random
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import brotli
import httpcore
import httpx
import pytest

from bot.core.addresses import parse_allow_entries, refusal_reason
from bot.fetch import (
    DECODE_CHUNK,
    MAX_BYTES,
    USER_AGENT,
    AddressRefused,
    BodyDecoder,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    SafeFetcher,
    TitleFetcher,
    extract_title,
    read_capped,
)
from tests.fakes.pages import PageServer, bomb, resolver_from, zstd_module

PRIVATE_NAMES = {
    "evil.test": ["10.0.0.5"],
    "metadata.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "cgnat.test": ["100.64.1.1"],
    "v6local.test": ["fe80::1"],
    "v6loop.test": ["::1"],
    "multicast.test": ["224.0.0.1"],
    "zero.test": ["0.0.0.0"],  # noqa: S104 - an address we must refuse
    "mixed.test": ["93.184.216.34", "192.168.1.10"],
    "public.test": ["93.184.216.34"],
}


@pytest.fixture(autouse=True)
async def _close_fetchers(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Close every fetcher a test built: a long-lived fetcher keeps pooled connections open."""
    built: list[SafeFetcher] = []
    real_init = SafeFetcher.__init__

    def init(self: SafeFetcher, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(SafeFetcher, "__init__", init)
    yield
    for fetcher in built:
        await fetcher.aclose()


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    async with PageServer() as server:
        yield server


def recording_transport() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, html="<title>should never be read</title>")

    return httpx.MockTransport(handler), seen


async def test_fetches_and_cleans_the_title(pages: PageServer) -> None:
    fetcher = TitleFetcher({pages.origin})
    result = await fetcher.fetch_title(pages.url("/post"))
    assert result.title == "Canary releases, explained & compared"


async def test_follows_a_safe_redirect(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/to-post"))
    assert result.title == "Canary releases, explained & compared"
    assert pages.hits == ["/to-post", "/post"]


async def test_honours_the_declared_charset(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/latin1"))
    assert result.title == "Café ML"


async def test_loopback_is_refused_unless_allowed(pages: PageServer) -> None:
    result = await TitleFetcher().fetch_title(pages.url("/post"))
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert pages.hits == []


@pytest.mark.parametrize("name", sorted(set(PRIVATE_NAMES) - {"public.test"}))
async def test_names_resolving_to_non_public_addresses_are_never_requested(name: str) -> None:
    transport, seen = recording_transport()
    fetcher = TitleFetcher(transport=transport, resolver=resolver_from(PRIVATE_NAMES))
    result = await fetcher.fetch_title(f"http://{name}/latest/meta-data/")
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
    ],
)
async def test_ip_literals_that_are_not_public_are_refused(url: str) -> None:
    transport, seen = recording_transport()
    fetcher = TitleFetcher(transport=transport, resolver=resolver_from({}))
    result = await fetcher.fetch_title(url)
    assert result.title is None
    assert seen == []


async def test_a_public_name_is_fetched() -> None:
    transport, seen = recording_transport()
    fetcher = TitleFetcher(transport=transport, resolver=resolver_from(PRIVATE_NAMES))
    result = await fetcher.fetch_title("https://public.test/post")
    assert result.title == "should never be read"
    assert [str(r.url) for r in seen] == ["https://public.test/post"]


async def test_a_redirect_to_a_private_host_is_refused(pages: PageServer) -> None:
    fetcher = TitleFetcher({pages.origin}, resolver=resolver_from(PRIVATE_NAMES))
    result = await fetcher.fetch_title(pages.url("/to-evil"))
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert pages.hits == ["/to-evil"]


async def test_a_redirect_to_the_metadata_address_is_refused(pages: PageServer) -> None:
    pages.redirect_target = "http://169.254.169.254/latest/meta-data/"
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/to-evil"))
    assert result.title is None


async def test_a_redirect_to_another_scheme_is_refused(pages: PageServer) -> None:
    pages.redirect_target = "file:///etc/passwd"
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/to-evil"))
    assert result.title is None
    assert "can't fetch" in (result.reason or "")


async def test_at_most_three_redirects(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/loop/0"))
    assert result.title is None
    assert "redirects too many times" in (result.reason or "")
    assert pages.hits == ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]


def rebinding(name: str, later: str) -> tuple[Resolver, list[str]]:
    """A DNS that answers a public address for `name` once, then `later` (DNS rebinding)."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        if host != name:
            raise OSError(f"unknown host {host}")
        asked.append(host)
        return ["93.184.216.34"] if len(asked) == 1 else [later]

    return resolve, asked


@pytest.mark.parametrize("later", ["127.0.0.1", "::ffff:127.0.0.1"])
async def test_a_name_that_rebinds_to_loopback_is_never_connected_to(
    pages: PageServer, later: str
) -> None:
    # The early check sees a public address; the connect re-resolves, sees loopback, refuses.
    resolver, asked = rebinding("rebind.test", later)
    result = await TitleFetcher(resolver=resolver).fetch_title(
        f"http://rebind.test:{pages.port}/post"
    )
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert asked == ["rebind.test", "rebind.test"]
    assert pages.hits == []


async def test_a_redirect_to_a_name_that_rebinds_is_refused_at_connect(pages: PageServer) -> None:
    resolver, asked = rebinding("rebind.test", "127.0.0.1")
    pages.redirect_target = f"http://rebind.test:{pages.port}/post"
    result = await TitleFetcher({pages.origin}, resolver=resolver).fetch_title(
        pages.url("/to-evil")
    )
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert len(asked) == 2
    assert pages.hits == ["/to-evil"]


async def test_an_allowed_internal_name_is_fetched_through_the_guarded_connection(
    pages: PageServer,
) -> None:
    fetcher = TitleFetcher(
        {f"wiki.test:{pages.port}"}, resolver=resolver_from({"wiki.test": ["127.0.0.1"]})
    )
    result = await fetcher.fetch_title(f"http://wiki.test:{pages.port}/post")
    assert result.title == "Canary releases, explained & compared"
    assert pages.hits == ["/post"]


@pytest.mark.parametrize(
    "host", ["::ffff:127.0.0.1", "127.0.0.1", "169.254.169.254", "mapped.test", "mixed.test"]
)
async def test_the_guarded_backend_refuses_non_public_addresses(
    pages: PageServer, host: str
) -> None:
    backend = GuardedBackend(lambda _host, _port: False, resolver_from(PRIVATE_NAMES))
    with pytest.raises(AddressRefused):
        await backend.connect_tcp(host, pages.port)
    with pytest.raises(AddressRefused):
        await backend.connect_unix_socket("/var/run/docker.sock")
    assert pages.hits == []


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where the guarded backend connects and which name TLS verifies; connects nowhere."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.tls_names: list[str | None] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.connected.append((host, port))
        return self

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, **_: Any
    ) -> Any:
        self.tls_names.append(server_hostname)
        raise httpcore.ConnectError("stop here: this test has no TLS server")

    async def aclose(self) -> None:
        pass


async def test_https_connects_to_the_checked_address_and_verifies_the_name() -> None:
    recorder = RecordingBackend()
    backend = GuardedBackend(
        lambda _host, _port: False, resolver_from(PRIVATE_NAMES), inner=recorder
    )
    async with httpx.AsyncClient(transport=GuardedTransport(backend)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("https://public.test/post")
    assert recorder.connected == [("93.184.216.34", 443)]
    assert recorder.tls_names == ["public.test"]


class FakeSocket:
    """Stands in for httpcore's network stream: reports the peer address a connection reached."""

    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer

    def get_extra_info(self, info: str) -> object:
        return self.peer if info == "server_addr" else None


async def test_the_address_actually_connected_to_is_checked_again() -> None:
    # Second layer behind the guarded backend: a peer that is not public is never read.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            html="<title>internal</title>",
            extensions={"network_stream": FakeSocket(("127.0.0.1", 80))},
        )

    fetcher = TitleFetcher(
        transport=httpx.MockTransport(handler), resolver=resolver_from(PRIVATE_NAMES)
    )
    result = await fetcher.fetch_title("http://public.test/")
    assert result.title is None
    assert "private or local" in (result.reason or "")


async def test_a_closed_port_could_not_be_reached() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await TitleFetcher({f"127.0.0.1:{port}"}).fetch_title(f"http://127.0.0.1:{port}/")
    assert result.reason == "the page could not be reached"


async def test_a_port_out_of_range_is_refused() -> None:
    transport, seen = recording_transport()
    fetcher = TitleFetcher(transport=transport, resolver=resolver_from(PRIVATE_NAMES))
    result = await fetcher.fetch_title("http://public.test:99999/")
    assert result.reason == "the link points somewhere the bot can't fetch"
    assert seen == []


async def test_reads_at_most_512_kib(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/big"))
    assert result.title is None
    assert result.reason == "the page has no title"


async def test_only_html_is_read(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/json"))
    assert result.title is None
    assert result.reason == "the link is not an HTML page"


async def test_http_errors_give_no_title(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}).fetch_title(pages.url("/missing"))
    assert result.title is None
    assert "404" in (result.reason or "")


async def test_a_slow_page_times_out(pages: PageServer) -> None:
    result = await TitleFetcher({pages.origin}, timeout=0.2).fetch_title(pages.url("/slow"))
    assert result.title is None
    assert result.reason == "the page took too long to answer"


async def test_unresolvable_hosts_give_a_reason() -> None:
    transport, seen = recording_transport()
    fetcher = TitleFetcher(transport=transport, resolver=resolver_from({}))
    result = await fetcher.fetch_title("https://nowhere.test/")
    assert result.reason == "the host name could not be resolved"
    assert seen == []


def test_extract_title_decodes_entities_and_meta_charset() -> None:
    assert extract_title(b"<TITLE lang=en>a &lt;b&gt;\n c</TITLE>") == "a <b> c"
    body = '<meta charset="iso-8859-1"><title>Caf\xe9</title>'.encode("latin-1")
    assert extract_title(body) == "Café"
    assert extract_title(b"<html>no title</html>") is None
    assert extract_title(b"<title>  </title>") is None


# ------------------------------------------------------------------ decompression bombs (C)

ENCODINGS = ["gzip", "deflate", "raw-deflate", "br", "zstd"]


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_bomb_is_read_only_up_to_the_cap(pages: PageServer, encoding: str) -> None:
    async with TitleFetcher({pages.origin}) as fetcher:
        async with fetcher.open("GET", pages.url(f"/bomb/{encoding}")) as response:
            body, cut = await read_capped(response, MAX_BYTES)
        assert (len(body), cut) == (MAX_BYTES, True)
        assert body.startswith(b"<!doctype html>") and body.endswith(b"\0" * 1024)
        result = await fetcher.fetch_title(pages.url(f"/bomb/{encoding}"))
        assert result.reason == "the page has no title"
        titled = await fetcher.fetch_title(pages.url(f"/bomb/{encoding}?titled=1"))
        assert titled.title == "Zero day"


async def test_six_bombs_at_once_stay_within_20_mb(pages: PageServer) -> None:
    for encoding in ENCODINGS:
        bomb(encoding)  # built before measuring: the server's bodies are not the client's cost
    urls = [pages.url(f"/bomb/{e}") for e in ["gzip", "gzip", "deflate", "br", "zstd", "gzip"]]
    async with TitleFetcher({pages.origin}, concurrency=6) as fetcher:
        await fetcher.fetch_title(pages.url("/post"))  # warm up imports, pool and server
        tracemalloc.start()
        try:
            idle, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            results = await asyncio.gather(*(fetcher.fetch_title(u) for u in urls))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert [r.reason for r in results] == ["the page has no title"] * 6
    grown = (peak - idle) / 1e6
    print(f"six 100 MB bombs at once: traced peak +{grown:.1f} MB over idle")
    assert grown < 20, f"peak grew by {grown:.1f} MB"


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data)


async def test_layered_and_multi_member_encodings_are_decoded(pages: PageServer) -> None:
    page = b"<html><title>Layered</title></html>"
    async with TitleFetcher({pages.origin}) as fetcher:
        pages.encoded = brotli.compress(_gzip(page))  # gzip applied first, then br
        result = await fetcher.fetch_title(pages.url("/encoded?encoding=gzip,%20br"))
        assert result.title == "Layered"
        pages.encoded = _gzip(page[:14]) + _gzip(page[14:])  # two gzip members
        result = await fetcher.fetch_title(pages.url("/encoded?encoding=gzip"))
        assert result.title == "Layered"
        pages.encoded = zstd_module().compress(page[:10]) + zstd_module().compress(
            page[10:]
        )  # two zstd frames
        result = await fetcher.fetch_title(pages.url("/encoded?encoding=zstd"))
        assert result.title == "Layered"


@pytest.mark.parametrize(
    ("encoding", "body", "reason"),
    [
        ("compress", b"x", "the page uses an unsupported encoding (compress)"),
        ("gzip, gzip, gzip", b"x", "the page is compressed too many times"),
        ("gzip", b"not gzip at all", "the page's compressed content is damaged"),
        ("br", b"not brotli at all", "the page's compressed content is damaged"),
        ("zstd", b"not zstd at all", "the page's compressed content is damaged"),
    ],
)
async def test_bad_encodings_give_a_reason(
    pages: PageServer, encoding: str, body: bytes, reason: str
) -> None:
    pages.encoded = body
    async with TitleFetcher({pages.origin}) as fetcher:
        result = await fetcher.fetch_title(pages.url(f"/encoded?encoding={encoding}"))
    assert result.reason == reason


async def test_the_fetcher_advertises_only_what_it_can_decode_boundedly() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, html="<title>t</title>")

    async with TitleFetcher(
        transport=httpx.MockTransport(handler), resolver=resolver_from(PRIVATE_NAMES)
    ) as fetcher:
        await fetcher.fetch_title("https://public.test/")
    assert seen[0].headers["accept-encoding"] == "gzip, deflate, br, zstd"
    assert seen[0].headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("mlops-bot/") and "(+https://" in USER_AGENT


# ------------------------------------------------------------------ one long-lived client (A)


async def test_one_client_for_the_fetchers_lifetime(pages: PageServer) -> None:
    async with TitleFetcher({pages.origin}) as fetcher:
        client = fetcher.client
        first = await fetcher.fetch_title(pages.url("/post"))
        second = await fetcher.fetch_title(pages.url("/other"))
        assert (first.title, second.title) == (
            "Canary releases, explained & compared",
            "Another post",
        )
        assert fetcher.client is client
        assert pages.peers[0] == pages.peers[1]  # the second fetch reused the pooled connection
    assert fetcher.closed
    with pytest.raises(RuntimeError):
        await fetcher.fetch_title(pages.url("/post"))


async def test_aclose_closes_the_client(pages: PageServer) -> None:
    fetcher = TitleFetcher({pages.origin})
    await fetcher.fetch_title(pages.url("/post"))
    assert not fetcher.closed
    await fetcher.aclose()
    assert fetcher.closed


async def test_at_most_four_fetches_at_once(pages: PageServer) -> None:
    async with TitleFetcher({pages.origin}) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch_title(pages.url("/wait")) for _ in range(10))
        )
    assert {r.title for r in results} == {"Waited"}
    assert pages.max_in_flight == 4


def test_safe_fetcher_is_the_title_fetcher() -> None:
    assert TitleFetcher is SafeFetcher


# ------------------------------------------------------------------ allow-list host AND port (B)


def test_allow_entries_name_a_host_and_port() -> None:
    assert parse_allow_entries(
        ["localhost:8080", " [::1]:8080 ", "http://Wiki.Test:9000", "https://docs.test", "", "nas"]
    ) == {
        ("localhost", 8080),
        ("::1", 8080),
        ("wiki.test", 9000),
        ("docs.test", 443),
        ("nas", 80),
        ("nas", 443),
    }
    assert parse_allow_entries(["http://localhost", "::1", "ｗｉｋｉ．ｔｅｓｔ:81"]) == {
        ("localhost", 80),
        ("::1", 80),
        ("::1", 443),
        ("wiki.test", 81),
    }


@pytest.mark.parametrize(
    "entry",
    [
        "http://wiki.test/path",
        "ftp://wiki.test",
        "user@wiki.test:80",
        "wiki.test:99999",
        "wiki.test:0",
        "wiki.test:abc",
        "127.1:80",
        "http://wiki.test?x=1",
        "[::1",
        "a..b:80",
    ],
)
def test_bad_allow_entries_are_errors(entry: str) -> None:
    with pytest.raises(ValueError, match="MLOPS_FETCH_ALLOW_HOSTS"):
        parse_allow_entries([entry])


async def test_a_bare_host_entry_opens_only_the_default_ports(pages: PageServer) -> None:
    async with TitleFetcher({"127.0.0.1"}) as fetcher:
        result = await fetcher.fetch_title(pages.url("/post"))
    assert "private or local" in (result.reason or "")
    assert pages.hits == []


async def test_another_port_of_an_allowed_host_is_refused(pages: PageServer) -> None:
    async with PageServer() as other, TitleFetcher({pages.origin}) as fetcher:
        result = await fetcher.fetch_title(other.url("/post"))
        assert "private or local" in (result.reason or "")
        assert other.hits == []


async def test_a_redirect_to_another_port_of_the_allowed_host_is_refused(pages: PageServer) -> None:
    async with PageServer() as other, TitleFetcher({pages.origin}) as fetcher:
        pages.redirect_target = other.url("/post")
        result = await fetcher.fetch_title(pages.url("/to-evil"))
        assert "private or local" in (result.reason or "")
        assert (pages.hits, other.hits) == (["/to-evil"], [])


async def test_a_redirect_between_allowed_origins_is_followed(pages: PageServer) -> None:
    async with PageServer() as other:
        fetcher = TitleFetcher({pages.origin, f"http://127.0.0.1:{other.port}"})
        async with fetcher:
            pages.redirect_target = other.url("/post")
            result = await fetcher.fetch_title(pages.url("/to-evil"))
        assert result.title == "Canary releases, explained & compared"
        assert other.hits == ["/post"]


async def test_a_fullwidth_spelling_of_an_allowed_origin_is_fetched_as_ascii(
    pages: PageServer,
) -> None:
    async with TitleFetcher({pages.origin}) as fetcher:
        result = await fetcher.fetch_title(f"http://１２７．０．０．１:{pages.port}/post")
    assert result.title == "Canary releases, explained & compared"


# ------------------------------------------------------------------ refused before DNS (D)

NON_CANONICAL_URLS = [
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7F.0.0.1/",
    "http://0177.0.0.1/",
    "http://127.0.0.01/",
    "http://127.000.000.001/",
    "http://0/",
    "http://1.2.3/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:8.8.8.8]/",  # mapped, even if public: spell it as IPv4
    "http://[::127.0.0.1]/",
]
LOCAL_URLS = [
    "http://１２７．０．０．１/",
    "http://127。0。0。1/",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://intranet/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://ｌｏｃａｌｈｏｓｔ/",
    "http://printer.local/",
    "http://db.internal/",
    "http://app.localhost/",
    "http://nas.lan/",
    "http://router.home.arpa/",
    "http://wiki.corp/",
    "http://ｗｉｋｉ．ｃｏｒｐ/",
    "http://wiki.CORP./",
]
INVALID_URLS = [
    "http://%31%32%37.0.0.1/",
    "http://[fe80::1%25eth0]/",
    "http://public.test:８０/",
    "http://a..b/",
    "http://user:pw@public.test/",
    "ftp://public.test/",
    "http://public.test:99999/",
]


@pytest.mark.parametrize("url", NON_CANONICAL_URLS)
def test_non_canonical_addresses_are_refused(url: str) -> None:
    assert refusal_reason(url) == "the link spells its address in a non-standard way"


@pytest.mark.parametrize("url", LOCAL_URLS)
def test_local_addresses_and_names_are_refused(url: str) -> None:
    assert "private or local" in (refusal_reason(url) or "")


@pytest.mark.parametrize("url", INVALID_URLS)
def test_unusable_urls_are_refused(url: str) -> None:
    assert refusal_reason(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b#c",
        "http://ｅｘａｍｐｌｅ．ｃｏｍ/",
        "https://bücher.de/",
        "http://93.184.216.34/",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/",
        "https://EXAMPLE.com.:443/",
        "http://0x7f.example.com/",
    ],
)
def test_public_urls_pass_the_pure_check(url: str) -> None:
    assert refusal_reason(url) is None


def test_the_pure_check_honours_the_allow_list() -> None:
    allowed = parse_allow_entries(["localhost:8080", "intranet", "[::1]:9000"])
    assert refusal_reason("http://localhost:8080/x", allowed) is None
    assert refusal_reason("http://ＬＯＣＡＬＨＯＳＴ:8080/x", allowed) is None
    assert refusal_reason("http://localhost:8081/x", allowed) is not None
    assert refusal_reason("http://intranet/", allowed) is None
    assert refusal_reason("https://intranet/", allowed) is None
    assert refusal_reason("http://intranet:8080/", allowed) is not None
    assert refusal_reason("http://[::1]:9000/", allowed) is None
    assert refusal_reason("http://127.1:8080/", parse_allow_entries(["127.0.0.1:8080"])) is not None


@pytest.mark.parametrize("url", NON_CANONICAL_URLS + LOCAL_URLS + INVALID_URLS)
async def test_refused_spellings_never_reach_dns_or_the_network(url: str) -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["93.184.216.34"]

    transport, seen = recording_transport()
    async with TitleFetcher(transport=transport, resolver=resolver) as fetcher:
        result = await fetcher.fetch_title(url)
    assert result.title is None and result.reason
    assert (asked, seen) == ([], [])


async def test_a_redirect_to_a_non_canonical_address_is_refused_before_dns(
    pages: PageServer,
) -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    pages.redirect_target = f"http://2130706433:{pages.port}/post"
    async with TitleFetcher({pages.origin}, resolver=resolver) as fetcher:
        result = await fetcher.fetch_title(pages.url("/to-evil"))
    assert result.reason == "the link spells its address in a non-standard way"
    assert (asked, pages.hits) == ([], ["/to-evil"])


def _compress(encoding: str, data: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "raw-deflate":
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        return z.compress(data) + z.flush()
    if encoding == "br":
        return brotli.compress(data)
    return zstd_module().compress(data)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("feed", [1, 997, 65536, 10**7])
def test_the_bounded_decoders_lose_nothing(encoding: str, feed: int) -> None:
    rng = random.Random(encoding)
    data = b"".join(
        rng.randbytes(rng.randrange(1, 5000)) + bytes(rng.randrange(1, 200_000)) for _ in range(8)
    )[: 3 * DECODE_CHUNK + 123]
    packed = _compress(encoding, data)
    if feed == 1:
        packed, data = packed[:4000], None  # byte by byte is slow: just a prefix, no crash
    decoder = BodyDecoder("deflate" if encoding == "raw-deflate" else encoding)
    out = bytearray()
    for start in range(0, len(packed), feed):
        for piece in decoder.feed(packed[start : start + feed]):
            assert len(piece) <= 2 * DECODE_CHUNK  # Brotli overshoots by a block
            out += piece
    for piece in decoder.finish():
        out += piece
    if data is not None:
        assert bytes(out) == data
