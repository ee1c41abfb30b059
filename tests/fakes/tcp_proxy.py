"""A loopback TCP proxy that can stall: the database "drops packets" instead of refusing.

    async with StallProxy("127.0.0.1", 5432) as proxy:   # proxy.port forwards to 5432
        proxy.stall()    # from now on: accept, read, never answer (bytes are swallowed)
        proxy.resume()   # new connections work again; the stalled ones stay black holes

A stalled connection never recovers, as after a real network partition: the client must time
out and drop it. Nothing swallowed during the stall is delivered later.
"""

from __future__ import annotations

import asyncio
import contextlib


class StallProxy:
    """Forwards 127.0.0.1:<port> to `target`; `stall()` turns it into a black hole."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.stalled = False
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def stall(self) -> None:
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False

    async def __aenter__(self) -> StallProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        if self.stalled:
            await self._swallow(reader)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.add(up_writer)
        # One flag per connection: once it has stalled it stays a black hole.
        broken = {"flag": False}
        self._spawn(self._pipe(reader, up_writer, broken))
        self._spawn(self._pipe(up_reader, writer, broken))

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, broken: dict[str, bool]
    ) -> None:
        try:
            while data := await reader.read(65536):
                if self.stalled:
                    broken["flag"] = True
                if broken["flag"]:
                    continue  # swallowed: never delivered, not even after resume()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not broken["flag"]:
                writer.close()

    @staticmethod
    async def _swallow(reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while await reader.read(65536):
                pass
