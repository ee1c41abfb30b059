"""Link health: check every catalog and community URL, keep dead ones out of answers and posts.

`mlops-bot links check` (and a weekly job in `serve`, off with MLOPS_LINK_CHECK=off) runs the
SSRF-safe link checker (`bot/links.py`) politely over every URL, stores each result, and
applies the pure rules of `bot/core/link_health.py`: a link is dead after three failures on
different days (404, 410, DNS failure, refused); a 5xx, timeout or 429 never counts. Dead
resources leave the search index and lesson posts until a later check passes again.
`mlops-bot links report` lists dead and moved links with the content file and line to edit.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot import blocks
from bot.core.link_health import LinkResult, LinkState, Outcome, next_state
from bot.core.models import Resource
from bot.features.admin import review_channels
from bot.links import LinkChecker, Progress
from bot.logs import bind
from bot.router import CliCommand, Feature, Job
from bot.services import Services
from bot.store import links as store

logger = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600.0
JOB_ID = "links:weekly"
REFRESH_SECONDS = 600.0


@dataclass
class CheckSummary:
    checked: int = 0
    ok: int = 0
    failing: int = 0  # counted a dead-signal failure this time (not dead yet)
    transient: int = 0
    refused: int = 0
    newly_dead: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    newly_moved: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.newly_dead or self.revived or self.newly_moved)

    def line(self) -> str:
        return (
            f"checked {self.checked}: {self.ok} ok, {self.failing} failing, {self.transient}"
            f" transient (5xx, timeout, 429), {self.refused} refused; newly dead"
            f" {len(self.newly_dead)}, back {len(self.revived)}, newly moved {len(self.newly_moved)}"
        )


def urls_to_check(services: Services, topic: str | None = None) -> list[str]:
    """Every catalog and approved community URL (one topic's with `topic`), each once."""
    seen: dict[str, None] = {}
    for resource in services.catalog.resources.values():
        if topic is None or topic in resource.topics:
            seen.setdefault(resource.url, None)
    return list(seen)


async def apply_dead_links(services: Services) -> tuple[list[Resource], list[Resource]]:
    """Make the catalog and search index match the stored dead links (every replica)."""
    died, revived = services.catalog.mark_dead(await store.dead_urls(services.engine))
    for resource in died:
        services.index.remove(resource.id)
    for resource in revived:
        services.index.add(resource)
    return died, revived


async def _hide_dead_links(services: Services) -> None:
    """Start-up hook: what earlier checks found dead stays out of answers after a restart."""
    await apply_dead_links(services)


async def check_links(
    services: Services,
    urls: Sequence[str],
    *,
    concurrency: int = 8,
    per_host_delay: float = 1.0,
    progress: Progress | None = None,
) -> CheckSummary:
    """Check `urls`, store every result and state, and apply dead links; report what changed."""
    checker = LinkChecker(
        services.fetcher,
        concurrency=concurrency,
        per_host_delay=per_host_delay,
        progress=progress,
    )
    before = await store.all_rows(services.engine)
    results = await checker.check_all(urls)
    now = services.clock()
    today = now.date()
    summary = CheckSummary(checked=len(results))
    for result in results:
        old = before.get(result.url)
        state = next_state(old.state if old else None, result, today)
        await store.save(services.engine, result, state, now)
        _count(summary, result, old.state if old else LinkState(), state)
    await apply_dead_links(services)
    return summary


def _count(summary: CheckSummary, result: LinkResult, old: LinkState, new: LinkState) -> None:
    if result.outcome is Outcome.OK:
        summary.ok += 1
    elif result.outcome is Outcome.DEAD_SIGNAL:
        summary.failing += 1
    elif result.outcome is Outcome.REFUSED:
        summary.refused += 1
    else:
        summary.transient += 1
    if new.dead and not old.dead:
        summary.newly_dead.append(result.url)
    if old.dead and not new.dead:
        summary.revived.append(result.url)
    if new.moved and new.final_url and new.final_url != old.final_url:
        summary.newly_moved.append((result.url, new.final_url))


# ------------------------------------------------------------------------------ report


@dataclass(frozen=True)
class ReportLine:
    url: str
    problem: str  # "dead" | "moved"
    where: str  # content file and line, or the community suggestion
    detail: str


def locate(content_dir: Path, urls: Iterable[str]) -> dict[str, str]:
    """`path:line` of each URL's `url:` line in content/topics (what a curator edits)."""
    wanted = set(urls)
    found: dict[str, str] = {}
    for path in sorted((content_dir / "topics").glob("*.y*ml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = line.strip()
            if not text.startswith("url:"):
                continue
            value = text[4:].strip().strip("'\"")
            if value in wanted and value not in found:
                found[value] = f"{path}:{number}"
    return found


async def report(services: Services) -> list[ReportLine]:
    rows = await store.all_rows(services.engine)
    interesting = {url: row for url, row in rows.items() if row.state.dead or row.state.moved}
    places = locate(services.settings.content_dir, interesting)
    lines = []
    for url, row in sorted(interesting.items()):
        resource = services.catalog.by_url(url)
        where = places.get(url) or (
            "community suggestion (approved in Slack)"
            if resource is not None and resource.community
            else "not in the catalog any more"
        )
        if row.state.dead:
            status = row.state.last_status or row.last_error or row.last_outcome
            detail = f"failing on {row.state.consecutive_failures} days, last: {status}"
            lines.append(ReportLine(url, "dead", where, detail))
        if row.state.moved and row.state.final_url:
            lines.append(ReportLine(url, "moved", where, f"now at {row.state.final_url}"))
    return lines


def report_text(lines: Sequence[ReportLine]) -> str:
    if not lines:
        return "No dead or moved links."
    return "\n".join(f"{ln.problem:5}  {ln.url}\n       {ln.where}  ({ln.detail})" for ln in lines)


def report_mrkdwn(summary: CheckSummary, lines: Sequence[ReportLine]) -> str:
    """The review channel's message after a weekly check that changed something."""
    parts = [f"*Link check:* {blocks.escape(summary.line())}."]
    for ln in lines[:20]:
        parts.append(
            f"• {ln.problem}: {blocks.escape(ln.url)} — {blocks.escape(ln.detail)}"
            f" (`{blocks.escape(ln.where)}`)"
        )
    if len(lines) > 20:
        parts.append(f"…and {len(lines) - 20} more: `mlops-bot links report`.")
    return "\n".join(parts)


# ------------------------------------------------------------------------------ entry points


async def weekly_check(services: Services) -> None:
    """Job: the weekly check in `serve`; tells the review channel when something changed."""
    if services.settings.link_check == "off":
        return
    summary = await check_links(
        services, urls_to_check(services), per_host_delay=services.settings.link_check_delay
    )
    logger.info("link check: %s", summary.line())
    if not summary.changed or services.slack is None:
        return
    targets = await review_channels(services)
    if not targets:
        return
    text = report_mrkdwn(summary, await report(services))
    for team, channel in targets:
        with bind(team=team or None):  # multi-workspace mode: that workspace's token
            await services.slack.post_review(
                channel, blocks.fallback(text), blocks.build_message(text)
            )


def _progress_bar() -> Progress | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


async def cmd_check(args: argparse.Namespace, services: Services) -> int:
    if args.topic and args.topic not in services.catalog.topics:
        print(f"unknown topic '{args.topic}'", file=sys.stderr)
        return 2
    urls = urls_to_check(services, args.topic)
    summary = await check_links(
        services,
        urls,
        concurrency=max(1, args.concurrency),
        per_host_delay=max(0.0, args.delay),
        progress=_progress_bar(),
    )
    print(summary.line())
    for url in summary.newly_dead:
        print(f"dead:  {url}")
    for url, final in summary.newly_moved:
        print(f"moved: {url} -> {final}")
    return 0


def _check_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", default=None, help="only this topic's resources")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    parser.add_argument(
        "--delay", type=float, default=1.0, help="seconds between two requests to one host"
    )


async def cmd_report(args: argparse.Namespace, services: Services) -> int:
    lines = await report(services)
    if args.json:
        print(json.dumps([ln.__dict__ for ln in lines], indent=2))
    else:
        print(report_text(lines))
    return 0


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")


def _weekly(settings: object) -> float:
    return WEEK_SECONDS


FEATURE = Feature(
    name="links",
    jobs=(
        Job(JOB_ID, weekly_check, every=_weekly),
        # Other replicas learn about a check's dead links within minutes.
        Job("links:refresh", _hide_dead_links, every=lambda _settings: REFRESH_SECONDS),
    ),
    cli=(
        CliCommand(
            "links", "check", "check every catalog and community link", cmd_check, _check_args
        ),
        CliCommand("links", "report", "list dead and moved links", cmd_report, _report_args),
    ),
    on_start=(_hide_dead_links,),
)
