"""The one httpx gateway: fetch a suggested page's title, safely.

Every hop (the first request and at most three redirects) resolves its host and refuses any
non-public address unless the host is allow-listed (MLOPS_FETCH_ALLOW_HOSTS). The connection
itself goes through `GuardedBackend`, which resolves the host again, checks every address and
connects to a checked IP, so a name that re-resolves to an internal address (DNS rebinding) is
refused before a single byte is sent. The address the connection reached is checked once more
before the body is read. Reads are bounded: 3 s overall, 512 KiB, HTML only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bot.core.addresses import is_public, parse_ip

logger = logging.getLogger(__name__)

TIMEOUT = 3.0
MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "mlops-bot/0.1 (+link preview for team suggestions)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
PRIVATE_ADDRESS = "the link points to a private or local network address"

Resolver = Callable[[str, int], Awaitable[list[str]]]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver returns for host:port."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class FetchResult:
    """A page title, or None with a short plain-text reason the title couldn't be read."""

    title: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.title is not None


class _Refused(Exception):
    """The fetch must stop; the message is the reason shown to people."""


class AddressRefused(_Refused):
    """The guarded backend would not connect: the host is, or resolves to, a non-public address."""

    def __init__(self, reason: str = PRIVATE_ADDRESS) -> None:
        super().__init__(reason)


async def addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    """The addresses of `host` (an IP literal is its own), or AddressRefused if there are none."""
    literal = parse_ip(host)
    if literal is not None:
        return [str(literal)]
    try:
        addresses = await resolver(host, port)
    except OSError:
        raise AddressRefused("the host name could not be resolved") from None
    if not addresses:
        raise AddressRefused("the host name could not be resolved")
    return list(dict.fromkeys(addresses))


async def public_addresses(host: str, port: int, resolver: Resolver) -> list[str]:
    """The addresses of `host` if every one of them is public; else AddressRefused."""
    addresses = await addresses_of(host, port, resolver)
    if not all(is_public(a) for a in addresses):
        raise AddressRefused()
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Open TCP connections only to addresses checked at connect time (no DNS-rebinding window).

    httpcore hands us the origin's host name; we resolve it ourselves, refuse it unless every
    address is public (or the host is allow-listed), and connect to an address we just checked.
    TLS still verifies the name: httpcore takes server_hostname from the origin, not the socket.
    """

    def __init__(
        self,
        allowed: Callable[[str], bool],
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allowed = allowed
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first reachable checked address of host:port."""
        if self._allowed(host):  # the operator vouched for this name, whatever it resolves to
            targets = await addresses_of(host, port, self._resolver)
        else:
            targets = await public_addresses(host, port, self._resolver)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in targets:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        if failure is None:  # unreachable: addresses_of never returns an empty list
            raise AddressRefused("the host name could not be resolved")
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a page link cannot name a local socket."""
        raise AddressRefused()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)

_CORE_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    """Raise httpcore's errors as the httpx ones callers of an httpx transport expect."""
    try:
        yield
    except _CORE_ERRORS as exc:
        for core, mapped in _HTTPCORE_ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise httpx.TransportError(str(exc)) from exc


class _CoreBody(httpx.AsyncByteStream):
    """A response body streamed from httpcore; closing it releases the connection."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            with _httpx_errors():
                await self._stream.aclose()


@cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle costs ~15 ms."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncBaseTransport):
    """A minimal HTTP/1.1 transport whose connections are opened by a `GuardedBackend`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            http1=True,
            http2=False,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreBody(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def extract_title(body: bytes, charset: str | None = None) -> str | None:
    """The text of the first <title>, entities decoded and whitespace folded."""
    if not charset:
        meta = _META_CHARSET.search(body[:2048])
        charset = meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    match = _TITLE.search(text)
    if not match:
        return None
    title = " ".join(unescape(match.group(1)).split())
    return title or None


class TitleFetcher:
    """Fetch page titles without letting a suggestion reach internal addresses."""

    def __init__(
        self,
        allow_hosts: Iterable[str] = (),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.allow_hosts = frozenset(h.strip().lower().strip("[]") for h in allow_hosts)
        self.transport = transport
        self.resolver = resolver or system_resolver
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    async def aclose(self) -> None:
        """Release the fetcher's connections (the lifespan calls this at shutdown)."""

    async def fetch_title(self, url: str) -> FetchResult:
        """Fetch `url` and return its title; never raises for network or content problems."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url)
        except TimeoutError:
            return FetchResult(None, "the page took too long to answer")
        except _Refused as exc:
            return FetchResult(None, str(exc))
        except httpx.InvalidURL:
            return FetchResult(None, "the link points somewhere the bot can't fetch")
        except httpx.TimeoutException:
            return FetchResult(None, "the page took too long to answer")
        except httpx.HTTPError as exc:
            logger.info("title fetch failed: %s", type(exc).__name__)
            return FetchResult(None, "the page could not be reached")

    def _transport(self) -> httpx.AsyncBaseTransport:
        """The injected transport (tests), else one that connects only to checked addresses."""
        if self.transport is not None:
            return self.transport
        return GuardedTransport(GuardedBackend(self._allowed, self.resolver))

    async def _fetch(self, url: str) -> FetchResult:
        async with httpx.AsyncClient(
            transport=self._transport(),
            follow_redirects=False,
            timeout=self.timeout,
            trust_env=False,  # a proxy would hide the address we connect to
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
        ) as client:
            current = url
            for _hop in range(self.max_redirects + 1):
                host = await self._check_host(current)
                async with client.stream("GET", current) as response:
                    self._check_peer(host, response)
                    if response.is_redirect:
                        current = self._next_hop(current, response)
                        continue
                    return await self._read_title(response)
        raise _Refused("the link redirects too many times")

    def _allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    async def _check_host(self, url: str) -> str:
        """Refuse a URL whose host is, or resolves to, any non-public address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Refused("the link points somewhere the bot can't fetch")
        if parts.username is not None or parts.password is not None:
            raise _Refused("the link embeds credentials")
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # a port out of range
            raise _Refused("the link points somewhere the bot can't fetch") from None
        if not self._allowed(host):
            await public_addresses(host, port, self.resolver)  # refused early, with a reason
        return host

    def _check_peer(self, host: str, response: httpx.Response) -> None:
        """Check the address the connection really reached (a second layer behind the backend)."""
        if self._allowed(host):
            return
        stream = response.extensions.get("network_stream")
        if stream is None:
            if self.transport is None:
                raise _Refused("the connection could not be verified")
            return  # an injected transport (tests) has no socket to inspect
        peer = stream.get_extra_info("server_addr")
        if not peer or not is_public(str(peer[0])):
            raise AddressRefused()

    def _next_hop(self, current: str, response: httpx.Response) -> str:
        location = response.headers.get("location")
        if not location:
            raise _Refused("the page redirects nowhere")
        target = urljoin(current, location.strip())
        if urlsplit(target).scheme not in ("http", "https"):
            raise _Refused("the page redirects somewhere the bot can't fetch")
        return target

    async def _read_title(self, response: httpx.Response) -> FetchResult:
        if response.status_code != 200:
            return FetchResult(None, f"the page answered with HTTP {response.status_code}")
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            return FetchResult(None, "the link is not an HTML page")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= self.max_bytes:
                break
        title = extract_title(bytes(body[: self.max_bytes]), response.charset_encoding)
        if title is None:
            return FetchResult(None, "the page has no title")
        return FetchResult(title)
