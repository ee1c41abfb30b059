"""Benchmark 1: /mlops latency and throughput of `mlops-bot serve` against a bare Bolt app.

This process is the load generator and hosts the fake Slack; each server is a separate
process. Every request is a signed slash command shaped like Slack's. Latency runs from
sending the request until the user's answer is delivered: the HTTP response when the answer
rides on the acknowledgement, else the arrival of the response_url POST at the fake.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.catalog_gen import write_content_dir
from bench.common import Config, script_main
from bench.queries import mixed_queries
from bench.search import time_queries
from bench.servers import Server, TimingSlack, start_bare, start_bot, wait_healthy
from bench.stats import Section, Spread, Target, cpu_seconds, percentile, table
from bot.core.content import BUNDLED_CONTENT, load_catalog
from bot.core.search import SearchIndex
from tests.fakes.signing import signed_headers, slash_body

CONCURRENCY = (1, 8, 32)
REQUESTS = 2000
WARMUP = 200
CACHED_DISTINCT = 100  # distinct texts in the cached-answers run (all warmed up beforehand)
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
    server_cpu_s: float

    @property
    def cores(self) -> float:
        """Share of one CPU the server used during the run."""
        return self.server_cpu_s / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request, in milliseconds."""
        return self.server_cpu_s / len(self.latencies_ms) * 1000 if self.latencies_ms else 0.0

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
        cpu_before = cpu_seconds(server.process.pid)
        began = clock()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        wall = clock() - began
        cpu = cpu_seconds(server.process.pid) - cpu_before
    return Run(latencies, wall, errors, followups, cpu)


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
                        _progress(f"rep {rep} c={level} {key}", run)
                # The same server when every answer is already in its search cache.
                top = levels[-1]
                pool = warm[:CACHED_DISTINCT]
                await load(servers[f"{big}"], fake, pool, top, f"r{rep}-recache")
                cached = (pool * (n // len(pool) + 1))[:n]
                run = await load(servers[f"{big}"], fake, cached, top, f"r{rep}-cached")
                runs.setdefault(("cached", top), []).append(run)
                _progress(f"rep {rep} c={top} cached", run)
        finally:
            for server in servers.values():
                server.stop()
    search_ms = _search_cost(big_dir, mixed_queries(real, n, seed=1000 + levels[-1]))
    return {
        "runs": runs,
        "labels": labels,
        "n": n,
        "levels": levels,
        "big": big,
        "search_ms": search_ms,
    }


def _progress(what: str, run: Run) -> None:
    print(
        f"slash {what}: p50 {run.p(50):.2f} p99 {run.p(99):.2f} ms, {run.rps:.0f}/s,"
        f" {run.cpu_ms:.3f} ms CPU/request, errors {run.errors}",
        file=sys.stderr,
        flush=True,
    )


def _search_cost(content_dir: Path, queries: list[str]) -> float:
    """Mean ms of a cold `search` over the run's queries, in this process, on the big catalog."""
    index = SearchIndex.build(load_catalog(content_dir))
    gc.collect()
    gc.freeze()
    try:
        return statistics.mean(time_queries(index, queries, cold=True))
    finally:
        gc.unfreeze()


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
        f" help/topics) with {_levels(levels)} requests in flight, after {min(WARMUP, int(n))} warm-up requests"
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
                    Spread.of(r.cores for r in reps).fmt(2),
                    Spread.of(r.cpu_ms for r in reps).fmt(3),
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
                "server CPU (cores)",
                "server CPU ms/request",
                "errors",
                "p99 ÷ bare · req/s ÷ bare",
            ],
            rows,
        )
    )
    top = levels[-1]
    key = f"{big}"
    section.add(*_reading(runs, top, key, big, float(data["search_ms"])))  # type: ignore[arg-type]
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


def _reading(
    runs: dict[tuple[str, int], list[Run]], top: int, key: str, big: int, search_ms: float
) -> list[str]:
    """What the table means, with this run's figures: where each server's time goes."""

    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs[(name, top)])

    bare_rps, bare_ms, bare_cores = med("bare", "rps"), med("bare", "cpu_ms"), med("bare", "cores")
    ours_ms, ours_cores = med(key, "cpu_ms"), med(key, "cores")
    budget = 1000 / (TARGET_RPS_RATIO * bare_rps)
    cached = runs[("cached", top)]
    cached_ms = statistics.median(r.cpu_ms for r in cached)
    cached_rps = statistics.median(
        o.rps / b.rps for o, b in zip(cached, runs[("bare", top)], strict=True)
    )
    rows = [
        [
            f"mlops-bot, {big:,} resources, every answer already cached",
            top,
            Spread.of(r.p(99) for r in cached).fmt(2),
            Spread.of(r.rps for r in cached).fmt(0),
            Spread.of(r.cpu_ms for r in cached).fmt(3),
            _ratio(runs, "cached", top),
        ]
    ]
    return [
        f"The same {big:,}-resource server when every query is already in its search cache"
        f" ({CACHED_DISTINCT} distinct texts, all seen during warm-up), in the same rounds:",
        "",
        *table(
            [
                "server",
                "concurrency",
                "p99 ms",
                "requests/s",
                "server CPU ms/request",
                "p99 ÷ bare · req/s ÷ bare",
            ],
            rows,
        ),
        "**Reading the table.** Both apps run Bolt's default `process_before_response=False`:"
        " `AsyncApp` runs the listener as a task and checks every 10 ms whether it has called"
        " `ack()` (`slack_bolt/listener/asyncio_runner.py`), so even the bare app answers in"
        f" about 11 ms, and at concurrency {top} it is bound by that wait, not by its CPU: it"
        f" uses {bare_cores:.2f} of a core at {bare_rps:.0f} requests/s, {bare_ms:.3f} ms of"
        f" CPU per request. `mlops-bot` at {big:,} resources uses {ours_cores:.2f} of a core,"
        f" {ours_ms:.3f} ms of CPU per request; to reach {TARGET_RPS_RATIO}× the bare"
        f" throughput on one core a request may cost at most {budget:.3f} ms."
        + (
            f" It does not fit: ranking an uncached query alone costs {search_ms:.3f} ms on"
            f" average over this mix at {big:,} resources (measured in this process on the"
            " same queries), so the search of a query the server has not seen before — not"
            " Bolt, the HTTP stack or Block Kit rendering — is what stands between us and the"
            " target; with every answer cached the same server costs"
            f" {cached_ms:.3f} ms per request and reaches {cached_rps:.2f}× the bare app's"
            " throughput."
            if ours_ms > budget
            else " It fits within that budget."
        ),
        "",
    ]


def _levels(levels: Sequence[int]) -> str:
    return ", ".join(str(x) for x in levels[:-1]) + f" and {levels[-1]}"


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
