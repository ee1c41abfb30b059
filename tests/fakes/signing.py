"""Sign requests exactly as Slack does: v0=HMAC-SHA256(secret, 'v0:' + ts + ':' + body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SECRET = "test-signing-secret"


def signature(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, content_type: str, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(body, ts, secret),
    }


def slash_body(text: str, response_url: str, **fields: str) -> str:
    """A form-encoded /mlops slash command, shaped like Slack's."""
    form = {
        "token": "deprecated",
        "team_id": "T111",
        "team_domain": "fake",
        "channel_id": "C111",
        "channel_name": "ml-learning",
        "user_id": "U222",
        "user_name": "ada",
        "command": "/mlops",
        "text": text,
        "api_app_id": "A111",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "123.456.abc",
    }
    form.update(fields)
    return urlencode(form)


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user: str = "U222",
    channel: str = "C111",
    message_ts: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """A block_actions interaction payload (form field `payload`), shaped like Slack's."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T111", "domain": "fake"},
        "user": {"id": user, "username": "ada", "team_id": "T111"},
        "api_app_id": "A111",
        "token": "deprecated",
        "container": {
            "type": "message",
            "message_ts": message_ts or "1.000001",
            "channel_id": channel,
            "is_ephemeral": message_ts is None,
        },
        "trigger_id": "123.456.def",
        "channel": {"id": channel, "name": "ml-learning"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1700000000.000001",
            }
        ],
    }
    if message_ts:
        payload["message"] = {"ts": message_ts, "type": "message"}
    payload.update(extra or {})
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], event_id: str = "Ev111") -> str:
    return json.dumps(
        {
            "token": "deprecated",
            "team_id": "T111",
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
        }
    )
