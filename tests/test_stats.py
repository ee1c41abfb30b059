"""`/mlops stats`, the search log behind it and `mlops-bot stats`: lessons and their threads
over 8 weeks, the top topics and the searches that found nothing; no user ids are ever kept,
MLOPS_SEARCH_LOG=off keeps nothing and MLOPS_SEARCH_LOG_DAYS bounds what is kept."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.catalog import Catalog
from bot.core.stats import normalise_query
from bot.features import stats
from bot.store import search_log
from bot.store.schema import search_log as table
from tests.cli.test_cli import run
from tests.conftest import BotServer, boot_bot
from tests.digest_helpers import Sleeps, digest, lesson_roots, subscribe
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_search_commands import all_text
from tests.slack.test_subscribe import text_of

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)  # a Wednesday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _rows(bot: BotServer) -> list[dict[str, object]]:
    async with bot.services.engine.connect() as conn:
        return [dict(r._mapping) for r in (await conn.execute(select(table))).all()]


def test_queries_are_normalised_without_mentions() -> None:
    assert normalise_query("  <@U999> Pizza   OVEN!! ") == "pizza oven"
    assert normalise_query("<https://x.example/a|link> CI/CD for ML?") == "ci/cd for ml"
    assert normalise_query("ＭＬflow") == "mlflow"
    assert len(normalise_query("x" * 500)) == 200


async def test_stats_shows_what_people_searched_for_and_did_not_find(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW) as bot:
        await bot.slash("pizza oven", user_id="U222")
        await bot.slash("Pizza   OVEN!", user_id="U333")
        await bot.slash("<@U999> pizza oven", user_id="U444")
        await bot.slash("zzqx blorfle", user_id="U222")
        await bot.slash("model serving", user_id="U222")
        await bot.slash("serving", user_id="U333")
        text = text_of(await bot.slash("stats", user_id="U555"))
        assert "Searched for and not found" in text
        assert "“pizza oven” ×3" in text and "“zzqx blorfle” ×1" in text
        assert "serving ×2" in text and "(6 searches in all)" in text
        assert "No lessons were posted in <#C111>" in text

        rows = await _rows(bot)
        assert set(rows[0]) == {"id", "team_id", "day", "query", "topic", "matched"}
        assert len(rows) == 6  # `stats` itself is a command, not a search
        dumped = json.dumps(rows, default=str)
        for user in ("U222", "U333", "U444", "U555", "U999", "C111"):
            assert user not in dumped
        assert {r["day"] for r in rows} == {NOW.date()}


async def test_search_log_off_keeps_nothing(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW, search_log=False) as bot:
        await bot.slash("pizza oven")
        await bot.slash("serving")
        assert await _rows(bot) == []
        assert "Search logging is off" in all_text(await bot.slash("stats"))


def test_search_log_setting_reads_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    monkeypatch.setenv("MLOPS_SEARCH_LOG", "off")
    monkeypatch.setenv("MLOPS_SEARCH_LOG_DAYS", "30")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.search_log is False and settings.search_log_days == 30


async def test_retention_prunes_what_is_older_than_the_setting(
    tmp_path: Path, catalog: Catalog
) -> None:
    clock = Clock(NOW)
    async with boot_bot(tmp_path, catalog, None, clock=clock, search_log_days=30) as bot:
        engine = bot.services.engine
        for days_ago in (45, 31, 30, 2):
            await search_log.record(
                engine, team_id="T111", day=(NOW - timedelta(days=days_ago)).date(),
                query=f"q{days_ago}", topic=None, matched=False,
            )  # fmt: skip
        assert await stats.prune_search_log(bot.services) == 2
        assert sorted(str(r["query"]) for r in await _rows(bot)) == ["q2", "q30"]
        clock.now = NOW + timedelta(days=1)
        assert await stats.prune_search_log(bot.services) == 1
        jobs = {job.id: job for job in stats.FEATURE.jobs}
        assert jobs[stats.PRUNE_JOB].every is not None
        assert jobs[stats.PRUNE_JOB].every(bot.services.settings) == 24 * 3600
        assert stats.PRUNE_AT_START_JOB in jobs


async def test_a_logging_failure_never_breaks_search(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(search_log, "record", broken)
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW) as bot:
        answer = await bot.slash("serving")
        assert "serving" in text_of(answer).lower() and "went wrong" not in text_of(answer)


async def test_lessons_replies_and_repliers_over_eight_weeks(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    monday = datetime(2025, 3, 10, 10, tzinfo=UTC)
    clock = Clock(monday + timedelta(days=1))
    async with boot_bot(tmp_path, catalog, fake_slack, clock=clock) as bot:
        await subscribe(bot.services, "C111", "mon", "10:00", "UTC", NOW)
        await digest(bot.services, Sleeps()).run_pass(monday)
        [root] = lesson_roots(fake_slack, "C111")
        for user in ("U1", "U2", "U1"):
            fake_slack.add_message("C111", "we do it like this", thread_ts=root["ts"], user=user)
        text = text_of(await bot.slash("stats"))
        assert "1 lesson(s) posted in <#C111>" in text
        assert "lesson 1, *Setting up ML projects* — 3 replies from 2 people" in text

        out = argparse.Namespace(team="T111", channel="C111", json=True)
        assert await stats.cmd_stats(out, bot.services) == 0
        # Nine weeks later the lesson is out of the window.
        clock.now = monday + timedelta(weeks=9)
        assert "No lessons were posted" in text_of(await bot.slash("stats"))


async def test_cli_prints_the_same_figures_as_json(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    async with boot_bot(tmp_path, catalog, fake_slack, clock=lambda: NOW) as bot:
        await bot.slash("pizza oven")
        capsys.readouterr()
        args = argparse.Namespace(team="T111", channel="C111", json=True)
        assert await stats.cmd_stats(args, bot.services) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["not_found"] == [{"query": "pizza oven", "count": 1}]
        assert document["lessons"] == [] and document["weeks"] == 8
        args.json = False
        assert await stats.cmd_stats(args, bot.services) == 0
        assert "pizza oven  1" in capsys.readouterr().out


def test_mlops_bot_stats_is_a_top_level_command(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = run("stats", "--team", "T111", "--channel", "C111", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["channel"] == "C111"
    assert run("stats", env=env).returncode == 2  # --team and --channel are required


async def test_searches_are_buffered_and_written_by_the_flush_job(tmp_path, catalog):  # type: ignore[no-untyped-def]
    """A search never waits on a database write: rows wait in memory for the flush job."""
    from sqlalchemy import func, select

    from bot.features import stats as stats_feature
    from bot.store.schema import search_log as table
    from tests.conftest import boot_bot

    async with boot_bot(tmp_path, catalog, http=False, offline=True) as server:
        console = server.console()
        await console.handle("/mlops taco tuesday")
        await console.handle("/mlops serving")

        async def rows() -> int:
            async with server.services.engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(table))).scalar())

        assert await rows() == 0 and len(server.services.search_log_pending) == 2
        flush = next(
            j for f in server.bot.features for j in f.jobs if j.id == stats_feature.FLUSH_JOB
        )
        await flush.run(server.services)
        assert await rows() == 2 and server.services.search_log_pending == []
        await console.handle("/mlops monitoring")
    # The lifespan's stop hook writes what was still pending.
    from bot.store.engine import create_engine
    from tests.conftest import make_settings

    engine = create_engine(make_settings(tmp_path).database_url)
    async with engine.connect() as conn:
        assert int((await conn.execute(select(func.count()).select_from(table))).scalar()) == 3
    await engine.dispose()
