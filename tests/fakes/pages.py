"""A loopback web server with the pages title-fetch tests need (aiohttp on 127.0.0.1:0)."""

from __future__ import annotations

import asyncio
import zlib
from functools import cache
from typing import Any

from aiohttp import web

BIG = 2 * 1024 * 1024
BOMB = 100 * 1024 * 1024  # decoded size of every /bomb page: 100 MB of zeros
BOMB_HEAD = b"<!doctype html><html><head><title>Zero day</title></head><body>"


def _zeros(total: int, prefix: bytes = b"") -> Any:
    yield prefix
    block = bytes(1024 * 1024)
    for _ in range(total // len(block)):
        yield block


def zstd_module() -> Any:
    """compression.zstd on Python 3.14+, else the backports.zstd the project depends on."""
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return zstd


def _deflate_bomb(prefix: bytes, encoding: str) -> bytes:
    """prefix + BOMB zeros, deflated in ~20 ms: after a full flush the compressor's state is
    reset, so every 1 MiB of zeros compresses to the same bytes; the checksum is added by hand."""
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    head = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH)
    one = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    tail = z.flush(zlib.Z_FINISH)  # the last (empty) block, then the real trailer
    trailer_size = {"gzip": 8, "deflate": 4, "raw-deflate": 0}[encoding]
    last = tail[: len(tail) - trailer_size]
    crc, adler = zlib.crc32(prefix), zlib.adler32(prefix)
    for _ in range(BOMB // len(block)):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    size = len(prefix) + BOMB
    trailer = {
        "gzip": crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little"),
        "deflate": adler.to_bytes(4, "big"),
        "raw-deflate": b"",
    }[encoding]
    return head + one * (BOMB // len(block)) + last + trailer


@cache
def bomb(encoding: str, titled: bool = False) -> bytes:
    """100 MB of zeros (after a title if `titled`), compressed with `encoding`; built once."""
    parts = _zeros(BOMB, BOMB_HEAD if titled else b"<!doctype html><html><body>")
    if encoding in ("gzip", "deflate", "raw-deflate"):
        return _deflate_bomb(BOMB_HEAD if titled else b"<!doctype html><html><body>", encoding)
    if encoding == "br":
        import brotli

        c = brotli.Compressor(quality=5)
        return b"".join(c.process(p) for p in parts) + c.finish()
    if encoding == "zstd":
        c = zstd_module().ZstdCompressor(level=3)
        return b"".join(c.compress(p) for p in parts) + c.flush()
    raise ValueError(encoding)


class PageServer:
    """Use as `async with PageServer() as pages:`; `pages.url("/post")` is a full URL."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.redirect_target = "http://evil.test/"
        self.encoded = b""
        self.peers: list[Any] = []  # the client address of each hit: same address = reused
        self.in_flight = 0
        self.max_in_flight = 0
        self._runner: web.AppRunner | None = None
        self._never = asyncio.Event()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        """The allow-list entry (host:port) for this server."""
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> PageServer:
        app = web.Application()
        app.router.add_get("/post", self._post)
        app.router.add_get("/other", self._other)
        app.router.add_get("/pingy", self._pingy)
        app.router.add_get("/to-evil", self._to_evil)
        app.router.add_get("/to-post", self._to_post)
        app.router.add_get("/loop/{n}", self._loop)
        app.router.add_get("/big", self._big)
        app.router.add_get("/json", self._json)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/missing", self._missing)
        app.router.add_get("/latin1", self._latin1)
        app.router.add_get("/bomb/{encoding}", self._bomb)
        app.router.add_get("/encoded", self._encoded)
        app.router.add_get("/wait", self._wait)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._never.set()
        if self._runner:
            await self._runner.cleanup()

    def _hit(self, request: web.Request) -> None:
        self.hits.append(request.path)
        transport = request.transport
        self.peers.append(transport.get_extra_info("peername") if transport else None)

    @staticmethod
    def _html(title: str, extra: str = "") -> web.Response:
        body = (
            f"<!doctype html><html><head><title>{title}</title></head><body>{extra}</body></html>"
        )
        return web.Response(text=body, content_type="text/html")

    async def _post(self, request: web.Request) -> web.Response:
        self._hit(request)
        return self._html("  Canary releases,\n  explained &amp; compared  ")

    async def _other(self, request: web.Request) -> web.Response:
        self._hit(request)
        return self._html("Another post")

    async def _pingy(self, request: web.Request) -> web.Response:
        self._hit(request)
        return self._html("&lt;!channel&gt; free pizza <b>now</b>")

    async def _to_evil(self, request: web.Request) -> web.Response:
        self._hit(request)
        raise web.HTTPFound(self.redirect_target)

    async def _to_post(self, request: web.Request) -> web.Response:
        self._hit(request)
        raise web.HTTPMovedPermanently("/post")

    async def _loop(self, request: web.Request) -> web.Response:
        self._hit(request)
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/loop/{n + 1}")

    async def _big(self, request: web.Request) -> web.StreamResponse:
        self._hit(request)
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<!-- " + b"x" * 65536 + b" -->"
        sent = 0
        try:
            while sent < BIG:
                await response.write(chunk)
                sent += len(chunk)
            await response.write(b"<title>Too far down</title>")
        except (ConnectionResetError, RuntimeError):
            pass  # the client stopped reading, as it should
        return response

    async def _json(self, request: web.Request) -> web.Response:
        self._hit(request)
        return web.json_response({"title": "not html"})

    async def _slow(self, request: web.Request) -> web.Response:
        self._hit(request)
        await self._never.wait()  # answers only when the server shuts down
        return self._html("Too late")

    async def _missing(self, request: web.Request) -> web.Response:
        self._hit(request)
        return web.Response(status=404, text="<title>Not found</title>", content_type="text/html")

    async def _latin1(self, request: web.Request) -> web.Response:
        self._hit(request)
        body = "<html><head><title>Caf\xe9 ML</title></head></html>".encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=iso-8859-1"})

    async def _bomb(self, request: web.Request) -> web.Response:
        """A compression bomb; `?titled=1` puts a title before the zeros."""
        self._hit(request)
        encoding = request.match_info["encoding"]
        body = bomb(encoding, titled=request.query.get("titled") == "1")
        header = "deflate" if encoding == "raw-deflate" else encoding
        return web.Response(
            body=body, headers={"Content-Type": "text/html", "Content-Encoding": header}
        )

    async def _wait(self, request: web.Request) -> web.Response:
        """A page that takes 50 ms, counting how many requests are in flight at once."""
        self._hit(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.05)
        finally:
            self.in_flight -= 1
        return self._html("Waited")

    async def _encoded(self, request: web.Request) -> web.Response:
        """`?encoding=...` sends exactly the body set in `self.encoded` with that header."""
        self._hit(request)
        return web.Response(
            body=self.encoded,
            headers={
                "Content-Type": "text/html",
                "Content-Encoding": request.query.get("encoding", "identity"),
            },
        )


def resolver_from(table: dict[str, list[str]]) -> Any:
    """A fake DNS: names map to the addresses given; unknown names fail like the real one."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return list(table[host])

    return resolve


class LinkServer:
    """Loopback pages for the link checker: `async with LinkServer() as site:`.

    Records (method, path, User-Agent, loop time) of every request, and how many were in
    flight at once. `flaky_failures` is how many more times /flaky answers 500 before 200.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, float]] = []
        self.flaky_failures = 1
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._never = asyncio.Event()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"

    def seen(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _ua, _t in self.requests]

    async def __aenter__(self) -> LinkServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._never.set()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        ua = request.headers.get("User-Agent", "")
        self.requests.append((request.method, request.path, ua, loop.time()))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path, head = request.path, request.method == "HEAD"
        moves = {
            "/p301": (301, "/p308"),
            "/p308": (308, "/ok"),
            "/mixed": (301, "/temp"),
            "/temp": (302, "/ok"),
            "/to-private": (301, "http://10.0.0.5/"),
            "/to-ftp": (301, "ftp://example.com/"),
        }
        if path in moves:
            status, location = moves[path]
            return web.Response(status=status, headers={"Location": location})
        if path.startswith("/loop/"):
            n = int(path.rsplit("/", 1)[1])
            return web.Response(status=302, headers={"Location": f"/loop/{n + 1}"})
        if path in ("/gone404", "/gone410", "/busy429", "/error503"):
            return web.Response(status=int(path[-3:]), text="no")
        if path == "/flaky":
            if self.flaky_failures > 0:
                self.flaky_failures -= 1
                return web.Response(status=500, text="oops")
            return web.Response(text="fine")
        if path == "/hang":
            await self._never.wait()
            return web.Response(text="too late")
        if path in ("/nohead", "/forbidhead", "/nohead-big"):
            if head:
                return web.Response(status=405 if path != "/forbidhead" else 403)
            if path == "/nohead-big":
                return await self._endless(request)
            return web.Response(text="GET works")
        if path in ("/ok", "/wait"):
            if path == "/wait":
                await asyncio.sleep(0.05)
            return web.Response(text="ok", content_type="text/html")
        return web.Response(status=404, text="unknown")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A body that never ends: a checker reading past the headers would hang."""
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        try:
            while not self._never.is_set():
                await response.write(b"\0" * 65536)
        except (ConnectionResetError, RuntimeError):
            pass
        return response
