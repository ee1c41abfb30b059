"""The one wrapper around AsyncWebClient: domain verbs, retries, narrow error handling."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.slack_response import SlackResponse

from bot import texts
from bot.errors import Unavailable
from bot.logs import current_team

logger = logging.getLogger(__name__)

# Web API calls made before a command's answer get this long (the client's own timeout is 15 s
# and Slack waits 3 s for the answer).
BEFORE_ANSWER_TIMEOUT = 1.0
_NETWORK_ERRORS = (TimeoutError, aiohttp.ClientError, OSError)


@dataclass(frozen=True)
class PostingRights:
    """Whether the bot can post in a channel, and if not, why (`problem` is a texts key)."""

    ok: bool
    problem: str = ""  # "private" | "group_dm" | "archived" | "read_only" | "unknown"
    code: str = ""  # Slack's error, when the check itself failed


def build_client(
    token: str | None,
    base_url: str,
    *,
    retries: bool = True,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """A client pointed at `base_url`; 429 and 5xx are retried (the SDK only retries
    connection errors by default). With `session`, calls share its connections (the caller
    closes it)."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=15, session=session)
    if retries:
        client.retry_handlers = [
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
    return client


def _like(client: AsyncWebClient, token: str | None, retry_handlers: list[Any]) -> AsyncWebClient:
    """A client to the same API, over the same connections, with another token or retries."""
    other = AsyncWebClient(
        token=token, base_url=client.base_url, timeout=client.timeout, session=client.session
    )
    other.retry_handlers = list(retry_handlers)
    return other


def slack_error(exc: SlackApiError) -> str:
    """The `error` code of a Slack API failure, e.g. 'channel_not_found'."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return "unknown_error"


# -- weekly digest: failures classified by what they mean for an exactly-once post ---------
CHANNEL_GONE = frozenset({"is_archived", "channel_not_found", "not_in_channel"})
# The app lost its access: the token is gone (workspace-wide) or lacks a scope it needs.
TOKEN_LOST = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
     "team_disabled", "org_login_required", "ekm_access_denied"}
)  # fmt: skip
ACCESS_LOST = TOKEN_LOST | {"missing_scope", "not_allowed_token_type", "restricted_action"}
_SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class PostError(Exception):
    """A chat.postMessage that did not (certainly) succeed; `code` is Slack's error or ours."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class RateLimited(PostError):
    """429: nothing was posted; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after


class ChannelGone(PostError):
    """Posting there cannot work until a person fixes something (the channel is archived,
    missing, or the bot is not in it; or the app lost access): stop posting there."""


class AccessLost(ChannelGone):
    """invalid_auth, token_revoked, account_inactive, missing_scope, …: the app can't post
    until it is reinstalled or given the scope; retrying every pass only repeats the error."""

    @property
    def token_level(self) -> bool:
        """True when the whole workspace is affected (the token itself is unusable)."""
        return self.code in TOKEN_LOST


class Uncertain(PostError):
    """5xx, timeout or a dropped connection: the message may or may not have been posted."""


class Rejected(PostError):
    """Slack refused the message (e.g. invalid_blocks, invalid_auth): nothing was posted."""


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                break
    return 1.0


def classify(exc: BaseException) -> PostError:
    """Turn a client exception into what it means for a post that must happen once."""
    if isinstance(exc, SlackApiError):
        code = slack_error(exc)
        status = int(getattr(exc.response, "status_code", 200) or 200)
        if status == 429 or code == "ratelimited":
            return RateLimited(_retry_after(exc))
        if code in CHANNEL_GONE:
            return ChannelGone(code)
        if code in ACCESS_LOST:
            return AccessLost(code)
        if status >= 500 or code in _SERVER_ERRORS:
            return Uncertain(f"{code} (HTTP {status})")
        return Rejected(code)
    return Uncertain(type(exc).__name__)


class BotTokens(Protocol):
    """Multi-workspace mode: the bot token of a workspace (None: the app is not installed)."""

    async def bot_token(self, team_id: str) -> str | None: ...


def not_installed(team_id: str) -> SlackApiError:
    """What Slack itself answers a call made without a token, raised before any call."""
    data = {"ok": False, "error": "not_authed"}
    response = SlackResponse(
        client=None, http_verb="POST", api_url="", req_args={}, data=data, headers={},
        status_code=200,
    )  # fmt: skip
    return SlackApiError(f"the app is not installed in workspace {team_id or '?'}", response)


class SlackGateway:
    """Domain verbs over the Web API; callers never touch AsyncWebClient directly.

    Single-workspace mode: one client with SLACK_BOT_TOKEN. Multi-workspace mode (`tokens`
    given): every call uses the bot token of the workspace in context (`bot.logs.current_team`,
    bound by the Slack listeners per request and by the digest per subscription)."""

    def __init__(self, client: AsyncWebClient, tokens: BotTokens | None = None) -> None:
        self.client = client
        self._bot_users: dict[str, str] = {}  # per workspace: each install has its own bot user
        self.tokens = tokens
        self._per_token: dict[str, AsyncWebClient] = {}
        self._dm_channels: dict[str, str] = {}

    async def api(self) -> AsyncWebClient:
        """The client to call Slack with for the workspace in context."""
        if self.tokens is None:
            return self.client
        team = current_team.get() or ""
        token = await self.tokens.bot_token(team) if team else None
        if not token:
            raise not_installed(team)
        client = self._per_token.get(token)
        if client is None:
            if len(self._per_token) > 1000:  # rotated tokens pile up: start again
                self._per_token.clear()
            client = _like(self.client, token, self.client.retry_handlers)
            self._per_token[token] = client
        return client

    # -- weekly digest ----------------------------------------------------------------------
    def single_shot(self) -> SlackGateway:
        """The same workspace through a client that never retries on its own: a retried post
        after a 5xx could duplicate it, so the digest decides (and reconciles) itself."""
        return SlackGateway(_like(self.client, self.client.token, []), self.tokens)

    async def post_once(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        *,
        metadata: dict[str, Any],
        thread_ts: str | None = None,
    ) -> str:
        """Post one message and return its ts; failures raise a classified PostError."""
        try:
            data = await self.post_message(
                channel, text, blocks, thread_ts=thread_ts, metadata=metadata
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return str(data.get("ts") or "")

    async def history(
        self, channel: str, oldest: float, *, pages: int = 10
    ) -> list[dict[str, Any]]:
        """Top-level messages since `oldest` (epoch seconds), with their metadata."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(pages):
            try:
                client = await self.api()
                response = await client.conversations_history(
                    channel=channel,
                    oldest=f"{oldest:.6f}",
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise classify(exc) from exc
            found += list(response.get("messages") or [])
            cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
            if not response.get("has_more") or not cursor:
                break
        return found

    async def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's root (with reply_count) and its replies, with metadata."""
        try:
            client = await self.api()
            response = await client.conversations_replies(
                channel=channel, ts=ts, limit=200, include_all_metadata=True
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return list(response.get("messages") or [])

    async def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        client = await self.api()
        response = await client.chat_postMessage(
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
        client = await self.api()
        await client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=blocks, thread_ts=thread_ts
        )

    async def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        client = await self.api()
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    async def send_dm(
        self, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Post to the app's DM with a user (chat.postMessage accepts a user id as channel)."""
        return await self.post_message(user, text, blocks)

    async def open_dm(self, user: str) -> str:
        """The id of the app's direct-message channel with a user (remembered per process).

        Called before a command's answer, so it gets BEFORE_ANSWER_TIMEOUT; a slow Slack
        raises Unavailable with an answer for the user."""
        key = f"{current_team.get() or ''}:{user}"
        if key in self._dm_channels:
            return self._dm_channels[key]
        try:
            async with asyncio.timeout(BEFORE_ANSWER_TIMEOUT):
                response = await (await self.api()).conversations_open(users=user)
        except _NETWORK_ERRORS as exc:
            logger.warning("conversations.open did not answer in time: %s", type(exc).__name__)
            raise Unavailable(texts.SLACK_SLOW) from exc
        channel = str(response["channel"]["id"])
        if len(self._dm_channels) < 10_000:
            self._dm_channels[key] = channel
        return channel

    async def posting_rights(self, channel: str) -> PostingRights:
        """Can the bot post in `channel` (conversations.info)? Public channels are fine without
        membership (chat:write.public); private channels and group DMs need the bot in them.

        Bounded by BEFORE_ANSWER_TIMEOUT; when Slack cannot tell, `problem` is "unknown"."""
        try:
            async with asyncio.timeout(BEFORE_ANSWER_TIMEOUT):
                response = await (await self.api()).conversations_info(channel=channel)
        except SlackApiError as exc:
            code = slack_error(exc)
            if code == "channel_not_found":  # what Slack says for a private channel we're not in
                return PostingRights(False, "private", code)
            logger.info("could not check posting rights in %s: %s", channel, code)
            return PostingRights(False, "unknown", code)
        except _NETWORK_ERRORS as exc:
            logger.info("could not check posting rights in %s: %s", channel, type(exc).__name__)
            return PostingRights(False, "unknown", type(exc).__name__)
        info = response.get("channel") or {}
        member = bool(info.get("is_member"))
        if info.get("is_archived"):
            return PostingRights(False, "archived")
        if info.get("is_read_only"):
            return PostingRights(False, "read_only")
        if info.get("is_mpim") and not member:
            return PostingRights(False, "group_dm")
        if info.get("is_private") and not member:
            return PostingRights(False, "private")
        return PostingRights(True)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        client = await self.api()
        await client.views_open(trigger_id=trigger_id, view=view)

    # -- App Home, people, stats -------------------------------------------------------------
    async def publish_home(self, user: str, view: dict[str, Any]) -> bool:
        """Show `view` as the person's Home tab; False (logged) if Slack refused."""
        try:
            await (await self.api()).views_publish(user_id=user, view=view)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            code = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            logger.warning("could not publish App Home for %s: %s", user, code)
            return False
        return True

    async def is_workspace_admin(self, user: str) -> bool:
        """Whether users.info says the person is a workspace admin or owner (False if unknown)."""
        try:
            response = await (await self.api()).users_info(user=user)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            code = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            logger.warning("users.info failed for %s: %s", user, code)
            return False
        info = response.get("user") or {}
        return any(bool(info.get(key)) for key in ("is_admin", "is_owner", "is_primary_owner"))

    async def bot_user_id(self) -> str:
        """The bot's own user id (auth.test, asked once), to leave its messages out of counts."""
        team = current_team.get() or ""
        if team not in self._bot_users:
            try:
                response = await (await self.api()).auth_test()
            except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError):
                return ""
            self._bot_users[team] = str(response.get("user_id") or "")
        return self._bot_users[team]

    # -- suggestions: best effort, the database already holds the truth -----------------
    async def post_review(
        self, channel: str, text: str, blocks: list[dict[str, Any]]
    ) -> str | None:
        """Post a suggestion to the review channel; its ts, or None (logged) if Slack refused."""
        try:
            response = await self.post_message(channel, text, blocks)
        except SlackApiError as exc:
            logger.warning("could not post to review channel %s: %s", channel, slack_error(exc))
            return None
        return str(response.get("ts") or "") or None

    async def update_review(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> bool:
        """Show a decision on the review message; False (logged) if Slack refused."""
        try:
            await self.update_message(channel, ts, text, blocks)
        except SlackApiError as exc:
            logger.warning("could not update review message: %s", slack_error(exc))
            return False
        return True

    async def notify_user(
        self, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """DM a user (a one-section message unless blocks are given); False (logged) if refused."""
        if blocks is None:
            blocks = [
                {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
            ]
        try:
            await self.send_dm(user, text, blocks)
        except SlackApiError as exc:
            logger.warning("could not DM %s: %s", user, slack_error(exc))
            return False
        return True

    async def answer_mention(
        self,
        channel: str,
        user: str,
        thread_ts: str | None,
        text: str,
        blocks: list[dict[str, Any]] | None,
        *,
        public: bool,
    ) -> None:
        """Answer an @mention in its thread (or ephemerally); a refusal is logged once and
        the person is told ephemerally where Slack allows it."""
        try:
            if public:
                await self.post_message(channel, text, blocks, thread_ts=thread_ts)
            else:
                await self.post_ephemeral(channel, user, text, blocks, thread_ts=thread_ts)
            return
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            code = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            logger.warning("could not answer a mention in %s: %s", channel, code)
        if not public or not user:
            return
        try:
            await self.post_ephemeral(channel, user, texts.MENTION_FAILED, thread_ts=thread_ts)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError):
            logger.info("could not tell %s ephemerally either", user)

    # -- quiz and recap: reads for last week's recap, the quiz message's live count --------
    async def permalink(self, channel: str, ts: str) -> str:
        """Slack's own link to a message (chat.getPermalink); failures raise a PostError."""
        try:
            response = await (await self.api()).chat_getPermalink(channel=channel, message_ts=ts)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        link = str(response.get("permalink") or "")
        if not link:
            raise Rejected("no_permalink")
        return link

    async def discussion(self, channel: str, ts: str, *, pages: int = 5) -> list[dict[str, Any]]:
        """Every message of a thread (root first), following cursors up to `pages` pages."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(pages):
            try:
                response = await (await self.api()).conversations_replies(
                    channel=channel, ts=ts, limit=200, cursor=cursor
                )
            except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise classify(exc) from exc
            found += list(response.get("messages") or [])
            cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
            if not response.get("has_more") or not cursor:
                break
        return found

    async def update_once(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        """chat.update without retries of its own; failures raise a classified PostError."""
        try:
            await (await self.api()).chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc

    # -- per-workspace admin --------------------------------------------------------------
