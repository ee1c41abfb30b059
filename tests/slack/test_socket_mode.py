"""Socket Mode: the same app over a websocket, reconnecting by itself after a network loss."""

from __future__ import annotations

from pathlib import Path

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import lifespan
from bot.core.catalog import Catalog
from bot.slack.app import create_app
from tests.conftest import make_settings
from tests.fakes.slack_api import FakeSlack


def slash_payload(text: str, response_url: str) -> dict[str, str]:
    return {
        "team_id": "T111",
        "channel_id": "C111",
        "user_id": "U222",
        "command": "/mlops",
        "text": text,
        "api_app_id": "A111",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


async def test_socket_mode_answers_and_survives_a_dropped_connection(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
):
    # No signing secret: Socket Mode needs only the bot and app-level tokens.
    settings = make_settings(
        tmp_path, fake_slack.api_url, slack_signing_secret=None, slack_app_token="xapp-test"
    )
    assert settings.missing_for_serve() == []
    async with lifespan(settings, catalog=catalog) as bot:
        handler = AsyncSocketModeHandler(create_app(bot), "xapp-test")
        handler.client.ping_interval = 0.2
        await handler.connect_async()
        try:
            await fake_slack.wait_for(lambda: fake_slack.sockets)
            envelope = await fake_slack.send_envelope(
                "slash_commands", slash_payload("serving", fake_slack.response_url())
            )
            await fake_slack.wait_for(lambda: envelope in fake_slack.socket_acks)
            ack = fake_slack.socket_acks[envelope]
            assert ack["response_type"] == "ephemeral"
            assert "Model serving" in ack["blocks"][0]["text"]["text"]

            await fake_slack.drop_sockets()
            await fake_slack.wait_for(lambda: fake_slack.socket_connections >= 2, timeout=15)
            await fake_slack.wait_for(lambda: fake_slack.sockets, timeout=15)
            envelope = await fake_slack.send_envelope(
                "slash_commands", slash_payload("help", fake_slack.response_url())
            )
            await fake_slack.wait_for(lambda: envelope in fake_slack.socket_acks, timeout=15)
            assert "/mlops serving" in str(fake_slack.socket_acks[envelope]["blocks"])
            assert len(fake_slack.calls_to("apps.connections.open")) >= 2
        finally:
            await handler.close_async()
