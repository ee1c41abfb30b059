"""Sign requests exactly as Slack does: v0=HMAC-SHA256(secret, 'v0:' + ts + ':' + body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
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


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def fixture(name: str) -> dict[str, Any]:
    """A request payload in Slack's shape, kept as JSON under tests/fixtures/slack/."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def slash_body(text: str, response_url: str, **fields: str) -> str:
    """A form-encoded /mlops slash command, shaped like Slack's."""
    form = {**fixture("slash_command"), "text": text, "response_url": response_url}
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
    payload = fixture("block_actions")
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update(
        message_ts=message_ts or "1.000001", channel_id=channel, is_ephemeral=message_ts is None
    )
    payload["response_url"] = response_url
    payload["actions"][0].update(action_id=action_id, value=value)
    if message_ts:
        payload["message"] = {"ts": message_ts, "type": "message"}
    payload.update(extra or {})
    return urlencode({"payload": json.dumps(payload)})


def view_body(
    callback_id: str, values: dict[str, str], private_metadata: str = "", user: str = "U222"
) -> str:
    """A view_submission payload; `values` maps block ids to what was typed."""
    payload = fixture("view_submission")
    payload["user"]["id"] = user
    payload["view"].update(
        callback_id=callback_id,
        private_metadata=private_metadata,
        state={
            "values": {
                block: {"value": {"type": "plain_text_input", "value": value}}
                for block, value in values.items()
            }
        },
    )
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], event_id: str = "Ev111") -> str:
    payload = fixture("event_callback")
    payload.update(event=event, event_id=event_id, event_time=int(time.time()))
    return json.dumps(payload)
