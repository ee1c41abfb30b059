"""The console: the same router as Slack, buttons pressed by number, modals line by line,
no network unless MLOPS_CONSOLE_FETCH=1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from tests.conftest import boot_bot


async def test_moderation_round_trip_in_the_console(tmp_path: Path, catalog: Catalog):
    async with boot_bot(tmp_path, catalog, offline=True, admins="U0CONSOLE") as server:
        console = server.console()
        answer = await console.handle(
            "/mlops suggest https://example.org/zebrafish-rollouts deployment"
        )
        assert "sent for review" in answer
        assert "MLOPS_CONSOLE_FETCH=1" in answer  # says why the title is missing
        listing = await console.handle("/mlops suggestions")
        assert "[1 Approve]" in listing and "[2 Reject]" in listing
        approved = await console.handle("press 1")
        assert "Approved" in approved or "approved" in approved
        found = await console.handle("/mlops zebrafish rollouts")
        assert "example.org/zebrafish-rollouts" in found


async def test_reject_modal_asks_for_its_input_then_submits(tmp_path: Path, catalog: Catalog):
    async with boot_bot(tmp_path, catalog, offline=True, admins="U0CONSOLE") as server:
        console = server.console()
        await console.handle("/mlops suggest https://example.org/not-mlops")
        await console.handle("/mlops suggestions")
        modal = await console.handle("press 2")
        assert "Reject suggestion" in modal and "Reason" in modal
        done = await console.handle("off topic for this catalog")
        assert "ejected" in done
        assert "No suggestions" in await console.handle("/mlops suggestions")
        assert "no button" in (await console.handle("press 7")).lower()


async def test_console_never_resolves_names(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
):
    looked_up: list[str] = []

    def spy(host: object, *args: object, **kwargs: object) -> list[object]:
        looked_up.append(str(host))
        raise OSError("no DNS in this test")

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    async with boot_bot(tmp_path, catalog, offline=True) as server:
        answer = await server.console().handle("/mlops suggest https://example.org/x serving")
    assert "sent for review" in answer
    assert looked_up == []


def test_the_suite_refuses_dns_beyond_loopback():
    with pytest.raises(RuntimeError, match="resolve a name beyond loopback"):
        socket.getaddrinfo("example.org", 443)
    assert socket.getaddrinfo("localhost", 80)
