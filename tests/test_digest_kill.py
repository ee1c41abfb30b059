"""`mlops-bot digest run` killed with SIGKILL mid-pass, then run again: exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.store import deliveries
from tests.digest_helpers import assert_exactly_once, digest_services, lesson_roots, subscribe
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOW = "2025-03-03T10:05:00+00:00"


async def _digest_run(tmp_path: Path, fake: FakeSlack) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "MLOPS_DIGEST_CONCURRENCY": "4",
        "MLOPS_DIGEST_CHANNEL_INTERVAL": "0",
        "MLOPS_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "digest", "run", "--now", NOW,
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_sigkill_mid_pass_then_rerun_posts_each_lesson_once(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    channels = [f"C{n:02d}" for n in range(40)]
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        for channel in channels:
            await subscribe(
                services, channel, "mon", "10:00", "UTC", datetime(2025, 3, 1, tzinfo=UTC)
            )

    # Slow Slack down so the kill lands while posts are in flight.
    fake_slack.delays["chat.postMessage"] = 0.05
    first = await _digest_run(tmp_path, fake_slack)
    await fake_slack.wait_for(
        lambda: sum(len(lesson_roots(fake_slack, c)) for c in channels) >= 10, timeout=30
    )
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    posted_before = sum(len(lesson_roots(fake_slack, c)) for c in channels)
    assert 10 <= posted_before < len(channels)
    async with digest_services(tmp_path, fake_slack, catalog) as services:
        assert services.engine is not None
        rows = await deliveries.since(services.engine, datetime(2025, 3, 1, tzinfo=UTC))
    # The kill left claims whose outcome the next run must find out.
    assert any(r.status in (deliveries.CLAIMED, deliveries.POSTED) for r in rows)

    fake_slack.delays.clear()
    second = await _digest_run(tmp_path, fake_slack)
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    assert "failed 0" in out.decode()
    assert_exactly_once(fake_slack, channels)

    third = await _digest_run(tmp_path, fake_slack)
    out, _ = await third.communicate()
    assert "due 0" in out.decode()
    assert_exactly_once(fake_slack, channels)
