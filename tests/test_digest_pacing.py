"""Pacing: a channel's next message waits the per-channel interval from Slack's answer."""

from __future__ import annotations

import asyncio

import pytest

from bot.digest import Pacer
from tests.digest_helpers import Sleeps


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(asyncio.get_running_loop(), "time", fake)
    return fake


async def test_interval_counts_from_when_slack_answered(clock: Clock):
    sleeps = Sleeps()
    pacer = Pacer(per_channel=1.0, per_minute=0, sleep=sleeps)
    await pacer.wait("C1")
    clock.now += 0.4  # Slack took 0.4 s to receive and answer the lesson
    pacer.answered("C1")
    clock.now += 0.1
    await pacer.wait("C1")
    assert sleeps.waits == [pytest.approx(0.9)]


async def test_other_channels_and_the_workspace_cap_are_unchanged(clock: Clock):
    sleeps = Sleeps()
    pacer = Pacer(per_channel=1.0, per_minute=600, sleep=sleeps)
    for channel in ("C1", "C2", "C3"):
        await pacer.wait(channel)
        pacer.answered(channel)
    assert sleeps.waits == [pytest.approx(0.1), pytest.approx(0.2)]
