"""Shared fixtures: the real catalog, a loopback fake Slack, and the bot's real HTTP app."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Bot
from bot.console import Console
from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.fetch import TitleFetcher
from bot.router import Feature
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

    real_getaddrinfo = socket.getaddrinfo

    def resolve_loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _loopback_name(str(name)):
            raise RuntimeError(f"test tried to resolve a name beyond loopback: {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", resolve_loopback_only)
    yield


def _loopback_name(name: str) -> bool:
    name = name.strip("[]").rstrip(".").lower()
    return (
        name in ("localhost", "::1", "") or name.startswith("127.") or name.endswith(".localhost")
    )


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


def fresh_catalog(catalog: Catalog) -> Catalog:
    """A copy of the session's catalog: approvals in one test never leak into another."""
    return Catalog(catalog.topics.values(), catalog.resources.values(), catalog.lessons)


@dataclass
class BotServer:
    """A booted bot: its lifespan, a console over it, and (with `http`) its real aiohttp app
    on a loopback port with helpers to talk to it exactly as Slack does."""

    bot: Bot
    fake: FakeSlack | None
    http: aiohttp.ClientSession | None = None
    url: str = ""

    @property
    def services(self) -> Services:
        return self.bot.services

    def console(self, user_id: str = "U0CONSOLE") -> Console:
        return Console(self.bot, user_id=user_id)

    async def post(
        self, body: str, content_type: str, **header_overrides: str
    ) -> aiohttp.ClientResponse:
        assert self.http is not None, "boot with http=True to send requests"
        headers = signed_headers(body, content_type=content_type)
        headers.update(header_overrides)
        return await self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=headers)

    def _response_url(self) -> str:
        assert self.fake is not None
        return self.fake.response_url()

    async def slash(self, text: str, **fields: str) -> dict[str, Any]:
        """Send `/mlops text`; return the JSON body of the acknowledgement."""
        body = slash_body(text, self._response_url(), **fields)
        resp = await self.post(body, "application/x-www-form-urlencoded")
        assert resp.status == 200, await resp.text()
        raw = await resp.text()
        return await resp.json() if raw else {}

    async def click(self, action_id: str, value: str, **kw: Any) -> aiohttp.ClientResponse:
        body = action_body(action_id, value, self._response_url(), **kw)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], event_id: str = "Ev111", **headers: str
    ) -> aiohttp.ClientResponse:
        return await self.post(event_body(event, event_id), "application/json", **headers)


@asynccontextmanager
async def boot_bot(
    tmp_path: Path,
    catalog: Catalog,
    fake: FakeSlack | None = None,
    *,
    http: bool = True,
    fetcher: TitleFetcher | None = None,
    clock: Callable[[], datetime] | None = None,
    offline: bool = False,
    serve: bool = False,
    features: Sequence[Feature] | None = None,
    **overrides: Any,
) -> AsyncIterator[BotServer]:
    """The one way tests boot the bot: the real lifespan over a copy of the catalog, a SQLite
    file under tmp_path (or any DATABASE_URL override), the fake Slack when given, and the
    real HTTP edge when `http` is set."""
    from bot.app import lifespan
    from bot.health import readiness
    from bot.server import create_web_app, start_site
    from bot.slack.app import create_app
    from bot.slack.installs import web_routes

    api_url = fake.api_url if fake is not None else "http://127.0.0.1:9/api/"
    settings = make_settings(tmp_path, api_url, **overrides)
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    if features is not None:
        extra["features"] = features
    async with lifespan(
        settings,
        slack=fake is not None,
        catalog=fresh_catalog(catalog),
        fetcher=fetcher,
        offline=offline,
        serve=serve,
        **extra,
    ) as bot:
        if not http or fake is None:
            yield BotServer(bot, fake)
            return
        bolt = create_app(bot)
        web_app = create_web_app(
            bolt,
            signing_secret=SECRET,
            readiness=lambda: readiness(bot.services.engine),
            extra_routes=web_routes(bolt) if settings.multi_workspace else None,
        )
        runner, port = await start_site(web_app, "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                yield BotServer(bot, fake, session, f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()


@pytest.fixture
async def bot_server(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> AsyncIterator[BotServer]:
    async with boot_bot(tmp_path, catalog, fake_slack) as server:
        yield server


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    if not POSTGRES_URL:
        pytest.skip("set MLOPS_TEST_POSTGRES_URL to run PostgreSQL")
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bot.store.engine import create_engine

    name = f"mlops_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
