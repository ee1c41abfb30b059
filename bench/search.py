"""Benchmark 2: search index build time and query latency at growing catalog sizes."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence

from bench import search_compare
from bench.catalog_gen import synthetic_catalog
from bench.common import Config, script_main
from bench.queries import mixed_queries
from bench.stats import Section, Spread, Target, percentile, rss_mb, table
from bot.core.content import load_catalog
from bot.core.search import SearchIndex

SIZES = (300, 1582, 10_000, 100_000)
QUICK_SIZES = (300, 1000)
QUERIES = 2000
QUERIES_AT_100K = 1000  # keeps `make bench` inside its budget; still the minimum
QUICK_QUERIES = 100
WARM_QUERIES = 500  # fewer distinct queries than the index caches, so all of them are hits
# Issue 10: cold ranking at these sizes at least this many times cheaper than release 0.1's,
# measured in the same run (bench/search_compare.py), and the index build no slower.
COMPARE_SIZES = (10_000, 100_000)
QUICK_COMPARE_SIZES = (1000,)
CHEAPER_TARGET = 3.0
# Targets from the issue: (size, p99 ms) and (size, build s).
P99_TARGETS = {10_000: 2.0, 100_000: 20.0}
BUILD_TARGETS = {10_000: 2.0}


def _forget(index: SearchIndex) -> None:
    """Drop the ranked-list cache so the next query is ranked from scratch."""
    cache = getattr(index, "_cache", None)
    if cache is not None:
        cache.clear()


def time_queries(index: SearchIndex, queries: Sequence[str], cold: bool) -> list[float]:
    """Milliseconds per `search(q, limit=5)`; cold clears the ranked-list cache first."""
    out = []
    clock = time.perf_counter
    for query in queries:
        if cold:
            _forget(index)
        start = clock()
        index.search(query, limit=5)
        out.append((clock() - start) * 1000)
    return out


def measure(size: int, reps: int, n_queries: int) -> dict[str, Spread | int | float]:
    """Build the index `reps` times and run the query mix cold and warm on each build."""
    real = load_catalog()
    catalog = synthetic_catalog(size, real)
    queries = mixed_queries(catalog, n_queries)
    builds, p50s, p99s, maxes, warm_p99s, rss_after = [], [], [], [], [], []
    for _ in range(reps):
        gc.collect()
        before = rss_mb()
        start = time.perf_counter()
        index = SearchIndex.build(catalog)
        builds.append(time.perf_counter() - start)
        rss_after.append(rss_mb() - before)
        gc.collect()
        gc.freeze()  # as `mlops-bot serve` does once the catalog and index are loaded
        cold = time_queries(index, queries, cold=True)
        p50s.append(percentile(cold, 50))
        p99s.append(percentile(cold, 99))
        maxes.append(max(cold))
        repeated = queries[:WARM_QUERIES]
        time_queries(index, repeated, cold=False)  # fill the cache
        warm = time_queries(index, repeated, cold=False)
        warm_p99s.append(percentile(warm, 99))
        gc.unfreeze()
        del index
    return {
        "size": len(catalog.resources),
        "distinct": len(set(queries)),
        "build": Spread.of(builds),
        "p50": Spread.of(p50s),
        "p99": Spread.of(p99s),
        "max": Spread.of(maxes),
        "warm_p99": Spread.of(warm_p99s),
        # Later builds reuse memory the previous one freed, so only the first one shows.
        "mem": Spread.of(rss_after[:1]),
    }


def run(config: Config) -> Section:
    sizes = QUICK_SIZES if config.quick else SIZES
    n_queries = QUICK_QUERIES if config.quick else QUERIES
    section = Section("2. Search: index build and query latency")
    rows: list[list[str]] = []
    results = []
    for size in sizes:
        r = measure(size, config.reps, QUERIES_AT_100K if size >= 100_000 else n_queries)
        results.append(r)
        print(f"search {size}: {r}", file=sys.stderr, flush=True)
        rows.append(
            [
                f"{r['size']:,}",
                r["build"].fmt(3, " s"),  # type: ignore[union-attr]
                r["p50"].fmt(3),  # type: ignore[union-attr]
                r["p99"].fmt(3),  # type: ignore[union-attr]
                r["max"].fmt(2),  # type: ignore[union-attr]
                r["warm_p99"].fmt(3),  # type: ignore[union-attr]
                r["mem"].fmt(0, " MB"),  # type: ignore[union-attr]
            ]
        )
    base = results[0]
    for row, r in zip(rows, results, strict=True):
        build = r["build"].median / base["build"].median  # type: ignore[union-attr]
        p99 = r["p99"].median / base["p99"].median  # type: ignore[union-attr]
        row.append(f"{build:.0f}× · {p99:.1f}×")
    first = results[0]
    section.add(
        "Method: `bench/search.py` builds each catalog in memory (`bench/catalog_gen.py`: the"
        " real topics and resources plus recombinations of real titles, summaries and tags),"
        f" then times `SearchIndex.build(catalog)` and {n_queries:,} `search(q, limit=5)` calls"
        f" ({QUERIES_AT_100K:,} at 100,000 resources; {first['distinct']:,} distinct texts at"
        " the smallest size, mixed in `bench/queries.py` from topic names, synonyms incl."
        " Chinese, typos, free-text questions, tool names and titles, no-match text and"
        " help/topics) in this process with `time.perf_counter`. **Cold** clears the"
        " ranked-list cache before every query, so each one is ranked from scratch: the figure"
        f" the targets apply to. **Warm** runs the first {WARM_QUERIES} queries twice and times"
        " the second pass, when every answer is cached (what a repeated query costs). As in"
        " `serve`, the catalog and index are frozen out of the garbage collector's passes"
        f" (`gc.freeze()`) once built. Every figure is the median over {config.reps} fresh"
        " index builds, (min–max) in brackets. Memory is the growth of this process's RSS"
        " during the first build of each size (later builds reuse freed memory). The baseline for growth is the"
        f" smallest catalog ({base['size']:,} resources).",
        "",
    )
    section.add(
        *table(
            [
                "resources",
                "index build",
                "cold p50 ms",
                "cold p99 ms",
                "cold max ms",
                "warm p99 ms",
                "index RSS (first build)",
                f"build · cold p99 ÷ {base['size']:,}",
            ],
            rows,
        )
    )
    section.add(*_growth(results))
    _against_release(section, config)
    for r in results:
        size = int(r["size"])
        p99: Spread = r["p99"]  # type: ignore[assignment]
        build: Spread = r["build"]  # type: ignore[assignment]
        if size in P99_TARGETS:
            limit = P99_TARGETS[size]
            section.targets.append(
                Target(
                    "2 search",
                    f"query p99 at {size:,} resources",
                    p99.fmt(3, " ms"),
                    f"< {limit:g} ms",
                    p99.median < limit,
                )
            )
        if size in BUILD_TARGETS:
            limit = BUILD_TARGETS[size]
            section.targets.append(
                Target(
                    "2 search",
                    f"index build at {size:,} resources",
                    build.fmt(3, " s"),
                    f"< {limit:g} s",
                    build.median < limit,
                )
            )
    return section


def _against_release(section: Section, config: Config) -> None:
    """Cold ranking and index build against release 0.1 and tantivy, in this same run."""
    sizes = QUICK_COMPARE_SIZES if config.quick else COMPARE_SIZES
    rows = []
    compared = []
    for size in sizes:
        n = QUICK_QUERIES if config.quick else (QUERIES_AT_100K if size >= 100_000 else QUERIES)
        r = search_compare.compare(size, n, builds=1 if config.quick else 3)
        if r is None:
            section.add("Release 0.1 could not be read from git: no comparison in this run.", "")
            return
        compared.append(r)
        print(f"search vs 0.1 at {size}: {r.ratio('mean'):.2f}x", file=sys.stderr, flush=True)
        mean = search_compare._stat
        tantivy = (
            f"{mean(r.tantivy, 'mean'):.3f} / {mean(r.tantivy, 'p99'):.3f}"
            f" (build {r.tantivy_build:.2f} s)"
            if r.tantivy and r.tantivy_build is not None
            else "not installed"
        )
        rows.append(
            [
                f"{r.size:,}",
                f"{mean(r.ours, 'mean'):.3f} / {mean(r.base, 'mean'):.3f}",
                f"**{r.ratio('mean'):.2f}×**",
                f"{mean(r.ours, 'p50'):.3f} / {mean(r.base, 'p50'):.3f}",
                f"{mean(r.ours, 'p99'):.3f} / {mean(r.base, 'p99'):.3f}",
                f"**{r.ratio('p99'):.2f}×**",
                f"{r.ours_build:.2f} / {r.base_build:.2f} s",
                tantivy,
            ]
        )
    section.add(
        "**Against release 0.1 (issue 10).** `bench/search_compare.py` reads 0.1's"
        " `bot/core/search.py` and `text.py` from git (commit 10ab482, `bench/baseline.py`),"
        " builds both indexes on the same generated catalog (alternately, median of the"
        " builds; the spell-checker word lists ours reads are loaded once per process, by the"
        " first build of the table above), warms both with one untimed pass, then ranks every"
        " query of the mix cold"
        " (cache cleared) with both, back to back in alternating order, so both ratios come"
        " from the same moments of the same machine. tantivy indexes title, tags and summary"
        " (boosts 3/2/1, English stemming) in memory and answers the same texts: a compiled"
        " engine's cost, for reference (no topics, typos, languages or evidence).",
        "",
        *table(
            [
                "resources",
                "cold mean ms (ours / 0.1)",
                "cheaper (mean)",
                "cold p50 ms",
                "cold p99 ms",
                "cheaper (p99)",
                "index build (ours / 0.1)",
                "tantivy mean / p99 ms",
            ],
            rows,
        ),
    )
    for r in compared:
        section.targets.append(
            Target(
                "2 search",
                f"cold ranking vs 0.1 at {r.size:,} resources (mean)",
                f"{r.ratio('mean'):.2f}× cheaper",
                f"≥ {CHEAPER_TARGET:g}×",
                r.ratio("mean") >= CHEAPER_TARGET,
            )
        )
        section.targets.append(
            Target(
                "2 search",
                f"index build vs 0.1 at {r.size:,} resources",
                f"{r.ours_build:.2f} s vs {r.base_build:.2f} s",
                "no slower (within 5%)",
                r.ours_build <= 1.05 * r.base_build,
            )
        )


def _growth(results: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """How build time, latency and memory scale from the smallest to the largest size."""
    if len(results) < 2:
        return []
    lo, hi = results[0], results[-1]
    factor = hi["size"] / lo["size"]
    build = hi["build"].median / lo["build"].median
    per_lo = lo["build"].median / lo["size"] * 1e6
    per_hi = hi["build"].median / hi["size"] * 1e6
    p50 = hi["p50"].median / lo["p50"].median
    p99 = hi["p99"].median / lo["p99"].median
    kb = hi["mem"].median * 1024 / hi["size"]
    return [
        f"**How cost grows.** From {lo['size']:,} to {hi['size']:,} resources ({factor:.0f}×"
        f" more) the index build grows {build:.0f}× ({per_lo:.0f} → {per_hi:.0f} µs per"
        " resource: every resource is tokenised and posted once, so it is linear up to the"
        f" allocator and dictionary growth), cold median latency grows {p50:.1f}× and cold p99"
        f" {p99:.1f}×, and the index takes about {kb:.1f} KB per resource at the largest size."
        " Query cost grows far slower than the catalog because a query reads only the posting"
        " lists of its own words and precomputed per-topic lists, never every resource; what"
        " grows is the number of text hits a query scores. The tail is long free-text and"
        " title queries (e.g. “best way to learn ML project template …”) whose common words"
        " match thousands of resources at 10,000 and beyond, each of which is scored.",
        "",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
