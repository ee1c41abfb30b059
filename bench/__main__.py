"""`make bench`: run every benchmark script and write docs/benchmarks.md.

    python -m bench                      # all five, 3 repetitions, writes docs/benchmarks.md
    python -m bench --only search,digest # a subset (the others are left out of the file)
    python -m bench --quick --out /tmp/b.md  # tiny sizes: checks the scripts run end to end

Each benchmark runs as its own process (`python -m bench.<name>`), so one benchmark's memory
and threads never touch the next one's figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.common import REPO, child_env, load_section
from bench.stats import Section, machine, table

BENCHMARKS = ("slash", "search", "digest", "footprint", "contention")
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"

# Written by hand when the code changed; the figures are before → after on the machine above,
# each measured with these scripts (or py-spy/pyinstrument on the same workload).
CHANGES = """## Changes made to meet the targets

| what stood in the way (profile) | change | before → after |
|---|---|---|
| Start-up at 10,000 resources: 94% in PyYAML's pure-Python scanner (pyinstrument) | `bot/core/content.py` parses with libyaml (`CSafeLoader`), same data and line marks | `/healthz` after 8.5 s → 3.1 s |
| Start-up: the line-marking constructor and GC passes over the growing catalog (~0.9 s) | valid content loads without line marks (re-read with them only to report problems); `serve` pauses the GC while the catalog and index load | 3.1 s → 2.4 s |
| Slash p99 at 10,000 resources: full GC passes over the catalog and index (gen-2 pauses up to 200 ms) | `serve` runs `gc.freeze()` once loaded | p99 at concurrency 32: ~190 ms → ~80 ms; 820–1,050 → 990–1,120 requests/s |
| `/mlops topics` recounted every resource per request (6.7% of server CPU under load) | `Catalog.topic_counts` counts once, again after `add` | 6.7% → 0 |
| Search tail: per-hit Python loops in `_relevance`/`_ranked` (py-spy) | C-level set intersections, no per-hit lookups the query already decides (same results on 6,000 queries) | cold p99 at 10,000: 2.15 → 1.87 ms; at 100,000: 20.3 → 16.3 ms |
| Slash p99 at 10,000 resources: full GC passes over the search cache (1,024 cached rankings, each a lazy heap over all of a query's hits) | the ranked-query cache keeps 128 queries (`_CACHE_SIZE` in `bot/core/search.py`) | one repetition each, same session: p99 at concurrency 32 102 ms → 50 ms (5.56× → 3.11× bare); throughput unchanged (0.39×) |
| Digest fan-out: 284 replies answered 429 (the per-channel second counted from the planned send, not from Slack's receipt) | `bot/digest.py` `Pacer.answered`: the interval counts from Slack's answer | 1,000 channels: 28.2 s (1.48× floor) → 22.0 s (1.16×), 0 429s |
| 16 subscribes at once on SQLite: writers waiting in SQLite's busy handler (sleeps in growing steps, up to 100 ms), a failed INSERT then a second transaction on every re-subscribe, the row read again twice, a new aiohttp session per Web API call (cProfile; per-phase timers) | `bot/store/engine.py` `writing()`: one writer at a time in-process (asyncio lock) with BEGIN IMMEDIATE; `subscriptions.subscribe` is one transaction (`INSERT … ON CONFLICT DO NOTHING RETURNING`, else `UPDATE … RETURNING`) and the answer reuses the row; one shared aiohttp session | benchmark 5, one fresh server each, before/after interleaved on a machine shared with other jobs (load average ~5 on 2 CPUs): p99 new 736 / 850 → 357 / 632 ms, re-subscribe 785 / 778 → 689 / 621 ms; the store's subscribe alone 8.0 → 3.3 ms (new), 18.7 → 3.1 ms (again); server CPU per subscribe 9.4 → ~7 ms |

## What still stands in the way

Benchmark 1 at 10,000 resources and concurrency 32. py-spy (200 Hz) on `serve` under that
load, after the changes above: `SearchIndex.search` is 48% of the server's CPU (ranking queries
it has not cached: `_rank` → `_ranked`, `_relevance`), Bolt's request parsing and dispatch
plus aiohttp about 30%, JSON and Block Kit about 7%. The bare app is not CPU-bound at all (see
*Reading the table*): its throughput is 32 requests per Bolt 10 ms `ack()` poll. Turning the
garbage collector off entirely (an experiment, not shipped) lifts `serve` to ~1,380 requests/s
with p99 ~37 ms: the collector's passes over the search cache's lazy per-query heaps cost about
a fifth of the throughput. With every answer already cached the same server matches the bare
app's throughput (the cached-answers table in benchmark 1); its p99 then depends on whether a
full collection walks the search cache during the run (18 to 76 ms across our runs). Meeting
the targets with this query mix (about two thirds of the texts new to the server)
needs cold ranking at 10,000 resources about three times cheaper — e.g. scoring only each
term's best postings (a MaxScore/WAND-style cut) — and a search cache the collector need not
walk (compact page lists of ids instead of lazy iterator chains over per-query heaps): changes
to the ranking, for `bot/core/search.py`'s owner to weigh against the quality tests.

Tried and not kept: caching each query's first 50 (or 10) results as plain tuples cut slash p99
to 3.5× but made cold ranking slower (10,000-resource cold p99 1.68 → 1.99–2.37 ms, past the
search target in one run) without lowering CPU per request; raising the collector's gen-0
threshold in `serve` (50,000 or 20,000 allocations) gave no consistent gain and, with the large
cache, a 270–290 ms full-collection stall.
"""


def run_one(name: str, args: argparse.Namespace) -> tuple[Section, float]:
    out = args.workdir / f"{name}.json"
    out.unlink(missing_ok=True)
    argv = [sys.executable, "-m", f"bench.{name}", "--reps", str(args.reps)]
    argv += ["--workdir", str(args.workdir / name), "--json", str(out)]
    if args.quick:
        argv.append("--quick")
    print(f"== bench.{name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=child_env(), check=True, stdout=subprocess.DEVNULL)
    return load_section(out), time.perf_counter() - started


def render(sections: list[tuple[Section, float]], args: argparse.Namespace, wall: float) -> str:
    info = machine()
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`, scripts in [`bench/`](../bench)) on"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; do not edit by hand. Each figure is the"
        f" median of {args.reps} repetitions with the (min–max) range in brackets unless a"
        " table says otherwise. Every baseline and floor is measured or computed in the same"
        " run, on the same machine, as the figure it is compared with.",
        "",
        *table(["machine", ""], [[k, v] for k, v in info.items()]),
        f"Total wall time of this run: {wall / 60:.1f} min"
        + " ("
        + ", ".join(f"{s.title.split(':')[0].split('.')[0]}. {t:.0f} s" for s, t in sections)
        + ").",
        "",
        "## Targets",
        "",
    ]
    rows = []
    for section, _ in sections:
        for t in section.targets:
            rows.append(
                [t.benchmark, t.what, t.measured, t.target, "met" if t.met else "**missed**"]
            )
    lines += table(["benchmark", "what", "measured", "target", ""], rows)
    lines.append(CHANGES)
    for section, _ in sections:
        lines.append(section.markdown())
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mlops-bench"))
    args = parser.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sections = [run_one(name, args) for name in BENCHMARKS if name in chosen]
    wall = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(sections, args, wall), encoding="utf-8")
    print(f"wrote {args.out} in {wall / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
