"""The fake Slack's optional chat.postMessage rate limits (used by the digest benchmark)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack, RateLimits


def test_one_message_per_interval_in_a_channel():
    limits = RateLimits(per_channel=1.0, workspace_rate=100, workspace_burst=100)
    assert limits.admit("C1", 10.0) == 0
    assert limits.admit("C1", 10.4) == pytest.approx(0.6)
    assert limits.admit("C2", 10.4) == 0  # other channels are not held up
    assert limits.admit("C1", 11.0) == 0
    assert (limits.rejected, limits.rejected_in_channel) == (1, 1)


def test_workspace_bucket_allows_a_burst_then_its_rate():
    limits = RateLimits(per_channel=1.0, workspace_rate=10, workspace_burst=3)
    assert [limits.admit(f"C{i}", 0.0) for i in range(3)] == [0, 0, 0]
    assert limits.admit("C3", 0.0) == pytest.approx(0.1)
    assert limits.admit("C3", 0.1) == 0  # one token refilled
    assert limits.admit("C4", 0.1) > 0
    assert (limits.rejected, limits.rejected_in_channel) == (2, 0)


async def test_beyond_the_limit_slack_answers_429_with_retry_after_and_posts_nothing():
    async with FakeSlack(limits=RateLimits(per_channel=1.0)) as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        await client.chat_postMessage(channel="C1", text="first")
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C1", text="too soon")
        assert info.value.response.status_code == 429
        assert info.value.response.headers["Retry-After"] == "1"
        assert info.value.response["error"] == "ratelimited"
        assert [m["text"] for m in fake.posted("C1")] == ["first"]


async def test_limits_are_off_by_default():
    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        for i in range(5):
            await client.chat_postMessage(channel="C1", text=str(i))
        assert len(fake.posted("C1")) == 5
