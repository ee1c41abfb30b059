"""Benchmark 1: /mlops latency and throughput of `mlops-bot serve` against a bare Bolt app.

This process is the load generator and hosts the fake Slack; each server is a separate
process. Every request is a signed slash command shaped like Slack's. Latency runs from
sending the request until the user's answer is delivered: the HTTP response when the answer
rides on the acknowledgement, else the arrival of the response_url POST at the fake.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bench.catalog_gen import write_content_dir
from bench.common import Config, script_main
from bench.queries import mixed_queries
from bench.servers import Server, TimingSlack, start_bare, start_bot, wait_healthy
from bench.stats import Section, Spread, Target, percentile, table
from bot.core.content import BUNDLED_CONTENT, load_catalog
from tests.fakes.signing import signed_headers, slash_body

CONCURRENCY = (1, 8, 32)
REQUESTS = 2000
WARMUP = 200
QUICK_CONCURRENCY = (1, 8)
QUICK_REQUESTS = 60
BIG = 10_000
QUICK_BIG = 300
FOLLOWUP_TIMEOUT = 10.0
TARGET_P99_RATIO = 1.5
TARGET_RPS_RATIO = 0.7


@dataclass
class Run:
    latencies_ms: list[float]
    wall_s: float
    errors: int
    followups: int

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)


def _answered(raw: bytes) -> bool:
    """Whether an acknowledgement already carries the answer (text or blocks)."""
    if not raw.strip():
        return False
    try:
        body = json.loads(raw)
    except ValueError:
        return bool(raw.strip())
    return isinstance(body, dict) and bool(body.get("text") or body.get("blocks"))


async def load(
    server: Server, fake: TimingSlack, queries: Sequence[str], concurrency: int, tag: str
) -> Run:
    """Send every query once with `concurrency` requests in flight; time each to its answer."""
    prepared = []
    for i, text in enumerate(queries):
        name = f"{tag}-{i}"
        body = slash_body(text, fake.response_url(name), user_id=f"U{i % 50:03d}")
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        prepared.append((name, body.encode(), headers))
    latencies: list[float] = []
    errors = followups = 0
    pending = iter(prepared)
    clock = time.perf_counter
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors, followups
        for name, body, headers in pending:
            start = clock()
            try:
                async with http.post(server.events_url, data=body, headers=headers) as resp:
                    raw = await resp.read()
                    done = clock()
                    ok = resp.status == 200
            except aiohttp.ClientError:
                errors += 1
                continue
            if not ok:
                errors += 1
                continue
            if not _answered(raw):
                try:
                    done = await asyncio.wait_for(fake.expect(name), FOLLOWUP_TIMEOUT)
                    followups += 1
                except TimeoutError:
                    errors += 1
                    continue
            latencies.append((done - start) * 1000)

    async with aiohttp.ClientSession(connector=connector) as http:
        began = clock()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        wall = clock() - began
    return Run(latencies, wall, errors, followups)


async def _measure(config: Config) -> dict[str, object]:
    big = QUICK_BIG if config.quick else BIG
    n = QUICK_REQUESTS if config.quick else REQUESTS
    levels = QUICK_CONCURRENCY if config.quick else CONCURRENCY
    big_dir = write_content_dir(config.workdir / f"content-{big}", big)
    real = load_catalog()
    targets = {"bare": None, "real": BUNDLED_CONTENT, f"{big}": big_dir}
    labels = {
        "bare": "bare Bolt app (baseline)",
        "real": f"mlops-bot, real catalog ({len(real.resources):,})",
        f"{big}": f"mlops-bot, generated catalog ({big:,})",
    }
    runs: dict[tuple[str, int], list[Run]] = {}
    async with TimingSlack() as fake:
        servers: dict[str, Server] = {}
        try:
            for key, content in targets.items():
                if content is None:
                    servers[key] = start_bare(f"slash-{key}", config.workdir, fake.api_url)
                else:
                    servers[key] = start_bot(f"slash-{key}", config.workdir, fake.api_url, content)
            for server in servers.values():
                await wait_healthy(server)
            warm = mixed_queries(real, min(WARMUP, n), seed=1)
            for key, server in servers.items():
                await load(server, fake, warm, 8, f"warm-{key}")
            for rep in range(config.reps):
                for level in levels:
                    queries = mixed_queries(real, n, seed=1000 + rep * 10 + level)
                    # Interleaved, so drift on the machine hits every target alike.
                    for key, server in servers.items():
                        run = await load(server, fake, queries, level, f"r{rep}-c{level}-{key}")
                        runs.setdefault((key, level), []).append(run)
                        print(
                            f"slash rep {rep} c={level} {key}: p50 {run.p(50):.2f} p99"
                            f" {run.p(99):.2f} ms, {run.rps:.0f}/s, errors {run.errors}",
                            file=sys.stderr,
                            flush=True,
                        )
        finally:
            for server in servers.values():
                server.stop()
    return {"runs": runs, "labels": labels, "n": n, "levels": levels, "big": big}


def run(config: Config) -> Section:
    data = asyncio.run(_measure(config))
    runs: dict[tuple[str, int], list[Run]] = data["runs"]  # type: ignore[assignment]
    labels: dict[str, str] = data["labels"]  # type: ignore[assignment]
    levels: tuple[int, ...] = data["levels"]  # type: ignore[assignment]
    n, big = data["n"], data["big"]
    section = Section("1. Slash-command latency: `mlops-bot serve` vs a bare Bolt app")
    distinct = len(set(mixed_queries(load_catalog(), int(n), seed=1000 + levels[-1])))  # type: ignore[call-overload]
    section.add(
        "Method: `bench/slash.py` starts three servers as separate processes, each in HTTP mode"
        " on loopback: `mlops-bot serve` with the real catalog, `mlops-bot serve` with a"
        f" generated {big:,}-resource catalog (`bench/catalog_gen.py`, loaded through"
        " `MLOPS_CONTENT_DIR`), and the **baseline**: `bench/bare_app.py`, a bare slack-bolt"
        " `AsyncApp` whose `/mlops` handler only acks a fixed text, served by the same"
        " `bot.server` aiohttp stack with the same signature verification and the same fake"
        " Slack. The benchmark process is the load generator (aiohttp client) and hosts the"
        " loopback fake Slack (`tests/fakes/slack_api.py`). It sends"
        f" {n:,} signed `/mlops …` requests per configuration ({distinct:,} distinct texts"
        " per run, from `bench/queries.py`: topics, synonyms, typos, free text, tools, no-match,"
        f" help/topics) with 1, 8 and 32 requests in flight, after {WARMUP} warm-up requests"
        " per server. Latency runs until the user's answer is delivered: the HTTP response"
        " when the answer rides on the acknowledgement (every search, help and topics answer"
        " does), otherwise the arrival of the `response_url` POST at the fake. Throughput is"
        " requests / wall time of the run. Configurations are interleaved (every target at"
        " one concurrency, then the next), and each figure is the median of"
        " the repetitions with (min–max). Ratios are taken per repetition (ours ÷ baseline in"
        " the same round) and their median is shown.",
        "",
    )
    rows = []
    for level in levels:
        for key, label in labels.items():
            reps = runs[(key, level)]
            rows.append(
                [
                    label,
                    level,
                    Spread.of(r.p(50) for r in reps).fmt(2),
                    Spread.of(r.p(95) for r in reps).fmt(2),
                    Spread.of(r.p(99) for r in reps).fmt(2),
                    Spread.of(r.rps for r in reps).fmt(0),
                    sum(r.errors for r in reps),
                    _ratio(runs, key, level),
                ]
            )
    section.add(
        *table(
            [
                "server",
                "concurrency",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "requests/s",
                "errors",
                "p99 ÷ bare · req/s ÷ bare",
            ],
            rows,
        )
    )
    top = levels[-1]
    key = f"{big}"
    p99_ratio = Spread.of(
        o.p(99) / b.p(99) for o, b in zip(runs[(key, top)], runs[("bare", top)], strict=True)
    )
    rps_ratio = Spread.of(
        o.rps / b.rps for o, b in zip(runs[(key, top)], runs[("bare", top)], strict=True)
    )
    section.targets += [
        Target(
            "1 slash",
            f"p99 ÷ bare p99, {big:,} resources, concurrency {top}",
            p99_ratio.fmt(2, "×"),
            f"≤ {TARGET_P99_RATIO}×",
            p99_ratio.median <= TARGET_P99_RATIO,
        ),
        Target(
            "1 slash",
            f"throughput ÷ bare, {big:,} resources, concurrency {top}",
            rps_ratio.fmt(2, "×"),
            f"≥ {TARGET_RPS_RATIO}×",
            rps_ratio.median >= TARGET_RPS_RATIO,
        ),
    ]
    return section


def _ratio(runs: dict[tuple[str, int], list[Run]], key: str, level: int) -> str:
    if key == "bare":
        return "1 · 1"
    ours, bare = runs[(key, level)], runs[("bare", level)]
    p99 = Spread.of(o.p(99) / b.p(99) for o, b in zip(ours, bare, strict=True))
    rps = Spread.of(o.rps / b.rps for o, b in zip(ours, bare, strict=True))
    return f"{p99.median:.2f}× · {rps.median:.2f}×"


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
