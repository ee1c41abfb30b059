"""Benchmark 4: peak RSS of an idle `mlops-bot serve` and the time from start to a healthy /healthz."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from bench.catalog_gen import write_content_dir
from bench.common import Config, script_main
from bench.servers import TimingSlack, start_bare, start_bot, wait_healthy
from bench.stats import Section, Spread, Target, peak_rss_mb, rss_mb, table
from bot.core.content import BUNDLED_CONTENT, load_catalog

BIG = 10_000
QUICK_BIG = 300
IDLE_S = 2.0
QUICK_IDLE_S = 0.2
TARGET_RSS_MB = 150
TARGET_HEALTHY_S = 3.0


async def _measure(config: Config) -> dict[str, list[tuple[float, float, float]]]:
    big = QUICK_BIG if config.quick else BIG
    big_dir = write_content_dir(config.workdir / f"content-{big}", big)
    kinds = {"bare": None, "real": BUNDLED_CONTENT, "big": big_dir}
    out: dict[str, list[tuple[float, float, float]]] = {k: [] for k in kinds}
    async with TimingSlack() as fake:
        for _ in range(config.reps):
            for key, content in kinds.items():
                name = f"footprint-{key}"
                if content is None:
                    server = start_bare(name, config.workdir, fake.api_url)
                else:
                    server = start_bot(name, config.workdir, fake.api_url, content)
                try:
                    healthy = await wait_healthy(server)
                    await asyncio.sleep(QUICK_IDLE_S if config.quick else IDLE_S)
                    pid = server.process.pid
                    out[key].append((healthy, peak_rss_mb(pid), rss_mb(pid)))
                finally:
                    server.stop()
                print(f"footprint {key}: {out[key][-1]}", file=sys.stderr, flush=True)
    return out


def run(config: Config) -> Section:
    big = QUICK_BIG if config.quick else BIG
    data = asyncio.run(_measure(config))
    real = len(load_catalog().resources)
    labels = {
        "bare": "bare Bolt app (baseline)",
        "real": f"`mlops-bot serve`, real catalog ({real:,})",
        "big": f"`mlops-bot serve`, generated catalog ({big:,})",
    }
    section = Section("4. Footprint: idle memory and time to healthy")
    section.add(
        "Method: `bench/footprint.py` starts each server as a fresh process (HTTP mode, the"
        " loopback fake Slack as its Web API, a new SQLite file), polls `GET /healthz` every"
        " 10 ms and records the time from `Popen` to the first 200 — this includes starting"
        " Python, imports, loading and validating the catalog, building the search index,"
        f" migrating the database and binding the port. It then leaves the server idle for"
        f" {IDLE_S:g} s and reads its peak RSS (`VmHWM`) and current RSS (`VmRSS`) from"
        " `/proc/<pid>/status`. The baseline is the bare Bolt app of benchmark 1 (same HTTP"
        f" stack, no catalog). Median of {config.reps} fresh starts, (min–max).",
        "",
    )
    bare_h = Spread.of(h for h, _, _ in data["bare"])
    bare_p = Spread.of(p for _, p, _ in data["bare"])
    rows = []
    for key, label in labels.items():
        h = Spread.of(x for x, _, _ in data[key])
        p = Spread.of(x for _, x, _ in data[key])
        r = Spread.of(x for _, _, x in data[key])
        rows.append(
            [
                label,
                h.fmt(2, " s"),
                p.fmt(0, " MB"),
                r.fmt(0, " MB"),
                f"{h.median / bare_h.median:.1f}× · {p.median / bare_p.median:.1f}×",
            ]
        )
    section.add(
        *table(
            [
                "server",
                "start → healthy /healthz",
                "peak RSS (idle)",
                "RSS (idle)",
                "time ÷ bare · peak RSS ÷ bare",
            ],
            rows,
        )
    )
    healthy = Spread.of(h for h, _, _ in data["big"])
    peak = Spread.of(p for _, p, _ in data["big"])
    section.targets += [
        Target(
            "4 footprint",
            f"peak RSS of idle serve, {big:,} resources",
            peak.fmt(0, " MB"),
            f"< {TARGET_RSS_MB} MB",
            peak.median < TARGET_RSS_MB,
        ),
        Target(
            "4 footprint",
            f"start → healthy /healthz, {big:,} resources",
            healthy.fmt(2, " s"),
            f"< {TARGET_HEALTHY_S:g} s",
            healthy.median < TARGET_HEALTHY_S,
        ),
    ]
    return section


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
