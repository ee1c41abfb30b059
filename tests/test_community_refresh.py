"""A second replica sharing the database picks up approvals at its next refresh job."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.catalog import Catalog
from bot.core.suggestions import Suggestion
from bot.core.urls import normalise_url
from bot.features import suggestions
from bot.store import suggestions as suggestion_store
from tests.conftest import boot_bot

URL = "https://example.org/canary-releases-explained"


async def test_other_replica_sees_an_approval_at_its_refresh(tmp_path: Path, catalog: Catalog):
    async with (
        boot_bot(tmp_path, catalog, http=False) as replica,
        boot_bot(tmp_path, catalog, http=False) as other,
    ):
        services = replica.services
        assert any(j.id == "community:refresh" for f in replica.bot.features for j in f.jobs)
        before = services.index.search("canary releases explained", limit=5)
        assert all(h.resource.url != URL for h in before.hits)
        # Another replica stores and approves a suggestion in the shared database.
        suggestion_id = await suggestion_store.add_suggestion(
            other.services.engine,
            Suggestion(url=URL, url_key=normalise_url(URL), topics=("deployment",), note="canary"),
            team_id="T1",
            user_id="U1",
            channel_id="C1",
            title="Canary releases explained",
            fetch_ok=True,
            now=datetime(2026, 3, 2, tzinfo=UTC),
        )
        assert await suggestion_store.decide(
            other.services.engine,
            suggestion_id,
            approve=True,
            moderator="UADMIN",
            now=datetime(2026, 3, 2, 1, tzinfo=UTC),
            new_resource_id="community-canary",
        )
        assert services.catalog.by_url(URL) is None
        await suggestions.refresh_community(services)  # the job, called directly
        hits = services.index.search("canary releases explained", limit=5).hits
        assert hits[0].resource.url == URL
        assert hits[0].resource.community
