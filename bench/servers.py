"""Start and stop servers for the benchmarks, and a fake Slack that timestamps what arrives."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import bot_command, child_env, free_port
from tests.fakes.signing import SECRET
from tests.fakes.slack_api import FakeSlack

BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 - a fake token for the loopback fake


class TimingSlack(FakeSlack):
    """FakeSlack that notes when each response_url POST arrives (perf_counter, this process)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrived: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[float]] = {}

    def expect(self, name: str) -> asyncio.Future[float]:
        """A future resolved with the arrival time of a POST to response_url(name)."""
        future = asyncio.get_running_loop().create_future()
        if name in self.arrived:
            future.set_result(self.arrived[name])
        else:
            self._waiting[name] = future
        return future

    async def _response_url(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        name = request.match_info["name"]
        response = await super()._response_url(request)
        self.arrived[name] = at
        waiter = self._waiting.pop(name, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(at)
        return response


@dataclass
class Server:
    """A server process we started: its URL, pid and log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float
    healthy_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bot_env(workdir: Path, api_url: str, port: int, content_dir: Path | None) -> dict[str, str]:
    """The environment `mlops-bot serve` gets in HTTP mode against a fake Slack."""
    env = child_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        PORT=str(port),
        HOST="127.0.0.1",
        DATABASE_URL=f"sqlite:///{workdir / 'bot.db'}",
        MLOPS_LOG_LEVEL="WARNING",
    )
    if content_dir is not None:
        env["MLOPS_CONTENT_DIR"] = str(content_dir)
    return env


def start(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Server:
    """Start a server in `workdir` (so no developer .env is read); output goes to a log."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, int(env["PORT"]), log, started)


def start_bot(name: str, workdir: Path, api_url: str, content_dir: Path | None = None) -> Server:
    """`mlops-bot serve` (HTTP mode) on a free loopback port."""
    port = free_port()
    run_dir = workdir / name
    run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.remove(run_dir / "bot.db")
    env = bot_env(run_dir, api_url, port, content_dir)
    return start(name, [*bot_command(), "serve"], env, run_dir)


def start_bare(name: str, workdir: Path, api_url: str) -> Server:
    """The bare Bolt app (bench/bare_app.py) behind the same HTTP stack."""
    import sys

    port = free_port()
    env = child_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        PORT=str(port),
    )
    return start(name, [sys.executable, "-m", "bench.bare_app"], env, workdir / name)


async def wait_healthy(server: Server, timeout: float = 60.0, poll: float = 0.01) -> float:
    """Poll GET /healthz every `poll` s; seconds from process start to the first 200."""
    deadline = time.perf_counter() + timeout
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited: see {server.log}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{server.url}/healthz") as resp:
                    if resp.status == 200:
                        server.healthy_after = time.perf_counter() - server.started
                        return server.healthy_after
            await asyncio.sleep(poll)
    raise TimeoutError(f"{server.name} not healthy after {timeout} s: see {server.log}")
