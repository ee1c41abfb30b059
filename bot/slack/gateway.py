"""The one wrapper around AsyncWebClient: domain verbs, retries, narrow error handling."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


def build_client(token: str | None, base_url: str, *, retries: bool = True) -> AsyncWebClient:
    """A client pointed at `base_url`; 429 and 5xx are retried (the SDK only retries
    connection errors by default)."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=15)
    if retries:
        client.retry_handlers = [
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
    return client


def slack_error(exc: SlackApiError) -> str:
    """The `error` code of a Slack API failure, e.g. 'channel_not_found'."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return "unknown_error"


class SlackGateway:
    """Domain verbs over the Web API; callers never touch AsyncWebClient directly."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return dict(response.data)  # type: ignore[arg-type]

    async def post_ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
    ) -> None:
        await self.client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=blocks, thread_ts=thread_ts
        )

    async def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    async def send_dm(
        self, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Post to the app's DM with a user (chat.postMessage accepts a user id as channel)."""
        return await self.post_message(user, text, blocks)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=trigger_id, view=view)
