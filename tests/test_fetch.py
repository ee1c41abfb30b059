"""The title fetcher: real loopback pages, fake DNS for the addresses we must never reach."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.fetch import TitleFetcher, extract_title
from tests.fakes.pages import PageServer, resolver_from

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
    fetcher = TitleFetcher({"127.0.0.1"})
    result = await fetcher.fetch_title(pages.url("/post"))
    assert result.title == "Canary releases, explained & compared"


async def test_follows_a_safe_redirect(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/to-post"))
    assert result.title == "Canary releases, explained & compared"
    assert pages.hits == ["/to-post", "/post"]


async def test_honours_the_declared_charset(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/latin1"))
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
    fetcher = TitleFetcher({"127.0.0.1"}, resolver=resolver_from(PRIVATE_NAMES))
    result = await fetcher.fetch_title(pages.url("/to-evil"))
    assert result.title is None
    assert "private or local" in (result.reason or "")
    assert pages.hits == ["/to-evil"]


async def test_a_redirect_to_the_metadata_address_is_refused(pages: PageServer) -> None:
    pages.redirect_target = "http://169.254.169.254/latest/meta-data/"
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/to-evil"))
    assert result.title is None


async def test_a_redirect_to_another_scheme_is_refused(pages: PageServer) -> None:
    pages.redirect_target = "file:///etc/passwd"
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/to-evil"))
    assert result.title is None
    assert "can't fetch" in (result.reason or "")


async def test_at_most_three_redirects(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/loop/0"))
    assert result.title is None
    assert "redirects too many times" in (result.reason or "")
    assert pages.hits == ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]


async def test_the_address_actually_connected_to_is_checked(pages: PageServer) -> None:
    # DNS says public, the connection lands on loopback (DNS rebinding): nothing is read.
    fetcher = TitleFetcher(resolver=resolver_from({"localhost": ["93.184.216.34"]}))
    result = await fetcher.fetch_title(f"http://localhost:{pages.port}/post")
    assert result.title is None
    assert "private or local" in (result.reason or "")


async def test_reads_at_most_512_kib(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/big"))
    assert result.title is None
    assert result.reason == "the page has no title"


async def test_only_html_is_read(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/json"))
    assert result.title is None
    assert result.reason == "the link is not an HTML page"


async def test_http_errors_give_no_title(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}).fetch_title(pages.url("/missing"))
    assert result.title is None
    assert "404" in (result.reason or "")


async def test_a_slow_page_times_out(pages: PageServer) -> None:
    result = await TitleFetcher({"127.0.0.1"}, timeout=0.2).fetch_title(pages.url("/slow"))
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
