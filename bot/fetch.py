"""The one httpx gateway: fetch a suggested page's title (or check a link), safely.

Every hop (the first request and at most three redirects) is first checked without DNS
(`refusal_reason`: non-canonical IP spellings, internal names, non-public literals), then its
host is resolved and refused if any address is non-public, unless (host, port) is allow-listed
(MLOPS_FETCH_ALLOW_HOSTS, see `parse_allow_entries`). The connection itself goes through
`GuardedBackend`, which resolves the host again, checks every address and connects to a checked
IP, so a name that re-resolves to an internal address (DNS rebinding) is refused before a single
byte is sent. The address the connection reached is checked once more before the body is read.

Reads are bounded: 3 s overall, 512 KiB of *decoded* body (every Content-Encoding is decoded
here, in pieces of at most 64 KiB, so a compression bomb costs no more than the cap), HTML only.

One `SafeFetcher` owns one httpx.AsyncClient (and its connection pool) for its lifetime:
open it once (`async with SafeFetcher(...) as fetcher:`) and close it with `await aclose()`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import cache
from html import unescape
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from bot.core.addresses import (
    CANT_FETCH,
    DEFAULT_PORTS,
    PRIVATE_ADDRESS,
    AllowList,
    host_refusal,
    is_public,
    normalise_host,
    parse_allow_entries,
    parse_ip,
    split_target,
)

try:  # optional: br is decoded only if a Brotli with bounded output (>= 1.2) is installed
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

try:  # Python 3.14+
    from compression import zstd as _zstd
except ImportError:
    try:
        from backports import zstd as _zstd
    except ImportError:  # pragma: no cover - depends on the environment
        _zstd = None

logger = logging.getLogger(__name__)

TIMEOUT = 3.0
MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
CONCURRENCY = 4
BOT_URL = "https://github.com/mlops-bot/mlops-bot"
USER_AGENT = f"mlops-bot/0.2 (+{BOT_URL})"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DECODE_CHUNK = 64 * 1024  # the most a decoder hands back at once
MAX_ENCODINGS = 2  # "gzip, br" is plausible; five layers are an attack
REDIRECTS = (301, 302, 303, 307, 308)
UNRESOLVABLE = "the host name could not be resolved"

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


Refused = _Refused


class AddressRefused(_Refused):
    """The guarded backend would not connect: the host is, or resolves to, a non-public address."""

    def __init__(self, reason: str = PRIVATE_ADDRESS) -> None:
        super().__init__(reason)


class UnresolvableHost(AddressRefused):
    """DNS has no address for the host (a dead link, not an attack)."""

    def __init__(self, reason: str = UNRESOLVABLE) -> None:
        super().__init__(reason)


class UndecodableBody(_Refused):
    """The body's Content-Encoding is unknown, too deeply nested or corrupt."""


async def addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    """The addresses of `host` (an IP literal is its own), or UnresolvableHost if there are none."""
    literal = parse_ip(host)
    if literal is not None:
        return [str(literal)]
    try:
        addresses = await resolver(host, port)
    except OSError:
        raise UnresolvableHost() from None
    if not addresses:
        raise UnresolvableHost()
    return list(dict.fromkeys(addresses))


async def public_addresses(host: str, port: int, resolver: Resolver) -> list[str]:
    """The addresses of `host` if every one of them is public; else AddressRefused."""
    addresses = await addresses_of(host, port, resolver)
    if not all(is_public(a) for a in addresses):
        raise AddressRefused()
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Open TCP connections only to addresses checked at connect time (no DNS-rebinding window).

    httpcore hands us the origin's host name and port; we resolve it ourselves, refuse it unless
    every address is public (or host:port is allow-listed), and connect to an address we just
    checked. TLS still verifies the name: httpcore takes server_hostname from the origin.
    """

    def __init__(
        self,
        allowed: Callable[[str, int], bool],
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
        if self._allowed(host, port):  # the operator vouched for this origin
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
            raise UnresolvableHost()
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

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        *,
        max_connections: int = 32,
        keepalive_expiry: float = 15.0,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections // 2,
            keepalive_expiry=keepalive_expiry,
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


# ------------------------------------------------------------------------ bounded decoding


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded output for `data`, lazily, in pieces of about DECODE_CHUNK bytes at most
        (Brotli may overshoot by one buffer block).

        `feed(b"")` drains output still held inside the decoder."""
        ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), DECODE_CHUNK):
            yield data[start : start + DECODE_CHUNK]


class _Zlib:
    """gzip (several members allowed) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._head: bytes | None = None if gzip else b""  # deflate: bytes until we know which

    def _choose(self, data: bytes, final: bool) -> bytes | None:
        """For deflate, wait for the 2-byte zlib header, then pick zlib or raw deflate."""
        assert self._head is not None
        head = self._head + data
        if len(head) < 2 and not final:
            self._head = head
            return None
        cmf_flg = int.from_bytes(head[:2], "big") if len(head) >= 2 else 1
        if not (head[0] & 0x0F == 8 and cmf_flg % 31 == 0):
            self._wbits = -zlib.MAX_WBITS
            self._d = zlib.decompressobj(self._wbits)
        self._head = None
        return head

    def feed(self, data: bytes) -> Iterator[bytes]:
        buf: bytes | None = data
        if self._head is not None:
            buf = self._choose(data, final=not data)
            if not buf:
                return
        assert buf is not None
        while True:
            try:
                out = self._d.decompress(buf, DECODE_CHUNK)
            except zlib.error:
                raise UndecodableBody("the page's compressed content is damaged") from None
            buf = self._d.unconsumed_tail
            if out:
                yield out
            if self._d.eof and self._d.unused_data:
                rest = self._d.unused_data
                if not self._gzip:
                    return  # trailing garbage after a deflate stream: ignore it
                self._d = zlib.decompressobj(self._wbits)  # the next gzip member
                buf = rest
                continue
            if not buf and len(out) < DECODE_CHUNK:
                return


class _Brotli:
    def __init__(self) -> None:
        assert _brotli is not None
        self._d = _brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._d.is_finished():
                return
            out = self._d.process(data, output_buffer_limit=DECODE_CHUNK)
            if out:
                yield out
            # Drain until it has nothing more to give (can_accept_more_data() may already be
            # True while output is still pending).
            while not self._d.is_finished():
                out = self._d.process(b"", output_buffer_limit=DECODE_CHUNK)
                if not out:
                    return
                yield out
        except _brotli.error:
            raise UndecodableBody("the page's compressed content is damaged") from None


class _Zstd:
    def __init__(self) -> None:
        assert _zstd is not None
        self._d = _zstd.ZstdDecompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        buf = data
        try:
            while True:
                if self._d.eof:
                    rest = self._d.unused_data + buf
                    if not rest:
                        return
                    self._d = _zstd.ZstdDecompressor()  # the next frame
                    buf = rest
                out = self._d.decompress(buf, DECODE_CHUNK)
                buf = b""
                if out:
                    yield out
                if self._d.eof:
                    continue
                if self._d.needs_input:
                    return
        except _zstd.ZstdError:
            raise UndecodableBody("the page's compressed content is damaged") from None


def _brotli_bounded() -> bool:
    return _brotli is not None and hasattr(_brotli.Decompressor(), "can_accept_more_data")


_DECODERS: dict[str, Callable[[], _Decoder]] = {
    "gzip": lambda: _Zlib(gzip=True),
    "x-gzip": lambda: _Zlib(gzip=True),
    "deflate": lambda: _Zlib(gzip=False),
}
if _brotli_bounded():
    _DECODERS["br"] = _Brotli
if _zstd is not None:
    _DECODERS["zstd"] = _Zstd

ACCEPT_ENCODING = ", ".join(e for e in ("gzip", "deflate", "br", "zstd") if e in _DECODERS)


class BodyDecoder:
    """Decode a body through every Content-Encoding layer, never holding more than a piece."""

    def __init__(self, content_encoding: str | None) -> None:
        names = [
            name.strip().lower()
            for name in (content_encoding or "").split(",")
            if name.strip() and name.strip().lower() != "identity"
        ]
        if len(names) > MAX_ENCODINGS:
            raise UndecodableBody("the page is compressed too many times")
        unknown = [name for name in names if name not in _DECODERS]
        if unknown:
            raise UndecodableBody(f"the page uses an unsupported encoding ({unknown[0]})")
        # Encodings are listed in the order applied: undo the last one first.
        self._layers: list[_Decoder] = [_DECODERS[name]() for name in reversed(names)]
        if not self._layers:
            self._layers = [_Identity()]

    def _through(self, start: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for layer in self._layers[start:]:
            pieces = _pipe(layer, pieces)
        yield from pieces

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of a raw chunk, produced lazily: stop iterating and nothing more is
        decompressed."""
        return self._through(0, (data,))

    def finish(self) -> Iterator[bytes]:
        """Whatever the layers still hold once the raw body has ended."""
        for index, layer in enumerate(self._layers):
            yield from self._through(index + 1, layer.feed(b""))


def _pipe(layer: _Decoder, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.feed(piece)


async def read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """At most `max_bytes` of the decoded body and whether it was cut off there.

    Decoding happens here, a bounded piece at a time, and reading stops as soon as the decoded
    size reaches the cap, whatever the Content-Encoding: a 100 MB gzip bomb costs ~max_bytes.
    """
    if response.is_stream_consumed:  # built in memory (an injected transport): already decoded
        content = response.content
        return content[:max_bytes], len(content) > max_bytes
    decoder = BodyDecoder(response.headers.get("content-encoding"))
    body = bytearray()
    raw = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        for piece in decoder.feed(chunk):
            body += piece
            if len(body) >= max_bytes:
                return bytes(body[:max_bytes]), True
        if raw >= 2 * max_bytes:  # compressed data that decodes to (almost) nothing
            return bytes(body), True
    for piece in decoder.finish():
        body += piece
        if len(body) >= max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False


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


def _allow_list(entries: Iterable[str | tuple[str, int]]) -> AllowList:
    """(host, port) pairs as given, strings parsed by parse_allow_entries."""
    pairs: set[tuple[str, int]] = set()
    texts: list[str] = []
    for entry in entries:
        if isinstance(entry, tuple):
            pairs.add((normalise_host(entry[0]), int(entry[1])))
        else:
            texts.append(entry)
    return frozenset(pairs | parse_allow_entries(texts))


def _with_host(url: str, scheme: str, host: str, port: int) -> str:
    """`url` with its host replaced by the normalised one we checked (fragment dropped)."""
    parts = urlsplit(url.strip())
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


class SafeFetcher:
    """The bot's SSRF-safe HTTP client: one httpx.AsyncClient with the guarded transport.

    Build it once (the app's lifespan does), `await aclose()` it (or use `async with`).
    `fetch_title` is bounded by a semaphore (`concurrency` fetches at once). `open` and
    `next_hop` are the guarded single-hop primitives the link checker builds on.
    """

    def __init__(
        self,
        allow_hosts: Iterable[str | tuple[str, int]] = (),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.allowed: AllowList = _allow_list(allow_hosts)
        self.transport = transport
        self.resolver = resolver or system_resolver
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._semaphore = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            transport=transport or GuardedTransport(GuardedBackend(self.is_allowed, self.resolver)),
            follow_redirects=False,
            timeout=timeout,
            trust_env=False,  # a proxy would hide the address we connect to
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        )

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client and every pooled connection."""
        await self._client.aclose()

    @property
    def client(self) -> httpx.AsyncClient:
        """The one client every request goes through (the link checker uses it too)."""
        return self._client

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    def is_allowed(self, host: str, port: int) -> bool:
        """True if the operator allow-listed host:port (MLOPS_FETCH_ALLOW_HOSTS)."""
        try:
            return (normalise_host(host), port) in self.allowed
        except ValueError:
            return False

    async def fetch_title(self, url: str) -> FetchResult:
        """Fetch `url` and return its title; never raises for network or content problems."""
        try:
            async with self._semaphore, asyncio.timeout(self.timeout):
                return await self._fetch_title(url)
        except TimeoutError:
            return FetchResult(None, "the page took too long to answer")
        except _Refused as exc:
            return FetchResult(None, str(exc))
        except httpx.InvalidURL:
            return FetchResult(None, CANT_FETCH)
        except httpx.TimeoutException:
            return FetchResult(None, "the page took too long to answer")
        except httpx.HTTPError as exc:
            logger.info("title fetch failed: %s", type(exc).__name__)
            return FetchResult(None, "the page could not be reached")

    async def _fetch_title(self, url: str) -> FetchResult:
        current = url
        headers = {"Accept": "text/html,application/xhtml+xml"}
        for _hop in range(self.max_redirects + 1):
            async with self.open("GET", current, headers=headers) as response:
                if response.is_redirect:
                    current = self.next_hop(current, response)
                    continue
                return await self._read_title(response)
        raise _Refused("the link redirects too many times")

    async def check(self, url: str) -> tuple[str, str, int]:
        """(scheme, host, port) of a URL that may be requested; else Refused with a reason.

        First the pure checks (`refusal_reason`: no DNS), then, unless allow-listed, every
        address the host resolves to must be public."""
        try:
            scheme, host, port = split_target(url)
        except ValueError as exc:
            raise _Refused(str(exc)) from None
        reason = host_refusal(host, port, self.allowed)
        if reason is not None:
            raise AddressRefused(reason)
        if (host, port) not in self.allowed:
            await public_addresses(host, port, self.resolver)  # refused early, with a reason
        return scheme, host, port

    @asynccontextmanager
    async def open(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """One guarded request (no redirects followed); the body is streamed, unread."""
        scheme, host, port = await self.check(url)
        target = _with_host(url, scheme, host, port)
        async with self._client.stream(method, target, headers=headers) as response:
            self._check_peer(host, port, response)
            yield response

    def _check_peer(self, host: str, port: int, response: httpx.Response) -> None:
        """Check the address the connection really reached (a second layer behind the backend)."""
        if (host, port) in self.allowed:
            return
        stream = response.extensions.get("network_stream")
        if stream is None:
            if self.transport is None:
                raise _Refused("the connection could not be verified")
            return  # an injected transport (tests) has no socket to inspect
        peer = stream.get_extra_info("server_addr")
        if not peer or not is_public(str(peer[0])):
            raise AddressRefused()

    def next_hop(self, current: str, response: httpx.Response) -> str:
        """The absolute URL a redirect points to; Refused if none or not http(s)."""
        return self.next_hop_to(current, response.headers.get("location"))

    def next_hop_to(self, current: str, location: str | None) -> str:
        """The absolute URL of a redirect's Location; Refused if none or not http(s)."""
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
        body, _cut = await read_capped(response, self.max_bytes)
        title = extract_title(body, response.charset_encoding)
        if title is None:
            return FetchResult(None, "the page has no title")
        return FetchResult(title)


TitleFetcher = SafeFetcher  # the name the suggestion feature knows
