"""Benchmark 5: sixteen `/mlops subscribe` commands at once on SQLite (write contention).

This process hosts the fake Slack and sends signed slash commands to one `mlops-bot serve`
process (HTTP mode, a fresh SQLite file, the real catalog). Each round sends CONCURRENCY
commands at once and waits for all of them; latency runs until the acknowledgement, which
carries the answer. Searches go through the same server in the same way, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bench.common import Config, script_main
from bench.servers import Server, TimingSlack, start_bot, wait_healthy
from bench.stats import Section, Spread, Target, percentile, table
from bot import texts
from bot.core.content import BUNDLED_CONTENT
from tests.fakes.signing import signed_headers, slash_body

CONCURRENCY = 16
ROUNDS = 25
QUICK_ROUNDS = 3
WARMUP_ROUNDS = 2
TARGET_P99_MS = 200.0
LOCKED = "database is locked"


@dataclass
class Run:
    latencies_ms: list[float]
    errors: int  # non-200, or an answer saying the database could not be reached
    answers: dict[str, int]

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)


def _text(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
    blocks = body.get("blocks") or []
    return " ".join(str((b.get("text") or {}).get("text", "")) for b in blocks) or str(
        body.get("text", "")
    )


async def rounds(
    server: Server, fake: TimingSlack, texts_of: Sequence[Sequence[tuple[str, str]]]
) -> Run:
    """Send each round's (text, channel) commands at once; the next round starts after."""
    latencies: list[float] = []
    errors = 0
    answers: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * 2)

    async def one(http: aiohttp.ClientSession, text: str, channel: str, user: str) -> None:
        nonlocal errors
        body = slash_body(text, fake.response_url(channel), channel_id=channel, user_id=user)
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        start = time.perf_counter()
        async with http.post(server.events_url, data=body.encode(), headers=headers) as resp:
            raw = await resp.read()
            done = time.perf_counter()
            status = resp.status
        shown = _text(raw)
        kind = shown.split(".")[0][:40]
        answers[kind] = answers.get(kind, 0) + 1
        if status != 200 or texts.DATABASE_DOWN in shown or texts.GENERIC_ERROR in shown:
            errors += 1
            return
        latencies.append((done - start) * 1000)

    async with aiohttp.ClientSession(connector=connector) as http:
        for batch in texts_of:
            await asyncio.gather(
                *(one(http, text, ch, f"U{i:03d}") for i, (text, ch) in enumerate(batch))
            )
    return Run(latencies, errors, answers)


def _subscribe_batches(tag: str, count: int, resubscribe: bool) -> list[list[tuple[str, str]]]:
    """New channels each round, or (resubscribe) the same 16 channels changing schedule."""
    days = ("mon", "tue", "wed", "thu", "fri")
    out = []
    for r in range(count):
        batch = []
        for i in range(CONCURRENCY):
            channel = f"C{tag}{i:02d}" if resubscribe else f"C{tag}{r:03d}{i:02d}"
            batch.append((f"subscribe {days[r % 5]} 09:30 Europe/Berlin", channel))
        out.append(batch)
    return out


def _search_batches(count: int) -> list[list[tuple[str, str]]]:
    words = ("serving", "feature store", "monitoring", "drift", "mlflow", "kubeflow")
    return [
        [(words[(r + i) % len(words)], f"CS{i:02d}") for i in range(CONCURRENCY)]
        for r in range(count)
    ]


async def _measure(config: Config) -> dict[str, list[Run]]:
    n = QUICK_ROUNDS if config.quick else ROUNDS
    out: dict[str, list[Run]] = {"new": [], "resubscribe": [], "search": [], "locked": []}
    async with TimingSlack() as fake:
        for rep in range(config.reps):
            server = start_bot(f"contention-{rep}", config.workdir, fake.api_url, BUNDLED_CONTENT)
            try:
                await wait_healthy(server)
                await rounds(server, fake, _subscribe_batches(f"W{rep}", WARMUP_ROUNDS, False))
                await rounds(server, fake, _search_batches(WARMUP_ROUNDS))
                for key, batches in (
                    ("new", _subscribe_batches(f"N{rep}", n, False)),
                    ("resubscribe", _subscribe_batches(f"R{rep}", n, True)),
                    ("search", _search_batches(n)),
                ):
                    run = await rounds(server, fake, batches)
                    out[key].append(run)
                    print(
                        f"contention rep {rep} {key}: p50 {run.p(50):.1f} p99 {run.p(99):.1f}"
                        f" max {max(run.latencies_ms, default=0):.1f} ms, errors {run.errors}",
                        file=sys.stderr,
                        flush=True,
                    )
            finally:
                server.stop()
            locked = server.log.read_text(errors="replace").count(LOCKED)
            out["locked"].append(Run([float(locked)], 0, {}))
    return out


def run(config: Config) -> Section:
    n = QUICK_ROUNDS if config.quick else ROUNDS
    data = asyncio.run(_measure(config))
    section = Section("5. Write contention: sixteen `/mlops subscribe` at once on SQLite")
    section.add(
        "Method: `bench/contention.py` starts `mlops-bot serve` (HTTP mode, a fresh SQLite"
        " file in WAL mode, the real catalog) as its own process against the loopback fake"
        f" Slack, and sends rounds of {CONCURRENCY} signed `/mlops subscribe` commands at once"
        f" (each round waits for all {CONCURRENCY} answers), {n} rounds per configuration after"
        f" {WARMUP_ROUNDS} warm-up rounds: **new** subscribes a new channel per command (an"
        " insert), **resubscribe** changes the schedule of the same 16 channels every round"
        " (an update, and the lesson job is replaced), and **search** sends 16 searches at"
        " once the same way, for comparison. Each subscribe also asks the fake Slack"
        " `conversations.info` (posting rights) before answering. Latency runs from sending"
        " the request until its acknowledgement (which carries the answer); an error is a"
        " non-200 or an answer saying the database could not be reached (or something went"
        f" wrong). `{LOCKED}` counts that phrase in the server's log. Each figure is the"
        f" median over {config.reps} fresh servers, with (min–max).",
        "",
    )
    rows = []
    for key, label in (
        ("new", "subscribe, new channels"),
        ("resubscribe", "subscribe again, same channels"),
        ("search", "search (comparison)"),
    ):
        reps = data[key]
        rows.append(
            [
                label,
                sum(len(r.latencies_ms) + r.errors for r in reps),
                Spread.of(r.p(50) for r in reps).fmt(1),
                Spread.of(r.p(95) for r in reps).fmt(1),
                Spread.of(r.p(99) for r in reps).fmt(1),
                Spread.of(max(r.latencies_ms, default=0.0) for r in reps).fmt(1),
                sum(r.errors for r in reps),
            ]
        )
    section.add(
        *table(["commands", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"], rows)
    )
    locked = int(sum(r.latencies_ms[0] for r in data["locked"]))
    section.add(f"`{LOCKED}` in the server logs: {locked}.", "")
    subscribe_p99 = Spread.of(
        max(a.p(99), b.p(99)) for a, b in zip(data["new"], data["resubscribe"], strict=True)
    )
    errors = sum(r.errors for key in ("new", "resubscribe") for r in data[key])
    section.targets += [
        Target(
            "5 contention",
            f"subscribe p99 at {CONCURRENCY} at once, SQLite (worse of new / again)",
            subscribe_p99.fmt(1, " ms"),
            f"< {TARGET_P99_MS:.0f} ms",
            subscribe_p99.median < TARGET_P99_MS,
        ),
        Target(
            "5 contention",
            f"errors and `{LOCKED}`",
            f"{errors} · {locked}",
            "0 · 0",
            errors == 0 and locked == 0,
        ),
    ]
    return section


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
