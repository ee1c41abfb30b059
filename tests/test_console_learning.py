"""App Home, the Schedule… modal and stats in the console: the same router, `press N`, one
prompt per modal input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from bot.core.catalog import Catalog
from bot.store import subscriptions
from tests.conftest import boot_bot

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)


def number_of(label: str, text: str) -> str:
    found = re.search(r"\[(\d+) " + re.escape(label) + r"\]", text)
    assert found, text
    return found.group(1)


async def test_schedule_modal_in_the_console(tmp_path: Path, catalog: Catalog) -> None:
    async with boot_bot(tmp_path, catalog, offline=True, clock=lambda: NOW) as server:
        console = server.console()
        await console.handle("/mlops subscribe tue 09:30 Europe/Berlin")
        shown = await console.handle("/mlops schedule")
        opened = await console.handle("press " + number_of("Schedule…", shown))
        assert "== Weekly lessons ==" in opened and opened.endswith("sun):")
        assert (await console.handle("thu")).startswith("Time (HH:MM)")
        assert (await console.handle("14:30")).startswith("Time zone (UTC, Europe/London")
        refused = await console.handle("Mars/Olympus")
        assert "Please fix:\n• “Mars/Olympus” is not a time zone I know." in refused
        await console.handle("thu")
        await console.handle("14:30")
        done = await console.handle("America/New_York")
        assert "Schedule updated" in done and "Thu 06 Mar 2025, 14:30 EST" in done
        row = await subscriptions.get(server.services.engine, "T0CONSOLE", "C0CONSOLE")
        assert row is not None and (row.day, row.time, row.tz) == (
            "thu",
            "14:30",
            "America/New_York",
        )


async def test_home_and_stats_in_the_console(tmp_path: Path, catalog: Catalog) -> None:
    async with boot_bot(
        tmp_path, catalog, offline=True, clock=lambda: NOW, admins="U0CONSOLE"
    ) as server:
        console = server.console()
        await console.handle("/mlops subscribe")
        await console.handle("/mlops zzqx blorfle")
        stats = await console.handle("/mlops stats")
        assert "Searched for and not found" in stats and "“zzqx blorfle” ×1" in stats
        home = await console.handle("/mlops home")
        assert "Weekly lessons in this workspace (1)" in home and "You subscribed it" in home
        assert "Suggestions waiting for review (0)" in home
        lesson = await console.handle("press " + number_of("Read it", home))
        assert "== This week's lesson ==" in lesson and "MLOps lesson 1 of 52" in lesson
        home = await console.handle("/mlops home")
        channel_stats = await console.handle("press " + number_of("Stats", home))
        assert "No lessons were posted in" in channel_stats
        home = await console.handle("/mlops home")
        search = await console.handle("press " + number_of("Search…", home))
        assert "A topic, a tool or a question" in search
        answer = await console.handle("experiment tracking")
        assert "== Search ==" in answer and "Learn" in answer
