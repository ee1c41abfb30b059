"""Link health end to end: `mlops-bot links check` against loopback servers, dead links leave
answers and lesson posts after three bad days, come back when fixed, and are reported with the
content file and line to edit."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.features import links
from tests.conftest import BotServer, boot_bot
from tests.fakes.pages import LinkServer
from tests.fakes.slack_api import FakeSlack

PATHS = ("/ok", "/gone404", "/flaky", "/p301", "/nohead", "/gone410")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def write_content(root: Path, site: LinkServer) -> Path:
    """A one-topic catalog whose resources live on the loopback link server, and one lesson."""
    resources = [
        {
            "id": f"res-{i}",
            "title": f"Canary guide part {i}",
            "url": site.url(path),
            "kind": "article" if i < 4 else "tool",
            "topics": ["deployment"],
            "summary": f"Part {i} of a guide on canary releases for model services.",
        }
        for i, path in enumerate(PATHS)
    ]
    topic = {
        "id": "deployment",
        "name": "Model deployment",
        "description": "Shipping models to production safely.",
        "aliases": ["deployment", "canary"],
        "start_here": ["res-0", "res-1"],
    }
    (root / "topics").mkdir(parents=True)
    (root / "topics" / "deployment.yml").write_text(
        yaml.safe_dump({"topic": topic, "resources": resources}, sort_keys=False)
    )
    (root / "lessons").mkdir()
    meta = {
        "order": 1,
        "title": "Canary releases",
        "topics": ["deployment"],
        "resources": [
            {"id": "res-0", "note": "The basics."},
            {"id": "res-1", "note": "A gone page."},
            {"id": "res-2", "note": "A flaky page."},
        ],
        "exercise": "Roll out a model to one percent of traffic.",
        "question": "How do you roll back?",
        "quiz": [
            {
                "id": f"q{n}",
                "question": "What does a canary limit?",
                "options": [
                    {"text": "The blast radius", "correct": True, "explain": "Few users see it."},
                    {"text": "The model size", "explain": "Unrelated."},
                    {"text": "The bill", "explain": "Not its point."},
                ],
            }
            for n in (1, 2)
        ],
    }
    body = " ".join(["Ship the new model to a small slice of traffic first."] * 20)
    (root / "lessons" / "01-canary.md").write_text(
        f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n{body}\n"
    )
    return root


@pytest.fixture
async def site() -> AsyncIterator[LinkServer]:
    async with LinkServer() as server:
        server.flaky_failures = 100
        yield server


async def _check(server: BotServer) -> links.CheckSummary:
    return await links.check_links(
        server.services, links.urls_to_check(server.services), per_host_delay=0
    )


def _answer_urls(server: BotServer, query: str) -> set[str]:
    return {hit.resource.url for hit in server.services.index.search(query, limit=10).hits}


async def test_dead_after_three_bad_days_gone_from_answers_and_back_when_fixed(
    tmp_path: Path, site: LinkServer, fake_slack: FakeSlack
):
    content = write_content(tmp_path / "content", site)
    catalog: Catalog = load_catalog(content)
    clock = Clock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    async with boot_bot(
        tmp_path, catalog, fake_slack, http=False, clock=clock,
        content_dir=content, fetch_allow_hosts=site.origin,
    ) as server:  # fmt: skip
        gone, flaky = site.url("/gone404"), site.url("/flaky")
        for _day in range(2):
            summary = await _check(server)
            assert summary.newly_dead == []
            assert gone in _answer_urls(server, "canary guide")
            clock.now += timedelta(hours=3)  # a second check the same day counts once
            await _check(server)
            clock.now += timedelta(days=1) - timedelta(hours=3)
        assert gone in _answer_urls(server, "canary guide")  # two bad days: still shown
        summary = await _check(server)
        assert sorted(summary.newly_dead) == sorted([gone, site.url("/gone410")])
        assert flaky not in summary.newly_dead  # 500s are never enough
        assert gone not in _answer_urls(server, "canary guide")
        assert flaky in _answer_urls(server, "canary guide")
        # A lesson post shows its remaining resources.
        from bot.blocks.lessons import resource_lines

        lines = "\n".join(
            resource_lines(server.services.catalog.lessons[0], server.services.catalog)
        )
        assert gone not in lines and site.url("/ok") in lines

        report = await links.report(server.services)
        dead = {ln.url: ln for ln in report if ln.problem == "dead"}
        assert gone in dead and "deployment.yml:" in dead[gone].where
        moved = [ln for ln in report if ln.problem == "moved"]
        assert [ln.url for ln in moved] == [site.url("/p301")]
        assert site.url("/ok") in moved[0].detail

        # The page is fixed: the next check brings it back into answers.
        site_fixed = site.url("/gone404")
        from bot.store import links as store

        rows = await store.all_rows(server.services.engine)
        assert rows[site_fixed].state.dead
        site.requests.clear()
        clock.now += timedelta(days=1)
        original = LinkServer._answer

        async def fixed(self: LinkServer, request):  # type: ignore[no-untyped-def]
            if request.path == "/gone404":
                from aiohttp import web

                return web.Response(text="back")
            return await original(self, request)

        LinkServer._answer = fixed  # type: ignore[method-assign]
        try:
            summary = await _check(server)
        finally:
            LinkServer._answer = original  # type: ignore[method-assign]
        assert gone in summary.revived
        assert gone in _answer_urls(server, "canary guide")
        assert all("mlops-bot" in ua for _m, _p, ua, _t in site.requests)


async def test_cli_check_and_report(tmp_path: Path, site: LinkServer, capsys):  # type: ignore[no-untyped-def]
    content = write_content(tmp_path / "content", site)
    async with boot_bot(
        tmp_path, load_catalog(content), http=False, content_dir=content,
        fetch_allow_hosts=site.origin,
    ) as server:  # fmt: skip
        args = argparse.Namespace(topic="deployment", concurrency=2, delay=0.0)
        assert await links.cmd_check(args, server.services) == 0
        out = capsys.readouterr().out
        assert "checked 6" in out and "moved:" in out
        assert await links.cmd_report(argparse.Namespace(json=True), server.services) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and rows[0]["problem"] == "moved"
        bad = argparse.Namespace(topic="nope", concurrency=1, delay=0.0)
        assert await links.cmd_check(bad, server.services) == 2


async def test_weekly_job_reports_changes_to_the_review_channel(
    tmp_path: Path, site: LinkServer, fake_slack: FakeSlack
):
    content = write_content(tmp_path / "content", site)
    clock = Clock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    async with boot_bot(
        tmp_path, load_catalog(content), fake_slack, http=False, clock=clock,
        content_dir=content, fetch_allow_hosts=site.origin, review_channel="CREVIEW",
        link_check_delay=0,
    ) as server:  # fmt: skip
        job = next(j for f in server.bot.features for j in f.jobs if j.id == links.JOB_ID)
        assert job.every is not None and job.every(server.services.settings) == links.WEEK_SECONDS
        await job.run(server.services)  # first check: a moved link is news
        posted = fake_slack.posted("CREVIEW")
        assert posted and "Link check" in str(posted[-1])
        before = len(fake_slack.posted("CREVIEW"))
        await job.run(server.services)  # same day, nothing new
        assert len(fake_slack.posted("CREVIEW")) == before
