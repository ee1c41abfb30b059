"""The one httpx gateway: fetch a suggested page's title, safely.

Every hop (the first request and at most three redirects) resolves its host and refuses any
non-public address unless the host is allow-listed (MLOPS_FETCH_ALLOW_HOSTS); the address the
connection actually reached is checked again before the body is read. Reads are bounded:
3 s overall, 512 KiB, HTML only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin, urlsplit

import httpx

from bot.core.addresses import is_public, parse_ip

logger = logging.getLogger(__name__)

TIMEOUT = 3.0
MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "mlops-bot/0.1 (+link preview for team suggestions)"
HTML_TYPES = ("text/html", "application/xhtml+xml")

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

    async def fetch_title(self, url: str) -> FetchResult:
        """Fetch `url` and return its title; never raises for network or content problems."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url)
        except TimeoutError:
            return FetchResult(None, "the page took too long to answer")
        except _Refused as exc:
            return FetchResult(None, str(exc))
        except httpx.TimeoutException:
            return FetchResult(None, "the page took too long to answer")
        except httpx.HTTPError as exc:
            logger.info("title fetch failed: %s", type(exc).__name__)
            return FetchResult(None, "the page could not be reached")

    async def _fetch(self, url: str) -> FetchResult:
        async with httpx.AsyncClient(
            transport=self.transport,
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
        if self._allowed(host):
            return host
        literal = parse_ip(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                addresses = await self.resolver(host, port)
            except OSError:
                raise _Refused("the host name could not be resolved") from None
        if not addresses or not all(is_public(a) for a in addresses):
            raise _Refused("the link points to a private or local network address")
        return host

    def _check_peer(self, host: str, response: httpx.Response) -> None:
        """Check the address the connection really reached (DNS may have changed since)."""
        if self._allowed(host):
            return
        stream = response.extensions.get("network_stream")
        if stream is None:
            if self.transport is None:
                raise _Refused("the connection could not be verified")
            return  # an injected transport (tests) has no socket to inspect
        peer = stream.get_extra_info("server_addr")
        if not peer or not is_public(str(peer[0])):
            raise _Refused("the link points to a private or local network address")

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
