"""Cold ranking against release 0.1 (commit 10ab482) and tantivy's BM25, in one run.

Both `SearchIndex`es are built on the same synthetic catalog; each query of the mix is then
ranked cold (the ranked-query cache cleared) by ours and by 0.1's, back to back and in
alternating order, so both see the same machine at the same moment and every figure is a
ratio measured in the same run. tantivy (PyPI `tantivy`, the `bench` extra) indexes the same
fields (title, tags, summary, boosted 3/2/1 like our BM25F) in memory and answers the same
texts as a reference for what a compiled engine costs; it is skipped if not installed.
"""

from __future__ import annotations

import gc
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench import baseline
from bench.catalog_gen import synthetic_catalog
from bench.queries import mixed_queries
from bench.stats import percentile
from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.core.search import SearchIndex
from bot.core.terms import clean_query

WARM_PASSES = 1  # one untimed pass first: both indexes fill their lazily built term tables
_WORD = re.compile(r"[^\W_]+")


@dataclass
class Compared:
    size: int
    queries: int
    ours_build: float
    base_build: float
    ours: list[float]  # ms per cold query
    base: list[float]
    tantivy: list[float] | None
    tantivy_build: float | None

    def ratio(self, stat: str) -> float:
        return _stat(self.base, stat) / max(1e-9, _stat(self.ours, stat))


def _stat(values: list[float], stat: str) -> float:
    if stat == "mean":
        return sum(values) / len(values)
    return percentile(values, float(stat.lstrip("p")))


def _cold(index: object, query: str) -> float:
    index._cache.clear()  # type: ignore[attr-defined]
    start = time.perf_counter()
    index.search(query, limit=5)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) * 1000


def _build(cls: type, catalog: Catalog) -> tuple[object, float]:
    gc.collect()
    start = time.perf_counter()
    index = cls.build(catalog)
    return index, time.perf_counter() - start


def compare(size: int, n_queries: int, builds: int = 2) -> Compared | None:
    """Build both indexes `builds` times (alternating) and time the mix cold on the last."""
    release = baseline.load()
    if release is None:
        return None
    catalog = synthetic_catalog(size, load_catalog())
    queries = mixed_queries(catalog, n_queries)
    ours_builds, base_builds = [], []
    ours = base = None
    for _ in range(builds):
        base, took = _build(release.SearchIndex, catalog)
        base_builds.append(took)
        ours, took = _build(SearchIndex, catalog)
        ours_builds.append(took)
    gc.collect()
    gc.freeze()
    try:
        for _ in range(WARM_PASSES):
            for query in queries:
                _cold(ours, query)
                _cold(base, query)
        ours_ms, base_ms = [], []
        for n, query in enumerate(queries):
            if n % 2:
                ours_ms.append(_cold(ours, query))
                base_ms.append(_cold(base, query))
            else:
                base_ms.append(_cold(base, query))
                ours_ms.append(_cold(ours, query))
    finally:
        gc.unfreeze()
    tantivy_ms, tantivy_build = _tantivy(catalog, queries)
    return Compared(
        size=len(catalog.resources),
        queries=len(queries),
        ours_build=sorted(ours_builds)[len(ours_builds) // 2],
        base_build=sorted(base_builds)[len(base_builds) // 2],
        ours=ours_ms,
        base=base_ms,
        tantivy=tantivy_ms,
        tantivy_build=tantivy_build,
    )


def _tantivy(catalog: Catalog, queries: Sequence[str]) -> tuple[list[float] | None, float | None]:
    try:
        import tantivy
    except ImportError:
        return None, None
    builder = tantivy.SchemaBuilder()
    for name in ("title", "tags", "summary"):
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema = builder.build()
    start = time.perf_counter()
    index = tantivy.Index(schema)
    writer = index.writer()
    for resource in catalog.resources.values():
        writer.add_document(
            tantivy.Document(
                id=resource.id,
                title=resource.title,
                tags=" ".join(resource.tags),
                summary=resource.summary,
            )
        )
    writer.commit()
    index.reload()
    took = time.perf_counter() - start
    searcher = index.searcher()
    boosts = {"title": 3.0, "tags": 2.0, "summary": 1.0}
    out = []
    for raw in queries:
        text = " ".join(_WORD.findall(clean_query(raw)))
        start = time.perf_counter()
        if text:
            query = index.parse_query(text, ["title", "tags", "summary"], field_boosts=boosts)
            searcher.search(query, 5)
        out.append((time.perf_counter() - start) * 1000)
    return out, took


def main(argv: Sequence[str] | None = None) -> int:
    sizes = [int(a) for a in (argv or sys.argv[1:])] or [10_000]
    for size in sizes:
        r = compare(size, 2000 if size < 100_000 else 1000)
        if r is None:
            print("release 0.1 not available from git", file=sys.stderr)
            return 1
        print(
            f"{r.size:,} resources, {r.queries} queries: cold mean {_stat(r.ours, 'mean'):.3f} ms"
            f" vs 0.1 {_stat(r.base, 'mean'):.3f} ms ({r.ratio('mean'):.2f}x cheaper),"
            f" p99 {_stat(r.ours, 'p99'):.3f} vs {_stat(r.base, 'p99'):.3f} ms"
            f" ({r.ratio('p99'):.2f}x); build {r.ours_build:.2f} s vs {r.base_build:.2f} s"
            + (
                f"; tantivy mean {_stat(r.tantivy, 'mean'):.3f} ms p99"
                f" {_stat(r.tantivy, 'p99'):.3f} ms"
                if r.tantivy
                else ""
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
