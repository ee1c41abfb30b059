"""A second replica sharing the database picks up approvals without a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.core.catalog import Catalog
from bot.core.suggestions import Suggestion
from bot.core.urls import normalise_url
from bot.features.suggestions import community_refresh
from bot.runtime import open_services
from bot.store import suggestions as store
from tests.conftest import make_settings

URL = "https://example.org/canary-releases-explained"


async def test_other_replica_sees_an_approval_within_its_refresh(tmp_path: Path, catalog: Catalog):
    settings = make_settings(tmp_path)
    fresh = Catalog(catalog.topics.values(), catalog.resources.values(), catalog.lessons)
    async with (
        open_services(settings, slack=False, catalog=fresh) as replica,
        community_refresh(replica, interval=0.05) as task,
    ):
        assert replica.engine is not None
        before = replica.index.search("canary releases explained", limit=5)
        assert all(h.resource.url != URL for h in before.hits)
        # Another replica stores and approves a suggestion in the shared database.
        suggestion_id = await store.add_suggestion(
            replica.engine,
            Suggestion(url=URL, url_key=normalise_url(URL), topics=("deployment",), note="canary"),
            team_id="T1",
            user_id="U1",
            channel_id="C1",
            title="Canary releases explained",
            fetch_ok=True,
            now=datetime(2026, 3, 2, tzinfo=UTC),
        )
        assert await store.decide(
            replica.engine,
            suggestion_id,
            approve=True,
            moderator="UADMIN",
            now=datetime(2026, 3, 2, 1, tzinfo=UTC),
            new_resource_id="community-canary",
        )
        for _ in range(200):
            if replica.catalog.by_url(URL) is not None:
                break
            await asyncio.sleep(0.02)
        assert not task.done()
        hits = replica.index.search("canary releases explained", limit=5).hits
        assert hits[0].resource.url == URL
        assert hits[0].resource.community
