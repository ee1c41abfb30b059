"""A loopback fake of the Slack Web API: records every call, answers like Slack.

Runs an aiohttp server on 127.0.0.1:<free port>. Point AsyncWebClient's base_url at
`fake.api_url`. Script failures per method with `fail_next(method, ...)`; inspect `calls`,
`messages` (what channels show) and `responses` (what arrived at response_url).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    # The Authorization header as received ("Bearer xoxb-…", "Basic …"), or None.
    authorization: str | None = None

    @property
    def token(self) -> str | None:
        """The bearer token the call was made with (header, or a `token` argument)."""
        header = self.authorization or ""
        if header.startswith("Bearer "):
            return header[len("Bearer ") :]
        return str(self.args["token"]) if self.args.get("token") else None


@dataclass
class Grant:
    """What oauth.v2.access answers for one code: the workspace that installed the app."""

    team_id: str
    team_name: str = "Fake"
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    is_enterprise_install: bool = False
    installer: str = "U0INSTALL"


@dataclass
class Scripted:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    passthrough: bool = False  # answer this call normally (fail_next(..., after=N))


@dataclass
class RateLimits:
    """Slack's limits on chat.postMessage: one message per `per_channel` seconds in a channel,
    and a workspace-wide token bucket (`workspace_rate` per second, bursts of
    `workspace_burst`). Beyond them: 429 with a whole-second Retry-After, nothing posted."""

    per_channel: float = 1.0
    workspace_rate: float = 100.0
    workspace_burst: float = 100.0
    rejected: int = 0
    rejected_in_channel: int = 0  # of `rejected`: too soon after the channel's last message
    _last: dict[str, float] = field(default_factory=dict)
    _tokens: float | None = None
    _filled_at: float = 0.0

    def admit(self, channel: str, now: float) -> float:
        """0 when a post may go through now (and count it), else the seconds to wait."""
        last = self._last.get(channel)
        if last is not None and now - last < self.per_channel:
            self.rejected += 1
            self.rejected_in_channel += 1
            return self.per_channel - (now - last)
        tokens = self.workspace_burst if self._tokens is None else self._tokens
        tokens = min(self.workspace_burst, tokens + (now - self._filled_at) * self.workspace_rate)
        self._filled_at = now
        if tokens < 1:
            self._tokens = tokens
            self.rejected += 1
            return (1 - tokens) / self.workspace_rate
        self._tokens = tokens - 1
        self._last[channel] = now
        return 0.0


class FakeSlack:
    """The fake server. Use as `async with FakeSlack() as slack:`."""

    bot_user_id = "UBOT"
    team_id = "T111"

    def __init__(self, limits: RateLimits | None = None) -> None:
        # Off by default; set to enforce Slack's chat.postMessage limits (benchmarks).
        self.limits = limits
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._scripted: dict[str, deque[Scripted]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.changed = asyncio.Event()
        # Seconds to wait before answering a method (e.g. to land a SIGKILL mid-pass).
        self.delays: dict[str, float] = {}
        # Socket Mode: open websocket connections and the acks the app sent back per envelope.
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self.socket_connections = 0
        # What views.publish last showed each user (App Home).
        self.home_views: dict[str, dict[str, Any]] = {}
        # Overrides for users.info / conversations.info answers, by id.
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        # OAuth: codes oauth.v2.access accepts, and the bot tokens it issued (token → grant).
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.app_id = "A0FAKE"
        self.client_id = "111.222"
        self.client_secret = "fake-client-secret"
        # Token rotation: issued tokens expire after this many seconds (None: they never do).
        self.token_expires_in: int | None = None
        self._issued = itertools.count(1)
        self._current = Call("", {})

    # -- control --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next `times` calls of `method` fail (Slack error, HTTP status, or 429),
        after letting `after` calls through."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        for _ in range(after):
            self._scripted[method].append(Scripted(passthrough=True))
        for _ in range(times):
            self._scripted[method].append(Scripted(status=status, body=body, headers=headers))

    def add_message(
        self, channel: str, text: str, *, thread_ts: str | None = None, user: str = "U999"
    ) -> str:
        """A message a person wrote (e.g. a reply in a lesson's thread); returns its ts."""
        ts = self._next_ts()
        self.messages[channel].append(
            {"ts": ts, "channel": channel, "text": text, "thread_ts": thread_ts, "user": user}
        )
        return ts

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages (root and thread replies) posted via chat.postMessage."""
        if channel is not None:
            return list(self.messages.get(channel, []))
        return [m for msgs in self.messages.values() for m in msgs]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        """Wait until predicate() is true (checked whenever the fake receives something)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("fake Slack did not receive the expected calls in time")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    # -- server ---------------------------------------------------------------------------
    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(request.query_string))
        raw = await request.read()
        if raw:
            ctype = request.headers.get("Content-Type", "")
            if "json" in ctype:
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode())))
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.changed.set()

    async def _response_url(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        body["_name"] = request.match_info["name"]
        self.responses.append(body)
        self._record(Call("response_url", body))
        return web.json_response({"ok": True})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._read_args(request)
        call = Call(method, args, authorization=request.headers.get("Authorization"))
        self._record(call)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        if method == "chat.postMessage" and self.limits is not None:
            wait = self.limits.admit(str(args.get("channel")), time.monotonic())
            if wait > 0:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        scripted = self._scripted[method].popleft() if self._scripted[method] else None
        if scripted is not None and not scripted.passthrough:
            return web.json_response(
                scripted.body, status=scripted.status, headers=scripted.headers
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        self._current = call  # handlers run without awaiting: this is their call
        # Slack answers a method it does not have like this (HTTP 200), so a misspelt call fails.
        body = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        return web.json_response(body)

    # -- methods --------------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        grant = self.tokens.get(str(self._current.token or ""))
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": grant.team_name if grant else "Fake",
            "user": "mlops",
            "team_id": grant.team_id if grant else self.team_id,
            "enterprise_id": grant.enterprise_id if grant else None,
            "user_id": self.bot_user_id,
            "bot_id": "BBOT",
        }

    def issue_token(self, grant: Grant) -> dict[str, Any]:
        """A new bot token (and refresh token when rotation is on) for the grant's workspace."""
        n = next(self._issued)
        where = grant.team_id or grant.enterprise_id
        token = f"xoxb-{where}-{n}"
        self.tokens[token] = grant
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if self.token_expires_in is not None:
            refresh = f"xoxe-1-{where}-{n}"
            self.refresh_tokens[refresh] = grant
            issued.update(refresh_token=refresh, expires_in=self.token_expires_in)
        return issued

    def _m_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if self._current.authorization != f"Basic {basic}":
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(str(args.get("refresh_token")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return {"ok": True, **self.issue_token(grant)}
        grant = self.grants.pop(str(args.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team = (
            None if grant.is_enterprise_install else {"id": grant.team_id, "name": grant.team_name}
        )
        enterprise = (
            {"id": grant.enterprise_id, "name": grant.enterprise_name}
            if grant.enterprise_id
            else None
        )
        return {
            "ok": True,
            **self.issue_token(grant),
            "scope": "commands,chat:write",
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": team,
            "enterprise": enterprise,
            "is_enterprise_install": grant.is_enterprise_install,
            "authed_user": {"id": grant.installer},
        }

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        ts = self._next_ts()
        message = {
            "ts": ts,
            "channel": channel,
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "thread_ts": args.get("thread_ts"),
            "metadata": args.get("metadata"),
            "user": self.bot_user_id,
            "bot_id": "BBOT",
        }
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                message.update(text=args.get("text"), blocks=args.get("blocks"))
        return {"ok": True, "channel": channel, "ts": ts}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", "U0"))
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        oldest = float(args.get("oldest") or 0)
        messages = self.messages.get(channel, [])
        roots = [
            self._shown(m, args, messages)
            for m in messages
            if not m.get("thread_ts") and float(m["ts"]) >= oldest
        ]
        return {"ok": True, "messages": list(reversed(roots)), "has_more": False}

    @staticmethod
    def _shown(
        message: dict[str, Any], args: dict[str, Any], messages: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A message as history/replies return it: metadata only with include_all_metadata
        (as Slack does), roots with their reply_count."""
        shown = dict(message)
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            shown.pop("metadata", None)
        if not message.get("thread_ts"):
            replies = sum(1 for m in messages if m.get("thread_ts") == message["ts"])
            if replies:
                shown["reply_count"] = replies
        return shown

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        thread = [
            m for m in self.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        for m in thread:
            if m["ts"] == ts:
                m = dict(m)
        root = next((m for m in thread if m["ts"] == ts), None)
        if root is not None:
            root = {**root, "reply_count": len(thread) - 1}
            thread = [root] + [m for m in thread if m["ts"] != ts]
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            thread = [{k: v for k, v in m.items() if k != "metadata"} for m in thread]
        return {"ok": True, "messages": thread, "has_more": False}

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # -- Socket Mode ----------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        self.socket_connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {}})
        self._record(Call("socket.hello", {}))
        async for msg in ws:
            if msg.type.name == "TEXT":
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    self.socket_acks[data["envelope_id"]] = data.get("payload") or {}
                    self._record(Call("socket.ack", data))
        if ws in self.sockets:
            self.sockets.remove(ws)
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push a Socket Mode envelope (e.g. 'slash_commands') to the newest connection."""
        envelope_id = f"env-{next(self._ts)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def drop_sockets(self) -> None:
        """Simulate a network loss: close every Socket Mode connection from the server side."""
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1", **(args.get("view") or {})}}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": args.get("view_id") or "V1", **(args.get("view") or {})}}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        self.home_views[str(args.get("user_id"))] = view
        return {"ok": True, "view": {"id": "VHOME", **view}}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("message_ts"))
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user"))
        info = {"id": user, "name": user.lower(), "tz": "UTC", "is_admin": False, "is_owner": False}
        info.update(self.users.get(user, {}))
        return {"ok": True, "user": info}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        info = {
            "id": channel,
            "is_channel": channel.startswith("C"),
            "is_private": channel.startswith("G"),
            "is_im": channel.startswith("D"),
            "is_mpim": False,
            "is_member": True,
            "is_archived": False,
        }
        info.update(self.channels.get(channel, {}))
        return {"ok": True, "channel": info}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": args.get("channel")}}
