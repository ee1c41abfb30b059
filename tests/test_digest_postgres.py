"""Two replicas' digest passes racing over one PostgreSQL database (MLOPS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from tests.conftest import boot_bot
from tests.digest_helpers import assert_exactly_once, digest, subscribe
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.postgres


async def test_two_concurrent_passes_over_postgres(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, pg_url: str
) -> None:
    channels = [f"C{n:02d}" for n in range(20)]
    fake_slack.delays["chat.postMessage"] = 0.005
    async with (
        boot_bot(tmp_path, catalog, fake_slack, http=False, database_url=pg_url) as one,
        boot_bot(tmp_path, catalog, fake_slack, http=False, database_url=pg_url) as two,
    ):
        start = datetime(2025, 3, 1, tzinfo=UTC)
        for channel in channels:
            await subscribe(one.services, channel, "mon", "10:00", "Europe/Berlin", start)
        now = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
        reports = await asyncio.gather(
            digest(one.services).run_pass(now), digest(two.services).run_pass(now)
        )
        again = await digest(two.services).run_pass(now)
    assert sum(len(r.posted) for r in reports) == len(channels)
    assert again.due == 0
    assert_exactly_once(fake_slack, channels)
