"""Multi-workspace mode against the loopback fake Slack: install, per-workspace tokens,
token rotation, Enterprise Grid org-wide installs, uninstall and re-install."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select, update

from bot import cli
from bot.core.catalog import Catalog
from bot.digest import Digest
from bot.features import workspaces
from bot.features.admin import review_channels
from bot.features.lessons import weekly_job_id
from bot.slack.installs import BOT_SCOPES
from bot.store import installs as store
from bot.store import subscriptions
from bot.store.schema import slack_bots, slack_installations
from tests.conftest import BotServer, boot_bot, make_settings
from tests.digest_helpers import Sleeps
from tests.fakes.signing import event_body
from tests.fakes.slack_api import FakeSlack, Grant

NOW = datetime(2025, 3, 5, 12, tzinfo=UTC)  # a Wednesday; default lessons: Mondays 10:00 UTC
MONDAY = datetime(2025, 3, 10, 10, 0, 30, tzinfo=UTC)
AUTHORIZE_URL = "https://slack.test/oauth/v2/authorize"
ROOT = Path(__file__).resolve().parents[2]


def multi_settings(fake: FakeSlack, **overrides: Any) -> dict[str, Any]:
    return {
        "slack_bot_token": None,
        "slack_client_id": fake.client_id,
        "slack_client_secret": fake.client_secret,
        "slack_oauth_authorize_url": AUTHORIZE_URL,
        **overrides,
    }


@asynccontextmanager
async def multi_bot(
    tmp_path: Path, catalog: Catalog, fake: FakeSlack, **overrides: Any
) -> AsyncIterator[BotServer]:
    settings = multi_settings(fake, **overrides)
    async with boot_bot(tmp_path, catalog, fake, clock=lambda: NOW, **settings) as server:
        assert server.services.settings.multi_workspace
        yield server


@pytest.fixture
async def bot(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[BotServer]:
    async with multi_bot(tmp_path, catalog, fake_slack) as server:
        yield server


async def start_install(bot: BotServer) -> tuple[str, dict[str, list[str]], str]:
    """GET /slack/install: the authorize URL's base, its query, and the state cookie."""
    assert bot.http is not None
    resp = await bot.http.get(f"{bot.url}/slack/install", allow_redirects=False)
    assert resp.status == 302, await resp.text()
    location = urlsplit(resp.headers["Location"])
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("slack-app-oauth-state=")
    return (
        f"{location.scheme}://{location.netloc}{location.path}",
        parse_qs(location.query),
        cookie.split(";")[0],
    )


async def install(bot: BotServer, fake: FakeSlack, grant: Grant, code: str) -> str:
    """The whole flow as a browser runs it; returns the success page."""
    assert bot.http is not None
    _, query, cookie = await start_install(bot)
    fake.grants[code] = grant
    resp = await bot.http.get(
        f"{bot.url}/slack/oauth_redirect",
        params={"code": code, "state": query["state"][0]},
        headers={"Cookie": cookie},
    )
    assert resp.status == 200, await resp.text()
    return await resp.text()


async def slash(bot: BotServer, text: str, team: str, **fields: str) -> dict[str, Any]:
    return await bot.slash(text, team_id=team, **fields)


async def uninstall(
    bot: BotServer, team: str, event_id: str, kind: str = "app_uninstalled"
) -> None:
    """Send the event and wait for its handler, which runs after Slack got its 200."""
    resp = await bot.post(uninstall_event(team, event_id, kind=kind), "application/json")
    assert resp.status == 200
    for _ in range(250):
        row = await store.get(bot.services.engine, team)
        if row is not None and row.status == store.UNINSTALLED:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{kind} for {team} was not handled")


def tokens_of(fake: FakeSlack, method: str) -> list[str | None]:
    return [call.token for call in fake.calls_to(method)]


# -- install ----------------------------------------------------------------------------------


async def test_install_redirects_to_the_authorize_url_with_the_manifests_scopes_and_a_state(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    base, query, cookie = await start_install(bot)
    assert base == AUTHORIZE_URL
    assert query["client_id"] == [fake_slack.client_id]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    state = query["state"][0]
    assert cookie == f"slack-app-oauth-state={state}"
    async with bot.services.engine.connect() as conn:
        states = (await conn.execute(select(store.slack_oauth_states.c.state))).scalars().all()
    assert states == [state]


async def test_the_home_page_offers_add_to_slack(bot: BotServer) -> None:
    assert bot.http is not None
    resp = await bot.http.get(f"{bot.url}/")
    assert resp.status == 200
    page = await resp.text()
    assert "Add to Slack" in page and 'href="/slack/install"' in page


def test_bot_scopes_are_the_http_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.http.yml").read_text(encoding="utf-8"))
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)


async def test_two_workspaces_install_and_each_is_stored(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    page = await install(bot, fake_slack, Grant("T111", "Acme"), "code-1")
    assert "MLOps is installed in Acme" in page
    assert "https://slack.com/app_redirect?app=A0FAKE&amp;team=T111" in page
    await install(bot, fake_slack, Grant("T222", "Globex"), "code-2")

    access = fake_slack.calls_to("oauth.v2.access")
    assert [c.args["code"] for c in access] == ["code-1", "code-2"]
    assert all(c.authorization and c.authorization.startswith("Basic ") for c in access)
    async with bot.services.engine.connect() as conn:
        bots = (await conn.execute(select(slack_bots.c.team_id, slack_bots.c.bot_token))).all()
        installs = (await conn.execute(select(slack_installations.c.team_id))).scalars().all()
    assert sorted(bots) == [("T111", "xoxb-T111-1"), ("T222", "xoxb-T222-2")]
    assert sorted(installs) == ["T111", "T222"]
    rows = {w.team_id: w for w in await store.list_all(bot.services.engine)}
    assert rows["T111"].team_name == "Acme" and rows["T111"].status == store.INSTALLED
    assert rows["T222"].installed_at == NOW


async def test_a_callback_without_its_state_installs_nothing(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    assert bot.http is not None
    await start_install(bot)
    fake_slack.grants["code-1"] = Grant("T111")
    resp = await bot.http.get(
        f"{bot.url}/slack/oauth_redirect",
        params={"code": "code-1", "state": "forged"},
        headers={"Cookie": "slack-app-oauth-state=forged"},
    )
    assert resp.status in (400, 401)
    assert fake_slack.calls_to("oauth.v2.access") == []


async def test_a_refused_code_shows_the_failure_page(bot: BotServer, fake_slack: FakeSlack) -> None:
    assert bot.http is not None
    _, query, cookie = await start_install(bot)
    resp = await bot.http.get(
        f"{bot.url}/slack/oauth_redirect",
        params={"code": "never-issued", "state": query["state"][0]},
        headers={"Cookie": cookie},
    )
    assert resp.status == 401
    assert await store.list_all(bot.services.engine) == []


# -- every request, job and post with the workspace's own token -------------------------------


async def test_a_slash_command_from_each_workspace_is_answered_with_its_own_token(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await install(bot, fake_slack, Grant("T222"), "code-2")
    fake_slack.calls.clear()

    # `/mlops admin` from a non-moderator asks users.info whether they are a workspace admin.
    first = await slash(bot, "admin", "T111", user_id="U111")
    second = await slash(bot, "admin", "T222", user_id="U222")
    assert "Only workspace admins" in str(first) and "Only workspace admins" in str(second)
    assert tokens_of(fake_slack, "users.info") == ["xoxb-T111-1", "xoxb-T222-2"]
    # Bolt's own authorisation checked each token once (auth.test), each with its own.
    assert set(tokens_of(fake_slack, "auth.test")) <= {"xoxb-T111-1", "xoxb-T222-2"}


async def test_weekly_lessons_are_posted_with_each_workspaces_token(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await install(bot, fake_slack, Grant("T222"), "code-2")
    await slash(bot, "subscribe", "T111", channel_id="C111")
    await slash(bot, "subscribe", "T222", channel_id="C222")
    fake_slack.calls.clear()

    report = await Digest(bot.services, sleep=Sleeps()).run_pass(MONDAY)

    assert len(report.posted) == 2
    by_channel = {c.args["channel"]: c.token for c in fake_slack.calls_to("chat.postMessage")}
    assert by_channel == {"C111": "xoxb-T111-1", "C222": "xoxb-T222-2"}


async def test_a_mention_is_answered_with_its_workspaces_token(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await install(bot, fake_slack, Grant("T222"), "code-2")
    payload = event_body(
        {"type": "app_mention", "user": "U1", "text": "<@UBOT> help", "channel": "C2", "ts": "1.1"},
        "EvMention",
    ).replace('"T111"', '"T222"')
    resp = await bot.post(payload, "application/json")
    assert resp.status == 200
    await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"))
    assert tokens_of(fake_slack, "chat.postEphemeral") == ["xoxb-T222-2"]


async def test_a_workspace_that_never_installed_gets_no_call_with_another_token(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    fake_slack.calls.clear()
    await slash(bot, "admin", "T999", user_id="U9")
    # Bolt finds no installation and tells the person at response_url to reinstall.
    assert "reinstall" in str(fake_slack.responses).lower()
    assert fake_slack.calls_to("users.info") == []


async def test_rotated_tokens_are_refreshed_before_they_expire(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    fake_slack.token_expires_in = 12 * 3600
    async with multi_bot(tmp_path, catalog, fake_slack, slack_token_rotation_minutes=60) as bot:
        await install(bot, fake_slack, Grant("T111"), "code-1")
        await slash(bot, "subscribe", "T111", channel_id="C111")
        async with bot.services.engine.begin() as conn:  # 12 h later: 30 minutes left
            soon = datetime.now(UTC).replace(tzinfo=None)
            await conn.execute(update(slack_bots).values(bot_token_expires_at=soon))
        # The subscribe's posting-rights check cached the token for a minute; 12 h later it
        # has long expired from the cache.
        assert bot.services.slack is not None and bot.services.slack.tokens is not None
        bot.services.slack.tokens.forget()  # type: ignore[attr-defined]
        fake_slack.calls.clear()

        report = await Digest(bot.services, sleep=Sleeps()).run_pass(MONDAY)

        assert len(report.posted) == 1
        refresh = fake_slack.calls_to("oauth.v2.access")
        assert [c.args.get("grant_type") for c in refresh] == ["refresh_token"]
        assert refresh[0].args["refresh_token"] == "xoxe-1-T111-1"
        assert set(tokens_of(fake_slack, "chat.postMessage")) == {"xoxb-T111-2"}
        async with bot.services.engine.connect() as conn:
            stored = (await conn.execute(select(slack_bots.c.bot_token))).scalars().all()
        assert stored == ["xoxb-T111-2"]


async def test_an_org_wide_install_serves_every_workspace_of_the_enterprise(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    grant = Grant("", enterprise_id="E100", enterprise_name="Initech", is_enterprise_install=True)
    page = await install(bot, fake_slack, grant, "code-org")
    assert "installed in Initech" in page
    async with bot.services.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(slack_bots.c.enterprise_id, slack_bots.c.team_id, slack_bots.c.bot_token)
            )
        ).all()
    assert rows == [("E100", None, "xoxb-E100-1")]

    grid = {"enterprise_id": "E100", "is_enterprise_install": "true"}
    await slash(bot, "subscribe", "T301", channel_id="C301", **grid)
    await slash(bot, "admin", "T302", user_id="U302", **grid)
    assert tokens_of(fake_slack, "users.info") == ["xoxb-E100-1"]

    # The digest knows only the team of a subscription: the enterprise was remembered.
    fake_slack.calls.clear()
    report = await Digest(bot.services, sleep=Sleeps()).run_pass(MONDAY)
    assert len(report.posted) == 1
    assert set(tokens_of(fake_slack, "chat.postMessage")) == {"xoxb-E100-1"}


async def test_workspaces_of_one_enterprise_installed_one_by_one_keep_their_own_tokens(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T500", enterprise_id="E5"), "code-a")
    await install(bot, fake_slack, Grant("T501", enterprise_id="E5"), "code-b")
    async with bot.services.engine.connect() as conn:
        rows = (await conn.execute(select(slack_bots.c.enterprise_id, slack_bots.c.team_id))).all()
    assert sorted(rows) == [("E5", "T500"), ("E5", "T501")]
    grid = {"enterprise_id": "E5", "is_enterprise_install": "false"}
    await slash(bot, "admin", "T501", user_id="U1", **grid)
    await slash(bot, "admin", "T500", user_id="U2", **grid)
    assert tokens_of(fake_slack, "users.info") == ["xoxb-T501-2", "xoxb-T500-1"]


# -- uninstall and re-install -----------------------------------------------------------------


def uninstall_event(team: str, event_id: str, *, kind: str = "app_uninstalled") -> str:
    event: dict[str, Any] = {"type": kind}
    if kind == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": ["UBOT"]}
    return event_body(event, event_id).replace('"T111"', f'"{team}"')


async def test_uninstall_stops_the_workspace_and_a_reinstall_resumes_it(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    engine = bot.services.engine
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await install(bot, fake_slack, Grant("T222"), "code-2")
    await slash(bot, "subscribe", "T111", channel_id="C111")
    await slash(bot, "subscribe", "T222", channel_id="C222")
    await slash(bot, "pause", "T111", channel_id="C112")  # not subscribed: nothing to keep
    assert bot.services.scheduler.get(weekly_job_id("T111", "C111")) is not None

    await uninstall(bot, "T111", "EvGone")

    sub = await subscriptions.get(engine, "T111", "C111")
    assert sub is not None and sub.status == subscriptions.SUSPENDED
    assert sub.status_reason == "the app was uninstalled"
    assert bot.services.scheduler.get(weekly_job_id("T111", "C111")) is None
    other = await subscriptions.get(engine, "T222", "C222")
    assert other is not None and other.active
    async with engine.connect() as conn:
        teams = (await conn.execute(select(slack_bots.c.team_id))).scalars().all()
    assert teams == ["T222"]
    row = await store.get(engine, "T111")
    assert row is not None and row.status == store.UNINSTALLED
    fake_slack.calls.clear()
    report = await Digest(bot.services, sleep=Sleeps()).run_pass(MONDAY)
    assert report.due == 1 and len(report.posted) == 1
    assert {c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")} == {"C222"}

    await install(bot, fake_slack, Grant("T111"), "code-3")

    sub = await subscriptions.get(engine, "T111", "C111")
    assert sub is not None and sub.active and sub.status_reason is None
    assert sub.next_lesson == 0  # where it was
    assert bot.services.scheduler.get(weekly_job_id("T111", "C111")) is not None
    row = await store.get(engine, "T111")
    assert row is not None and row.status == store.INSTALLED


async def test_an_org_wide_uninstall_stops_every_workspace_of_the_enterprise(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    grant = Grant("", enterprise_id="E100", is_enterprise_install=True)
    await install(bot, fake_slack, grant, "code-org")
    grid = {"enterprise_id": "E100", "is_enterprise_install": "true"}
    await slash(bot, "subscribe", "T301", channel_id="C301", **grid)
    await slash(bot, "subscribe", "T302", channel_id="C302", **grid)
    body = json.loads(uninstall_event("T301", "EvOrgGone"))
    body["enterprise_id"] = "E100"
    body["authorizations"] = [
        {"enterprise_id": "E100", "team_id": None, "user_id": "UBOT", "is_enterprise_install": True}
    ]
    resp = await bot.post(json.dumps(body), "application/json")
    assert resp.status == 200
    for _ in range(250):
        sub = await subscriptions.get(bot.services.engine, "T302", "C302")
        if sub is not None and not sub.active:
            break
        await asyncio.sleep(0.02)
    for team, channel in (("T301", "C301"), ("T302", "C302")):
        sub = await subscriptions.get(bot.services.engine, team, channel)
        assert sub is not None and sub.status_reason == "the app was uninstalled"
    async with bot.services.engine.connect() as conn:
        assert (await conn.execute(select(slack_bots.c.id))).first() is None

    await install(bot, fake_slack, grant, "code-org-2")
    for team, channel in (("T301", "C301"), ("T302", "C302")):
        sub = await subscriptions.get(bot.services.engine, team, channel)
        assert sub is not None and sub.active


async def test_a_reinstall_leaves_subscriptions_suspended_for_other_reasons(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    engine = bot.services.engine
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await slash(bot, "subscribe", "T111", channel_id="C111")
    await subscriptions.set_status(
        engine, "T111", "C111", subscriptions.SUSPENDED, now=NOW, reason="is_archived"
    )
    await uninstall(bot, "T111", "EvGone")
    await install(bot, fake_slack, Grant("T111"), "code-2")
    sub = await subscriptions.get(engine, "T111", "C111")
    assert sub is not None and sub.status_reason == "is_archived"


async def test_a_revoked_bot_token_stops_the_workspace_like_an_uninstall(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await slash(bot, "subscribe", "T111", channel_id="C111")
    await uninstall(bot, "T111", "EvRevoked", kind="tokens_revoked")
    sub = await subscriptions.get(bot.services.engine, "T111", "C111")
    assert sub is not None and sub.status == subscriptions.SUSPENDED
    async with bot.services.engine.connect() as conn:
        assert (await conn.execute(select(slack_bots.c.id))).first() is None


async def test_single_workspace_mode_ignores_uninstall_events(
    bot_server: BotServer, fake_slack: FakeSlack
) -> None:
    await bot_server.slash("subscribe")
    resp = await bot_server.post(uninstall_event("T111", "EvGone"), "application/json")
    assert resp.status == 200
    await asyncio.sleep(0.2)
    sub = await subscriptions.get(bot_server.services.engine, "T111", "C111")
    assert sub is not None and sub.active


# -- mlops-bot workspaces ---------------------------------------------------------------------


async def test_workspaces_lists_installs_with_channels_and_status(
    bot: BotServer, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    await install(bot, fake_slack, Grant("T111", "Acme"), "code-1")
    await install(bot, fake_slack, Grant("T222", "Globex"), "code-2")
    await slash(bot, "subscribe", "T111", channel_id="C111")
    await slash(bot, "subscribe", "T111", channel_id="C112")
    await slash(bot, "subscribe", "T222", channel_id="C222")
    await uninstall(bot, "T222", "EvGone")
    capsys.readouterr()

    args = cli.build_parser().parse_args(["workspaces"])
    assert await workspaces.cmd_workspaces(args, bot.services) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TEAM", "NAME", "INSTALLED", "AT", "CHANNELS", "STATUS"]
    assert lines[1].split() == ["T111", "Acme", "2025-03-05", "12:00", "UTC", "2", "installed"]
    assert lines[2].split() == ["T222", "Globex", "2025-03-05", "12:00", "UTC", "0", "uninstalled"]


def test_workspaces_is_a_command_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setattr(cli, "configure_logging", lambda *args, **kwargs: None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert cli.main(["workspaces"]) == 0
    assert "no workspaces yet" in capsys.readouterr().out


def test_multi_workspace_mode_is_client_id_and_secret_without_a_bot_token(tmp_path: Path) -> None:
    oauth = {"slack_client_id": "111.222", "slack_client_secret": "shh"}
    multi = make_settings(tmp_path, slack_bot_token=None, **oauth)
    assert multi.multi_workspace and multi.missing_for_serve() == []
    unsigned = make_settings(tmp_path, slack_bot_token=None, slack_signing_secret=None, **oauth)
    assert unsigned.missing_for_serve() == [
        "SLACK_SIGNING_SECRET (multi-workspace mode is HTTP only)"
    ]
    assert not make_settings(tmp_path, **oauth).multi_workspace  # a bot token: one workspace
    assert not make_settings(tmp_path, slack_bot_token=None).multi_workspace


async def test_reports_for_every_workspace_go_to_each_installed_workspaces_review_channel(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    await install(bot, fake_slack, Grant("T111"), "code-1")
    await install(bot, fake_slack, Grant("T222"), "code-2")
    await install(bot, fake_slack, Grant("T333"), "code-3")
    fake_slack.users["UOWN"] = {"is_owner": True}
    await slash(bot, "admin review-channel <#CREV1>", "T111", user_id="UOWN")
    await slash(bot, "admin review-channel <#CREV3>", "T333", user_id="UOWN")
    await uninstall(bot, "T333", "EvGone")
    assert await review_channels(bot.services) == [("T111", "CREV1")]


async def test_one_workspace_reports_to_mlops_review_channel(
    tmp_path: Path, catalog: Catalog
) -> None:
    async with boot_bot(tmp_path, catalog, None, review_channel="CENV") as server:
        assert await review_channels(server.services) == [("", "CENV")]


async def test_install_tokens_uninstall_and_reinstall_on_postgresql(
    tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog, pg_url: str
) -> None:
    async with multi_bot(tmp_path, catalog, fake_slack, database_url=pg_url) as bot:
        await install(bot, fake_slack, Grant("T111", "Acme"), "code-1")
        await install(bot, fake_slack, Grant("T222", "Globex"), "code-2")
        await slash(bot, "admin", "T111", user_id="U1")
        await slash(bot, "admin", "T222", user_id="U2")
        assert tokens_of(fake_slack, "users.info") == ["xoxb-T111-1", "xoxb-T222-2"]
        await slash(bot, "subscribe", "T111", channel_id="C111")
        await uninstall(bot, "T111", "EvGone")
        sub = await subscriptions.get(bot.services.engine, "T111", "C111")
        assert sub is not None and sub.status == subscriptions.SUSPENDED
        await install(bot, fake_slack, Grant("T111", "Acme"), "code-3")
        sub = await subscriptions.get(bot.services.engine, "T111", "C111")
        assert sub is not None and sub.active
        rows = {w.team_id: w for w in await store.list_all(bot.services.engine)}
        assert rows["T111"].status == store.INSTALLED and rows["T222"].team_name == "Globex"
