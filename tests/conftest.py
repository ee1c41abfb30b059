"""Shared fixtures: the real catalog, a loopback fake Slack, and the bot's real HTTP app."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.services import Services
from bot.settings import Settings
from tests.fakes.signing import SECRET, action_body, event_body, signed_headers, slash_body
from tests.fakes.slack_api import FakeSlack

POSTGRES_URL = os.environ.get("MLOPS_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that tries to reach beyond loopback."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def make_settings(
    tmp_path: Path, api_url: str = "http://127.0.0.1:9/api/", **overrides: Any
) -> Settings:
    """Settings for tests: never read the developer's .env or environment secrets."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_app_token": None,
        "slack_api_url": api_url,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "port": 0,
        "host": "127.0.0.1",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@dataclass
class BotServer:
    """The bot's real aiohttp app on a loopback port, and helpers to talk to it like Slack."""

    url: str
    services: Services
    fake: FakeSlack
    http: aiohttp.ClientSession

    async def post(
        self, body: str, content_type: str, **header_overrides: str
    ) -> aiohttp.ClientResponse:
        headers = signed_headers(body, content_type=content_type)
        headers.update(header_overrides)
        return await self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=headers)

    async def slash(self, text: str, **fields: str) -> dict[str, Any]:
        """Send `/mlops text`; return the JSON body of the acknowledgement."""
        body = slash_body(text, self.fake.response_url(), **fields)
        resp = await self.post(body, "application/x-www-form-urlencoded")
        assert resp.status == 200, await resp.text()
        raw = await resp.text()
        return await resp.json() if raw else {}

    async def click(self, action_id: str, value: str, **kw: Any) -> aiohttp.ClientResponse:
        body = action_body(action_id, value, self.fake.response_url(), **kw)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], event_id: str = "Ev111", **headers: str
    ) -> aiohttp.ClientResponse:
        return await self.post(event_body(event, event_id), "application/json", **headers)


@pytest.fixture
async def bot_server(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> AsyncIterator[BotServer]:
    from bot.runtime import open_services
    from bot.server import create_web_app, start_site
    from bot.slack.app import create_app

    settings = make_settings(tmp_path, fake_slack.api_url)
    async with open_services(settings, catalog=catalog) as services:
        runner, port = await start_site(create_web_app(create_app(services)), "127.0.0.1", 0)
        async with aiohttp.ClientSession() as http:
            yield BotServer(f"http://127.0.0.1:{port}", services, fake_slack, http)
        await runner.cleanup()
