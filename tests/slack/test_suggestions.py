"""`/mlops suggest` to moderation to search and the weekly listing, through the signed endpoint.

The bot's real aiohttp app talks to the loopback fake Slack; links point at a loopback page
server, reached because the tests allow 127.0.0.1 in MLOPS_FETCH_ALLOW_HOSTS.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.blocks import suggestions as suggestion_blocks
from bot.core.catalog import Catalog
from bot.core.content import load_catalog
from bot.fetch import TitleFetcher
from bot.store import suggestions as suggestion_store
from bot.store.schema import suggestions as table
from tests.conftest import BotServer, boot_bot
from tests.digest_helpers import digest, lesson_roots, subscribe
from tests.fakes.pages import PageServer, resolver_from
from tests.fakes.signing import view_body
from tests.fakes.slack_api import FakeSlack
from tests.slack.test_search_commands import all_text, buttons, visible_text

ADMIN, ADMIN2, ADA, BOB = "UADMIN", "UADMIN2", "U222", "U333"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass
class Env:
    bot: BotServer
    pages: PageServer
    fake: FakeSlack
    tmp_path: Path

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.bot.services

    async def rows(self) -> list[Any]:
        async with self.services.engine.connect() as conn:
            return list((await conn.execute(select(table).order_by(table.c.id))).all())

    async def count(self) -> int:
        async with self.services.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())

    async def suggest(self, text: str, user: str = ADA) -> tuple[dict[str, Any], dict[str, Any]]:
        """Run `/mlops suggest …`; return the ack and the follow-up sent to response_url."""
        before = len(self.fake.responses)
        ack = await self.bot.slash(f"suggest {text}", user_id=user)
        assert ack["text"] == "Checking the link…", ack
        await self.fake.wait_for(lambda: len(self.fake.responses) > before)
        return ack, self.fake.responses[before]

    def review_messages(self) -> list[dict[str, Any]]:
        return self.fake.posted("CREVIEW")

    async def click(self, action_id: str, value: str, user: str, **kw: Any) -> None:
        resp = await self.bot.click(action_id, value, user=user, **kw)
        assert resp.status == 200

    async def submit_reject(self, suggestion_id: str, user: str, reason: str | None) -> Any:
        body = view_submission(suggestion_blocks.REJECT_CALLBACK, suggestion_id, reason, user)
        resp = await self.bot.post(body, "application/x-www-form-urlencoded")
        assert resp.status == 200
        raw = await resp.text()
        return json.loads(raw) if raw else None


def view_submission(callback_id: str, metadata: str, reason: str | None, user: str) -> str:
    """The reject modal's view_submission (tests/fixtures/slack/view_submission.json)."""
    return view_body(callback_id, {suggestion_blocks.REASON_BLOCK: reason or ""}, metadata, user)


Starter = Callable[..., Awaitable[Env]]


@pytest.fixture
async def start(tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog) -> AsyncIterator[Starter]:
    """Start the bot with moderators, a review channel and the page server allowed."""
    async with PageServer() as pages, AsyncExitStack() as stack:

        async def starter(fetcher: TitleFetcher | None = None, **overrides: Any) -> Env:
            values = {
                "admins": f"{ADMIN},{ADMIN2}",
                "review_channel": "CREVIEW",
                "fetch_allow_hosts": pages.origin,
            }
            values.update(overrides)
            bot = await stack.enter_async_context(
                boot_bot(tmp_path, catalog, fake_slack, fetcher=fetcher, **values)
            )
            return Env(bot, pages, fake_slack, tmp_path)

        yield starter


@pytest.fixture
async def env(start: Starter) -> Env:
    return await start()


# ------------------------------------------------------------------------------ happy path


async def test_suggestion_to_review_to_search_and_weekly_listing(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    # A channel subscribed to weekly lessons before the suggestion; its next post is tomorrow.
    tomorrow = before + timedelta(days=1)
    await subscribe(env.services, "CLEARN", DAYS[tomorrow.weekday()], "10:00", "UTC", before)
    url = env.pages.url("/post")
    _, follow = await env.suggest(f"<{url}> serving monitoring great intro to canary releases")

    assert follow["response_type"] == "ephemeral"
    assert (
        "Thanks, sent for review: *Canary releases, explained &amp; compared*"
        " (serving, monitoring)" in visible_text(follow)
    )
    [review] = env.review_messages()
    shown = visible_text(review)
    assert f"<{url}|Canary releases, explained &amp; compared>" in shown
    assert "Suggested by <@U222>" in shown
    assert "Model serving" in shown and "great intro to canary releases" in shown
    actions = buttons(review)
    assert set(actions) == {suggestion_blocks.ACTION_APPROVE, suggestion_blocks.ACTION_REJECT}
    [row] = await env.rows()
    assert (row.status, row.review_channel, row.review_ts) == ("pending", "CREVIEW", review["ts"])
    assert (row.topics, row.note, row.fetch_ok) == (
        "serving monitoring",
        "great intro to canary releases",
        True,
    )

    await env.click(
        suggestion_blocks.ACTION_APPROVE, actions[suggestion_blocks.ACTION_APPROVE], ADMIN, channel="CREVIEW",
        message_ts=review["ts"],
    )  # fmt: skip
    await env.fake.wait_for(lambda: env.fake.posted(ADA))
    [update] = env.fake.calls_to("chat.update")
    assert update.args["ts"] == review["ts"] and update.args["channel"] == "CREVIEW"
    assert "Approved by <@UADMIN>" in visible_text(update.args)
    assert not buttons(update.args)
    [dm] = env.fake.posted(ADA)
    assert "was approved by <@UADMIN>" in visible_text(dm) and "/mlops serving" in visible_text(dm)
    [row] = await env.rows()
    assert (row.status, row.decided_by) == ("approved", ADMIN)

    # Searchable at once, marked as suggested by the team.
    ack = await env.bot.slash("Canary releases, explained & compared")
    assert url in all_text(ack) and "suggested by the team" in visible_text(ack)
    serving = [
        hit.resource.url
        for offset in range(0, 100, 50)
        for hit in env.services.index.search("serving", limit=50, offset=offset).hits
    ]
    assert url in serving

    # The weekly post's "New from the community" reads this.
    [resource] = await suggestion_store.approved_since(env.services.engine, before)
    assert resource.url == url and resource.community
    assert resource.topics == ("serving", "monitoring")
    assert "great intro to canary releases" in resource.summary
    assert await suggestion_store.approved_since(env.services.engine, datetime.now(UTC)) == []
    await digest(env.services).run_pass(tomorrow.replace(hour=10, minute=0, second=30))
    [lesson] = lesson_roots(env.fake, "CLEARN")
    weekly = visible_text(lesson)
    assert "New from the community" in weekly
    assert f"<{url}|Canary releases, explained &amp; compared>" in weekly
    assert "great intro to canary releases" in weekly

    # `mlops-bot search` reads the same database.
    monkeypatch.setenv("DATABASE_URL", env.services.settings.database_url)
    monkeypatch.setenv("SLACK_API_URL", env.services.settings.slack_api_url)
    monkeypatch.chdir(env.tmp_path)
    capsys.readouterr()
    assert (
        await asyncio.to_thread(
            cli.main, ["search", "Canary releases, explained & compared", "--json"]
        )
        == 0
    )
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["url"] == url and hits[0]["community"] is True


async def test_approved_resources_survive_a_restart(start: Starter) -> None:
    env = await start()
    url = env.pages.url("/post")
    await env.suggest(f"{url} serving")
    [row] = await env.rows()
    await env.click(suggestion_blocks.ACTION_APPROVE, str(row.id), ADMIN)
    await env.fake.wait_for(lambda: env.fake.posted(ADA))

    again = await start()  # a second process on the same database
    assert again.services.catalog.by_url(url) is not None
    assert url in all_text(await again.bot.slash("Canary releases, explained & compared"))


async def test_reject_asks_for_a_reason_and_tells_the_suggester(env: Env) -> None:
    await env.suggest(env.pages.url("/post") + " serving")
    [review] = env.review_messages()
    sid = buttons(review)[suggestion_blocks.ACTION_REJECT]

    await env.click(
        suggestion_blocks.ACTION_REJECT, sid, ADMIN, channel="CREVIEW", message_ts=review["ts"]
    )
    await env.fake.wait_for(lambda: env.fake.calls_to("views.open"))
    [opened] = env.fake.calls_to("views.open")
    view = opened.args["view"]
    assert (
        view["callback_id"] == suggestion_blocks.REJECT_CALLBACK and view["private_metadata"] == sid
    )
    assert (await env.rows())[0].status == "pending"  # opening the modal decides nothing

    assert await env.submit_reject(sid, ADMIN, "Paywalled <!channel>") is None
    await env.fake.wait_for(lambda: env.fake.posted(ADA))
    [update] = env.fake.calls_to("chat.update")
    assert "Rejected by <@UADMIN>: Paywalled &lt;!channel&gt;" in visible_text(update.args)
    assert not buttons(update.args)
    [dm] = env.fake.posted(ADA)
    assert "was not added" in visible_text(dm) and "Reason: Paywalled &lt;!channel&gt;" in (
        visible_text(dm)
    )
    assert "<!channel>" not in all_text(dm)
    [row] = await env.rows()
    assert (row.status, row.decided_by, row.reason) == ("rejected", ADMIN, "Paywalled <!channel>")
    assert env.services.catalog.by_url(row.url) is None

    # Suggesting it again says where it is and stores nothing.
    ack = await env.bot.slash("suggest " + env.pages.url("/post/"), user_id=BOB)
    assert "a moderator decided not to add it" in visible_text(ack)
    assert await env.count() == 1


async def test_reject_without_a_reason(env: Env) -> None:
    await env.suggest(env.pages.url("/post"))
    [row] = await env.rows()
    assert await env.submit_reject(str(row.id), ADMIN2, None) is None
    await env.fake.wait_for(lambda: env.fake.posted(ADA))
    assert "Rejected by <@UADMIN2>" in visible_text(env.fake.calls_to("chat.update")[0].args)
    assert "Reason" not in visible_text(env.fake.posted(ADA)[0])


# ------------------------------------------------------------------------------ moderation rules


async def test_only_moderators_can_review(env: Env) -> None:
    await env.suggest(env.pages.url("/post"))
    [row] = await env.rows()
    for action in (suggestion_blocks.ACTION_APPROVE, suggestion_blocks.ACTION_REJECT):
        await env.click(action, str(row.id), BOB, channel="CREVIEW", message_ts="1.1")
    await env.fake.wait_for(lambda: len(env.fake.responses) >= 3)
    for denied in env.fake.responses[1:]:
        assert denied["response_type"] == "ephemeral" and denied["replace_original"] is False
        assert "Only moderators can review suggestions." in visible_text(denied)
    # A forged modal submission is refused too.
    answer = await env.submit_reject(str(row.id), BOB, "nope")
    assert answer["response_action"] == "update"
    assert "Only moderators" in all_text(answer["view"])
    assert not env.fake.calls_to("chat.update") and not env.fake.calls_to("views.open")
    assert not env.fake.posted(ADA)
    assert (await env.rows())[0].status == "pending"


async def test_two_moderators_at_once_make_one_decision(env: Env) -> None:
    await env.suggest(env.pages.url("/post") + " serving")
    [row] = await env.rows()
    before = len(env.fake.responses)
    _, rejected, _ = await asyncio.gather(
        env.click(
            suggestion_blocks.ACTION_APPROVE,
            str(row.id),
            ADMIN,
            channel="CREVIEW",
            message_ts="1.1",
        ),
        env.submit_reject(str(row.id), ADMIN2, "dup"),
        env.click(
            suggestion_blocks.ACTION_APPROVE,
            str(row.id),
            ADMIN2,
            channel="CREVIEW",
            message_ts="1.1",
        ),
    )
    reject_lost = rejected is not None and "Already decided" in all_text(rejected["view"])

    def late() -> int:
        return sum("Already decided" in visible_text(r) for r in env.fake.responses[before:])

    # Exactly one of the three wins; the other two are told who decided.
    await env.fake.wait_for(lambda: late() + reject_lost == 2 and env.fake.posted(ADA))
    [row] = await env.rows()
    assert row.status == ("approved" if reject_lost else "rejected")
    assert len(env.fake.calls_to("chat.update")) == 1
    assert len(env.fake.posted(ADA)) == 1


async def test_a_late_click_says_who_decided(env: Env) -> None:
    await env.suggest(env.pages.url("/post"))
    [row] = await env.rows()
    await env.click(
        suggestion_blocks.ACTION_APPROVE, str(row.id), ADMIN, channel="CREVIEW", message_ts="1.1"
    )
    await env.fake.wait_for(lambda: env.fake.posted(ADA))
    await env.click(
        suggestion_blocks.ACTION_REJECT, str(row.id), ADMIN2, channel="CREVIEW", message_ts="1.1"
    )
    await env.fake.wait_for(lambda: len(env.fake.responses) >= 2)
    assert "Already decided. :white_check_mark: Approved by <@UADMIN>" in visible_text(
        env.fake.responses[-1]
    )
    answer = await env.submit_reject(str(row.id), ADMIN2, "late")
    assert "Already decided" in all_text(answer["view"])
    assert len(env.fake.calls_to("chat.update")) == 1 and not env.fake.calls_to("views.open")


async def test_pending_list_for_moderators_only(env: Env) -> None:
    await env.suggest(env.pages.url("/post") + " serving")
    await env.suggest(env.pages.url("/other"), user=BOB)
    listing = await env.bot.slash("suggestions", user_id=ADMIN)
    text = visible_text(listing)
    assert "2 suggestions waiting for review" in text
    assert "Canary releases" in text and "Another post" in text
    assert sum(1 for b in listing["blocks"] if b["type"] == "actions") == 2

    denied = await env.bot.slash("suggestions", user_id=BOB)
    assert visible_text(denied).strip().endswith("Only moderators can review suggestions.")

    # Approving from the list confirms to the moderator (the list itself is ephemeral).
    [first, _] = await env.rows()
    await env.click(suggestion_blocks.ACTION_APPROVE, str(first.id), ADMIN)
    await env.fake.wait_for(lambda: env.fake.posted(ADA))
    await env.fake.wait_for(lambda: "Approved by" in visible_text(env.fake.responses[-1]))
    listing = await env.bot.slash("suggestions", user_id=ADMIN)
    assert "1 suggestion waiting for review" in visible_text(listing)


# ------------------------------------------------------------------------------ fetch outcomes


async def test_a_failed_fetch_still_records_the_suggestion_by_its_url(env: Env) -> None:
    url = env.pages.url("/json")
    _, follow = await env.suggest(f"{url} serving")
    text = visible_text(follow)
    assert f"Thanks, sent for review: *{url}* (serving)" in text
    assert "couldn't fetch the page title (the link is not an HTML page)" in text
    [row] = await env.rows()
    assert (row.title, row.fetch_ok) == (url, False)
    assert "couldn't be fetched" in visible_text(env.review_messages()[0])


async def test_a_name_resolving_to_a_private_address_is_never_fetched(start: Starter) -> None:
    fetcher = TitleFetcher({"127.0.0.1"}, resolver=resolver_from({"wiki.test": ["10.0.0.5"]}))
    env = await start(fetcher=fetcher)
    _, follow = await env.suggest("http://wiki.test/secret monitoring")
    assert "private or local network address" in visible_text(follow)
    [row] = await env.rows()
    assert row.title == "http://wiki.test/secret" and not row.fetch_ok


async def test_page_titles_are_escaped_everywhere(env: Env) -> None:
    _, follow = await env.suggest(env.pages.url("/pingy"))
    [review] = env.review_messages()
    for payload in (follow, review):
        assert "&lt;!channel&gt; free pizza &lt;b&gt;now&lt;/b&gt;" in visible_text(payload)
        assert "<!channel>" not in all_text(payload)


# ------------------------------------------------------------------------------ refusals


BAD_INPUT = [
    ("", "Which link would you like to suggest?"),
    ("not-a-link serving", "doesn't look like a link"),
    ("javascript:alert(1)", "Only http and https"),
    ("<javascript:alert(1)|totally safe>", "Only http and https"),
    ("file:///etc/passwd", "Only http and https"),
    ("https://user:secret@example.org/post", "user name or password"),
    ("https://example.org/" + "a" * 2100, "too long"),
    ("https://example.org/post " + "x" * 10_000, "too long"),
    ("https://example.org/post serving <!here> read this", "mentions"),
    ("<!channel>", "mentions"),
    ("https://example.org/post " + "n" * 400, "under 300"),
    ("http://169.254.169.254/latest/meta-data/", "private or local"),
    ("http://[::ffff:127.0.0.2]/", "private or local"),
]


@pytest.mark.parametrize(("text", "message"), BAD_INPUT)
async def test_bad_input_is_refused_without_a_trace(env: Env, text: str, message: str) -> None:
    ack = await env.bot.slash(f"suggest {text}")
    assert ack["response_type"] == "ephemeral"
    assert message in visible_text(ack)
    assert "<!here>" not in all_text(ack) and "<!channel>" not in all_text(ack)
    assert await env.count() == 0
    assert not env.fake.responses and not env.review_messages()
    assert env.pages.hits == []


async def test_duplicates_say_where_the_resource_already_is(env: Env) -> None:
    # In the catalog, spelled differently.
    known = next(iter(env.services.catalog.resources.values()))
    variant = known.url.replace("https://", "HTTP://", 1).rstrip("/") + "/?utm_source=slack#top"
    ack = await env.bot.slash(f"suggest {variant} serving")
    assert "already in the catalog" in visible_text(ack)
    assert f"/mlops {known.primary_topic}" in visible_text(ack)

    # Pending.
    await env.suggest(env.pages.url("/post"))
    ack = await env.bot.slash("suggest " + env.pages.url("/post/?utm_campaign=x#frag"), user_id=BOB)
    assert "already suggested and is waiting for review" in visible_text(ack)
    assert await env.count() == 1
    assert len(env.review_messages()) == 1


async def test_the_same_link_twice_at_once_is_stored_once(env: Env) -> None:
    url = env.pages.url("/post")
    results = await asyncio.gather(
        env.bot.slash(f"suggest {url}", user_id=ADA), env.bot.slash(f"suggest {url}/", user_id=BOB)
    )
    checking = [r for r in results if r["text"] == "Checking the link…"]
    # If the first suggestion is stored before the second is checked, the second is refused at
    # once; otherwise the database's unique key refuses it after the fetch. Either way: one row.
    assert checking
    for refused in (r for r in results if r not in checking):
        assert "already" in visible_text(refused) or "moment ago" in visible_text(refused)
    await env.fake.wait_for(lambda: len(env.fake.responses) >= len(checking))
    texts = [visible_text(r) for r in env.fake.responses]
    assert sum("Thanks, sent for review" in t for t in texts) == 1
    if len(checking) == 2:
        assert any("suggested a moment ago" in t for t in texts)
    assert await env.count() == 1
    assert len(env.review_messages()) == 1


async def test_daily_limit_per_user(start: Starter) -> None:
    env = await start(suggest_limit=2)
    await env.suggest(env.pages.url("/post"))
    await env.suggest(env.pages.url("/other"))
    ack = await env.bot.slash("suggest " + env.pages.url("/pingy"))
    assert "You've made 2 suggestions in the last 24 hours" in visible_text(ack)
    assert await env.count() == 2
    # Someone else still can.
    await env.suggest(env.pages.url("/pingy"), user=BOB)
    assert await env.count() == 3


async def test_review_channel_failure_keeps_the_suggestion(env: Env) -> None:
    env.fake.fail_next("chat.postMessage", error="not_in_channel")
    _, follow = await env.suggest(env.pages.url("/post"))
    assert "Thanks, sent for review" in visible_text(follow)
    [row] = await env.rows()
    assert row.status == "pending" and row.review_ts is None
    listing = await env.bot.slash("suggestions", user_id=ADMIN)
    assert "Canary releases" in visible_text(listing)


# ------------------------------------------------------------------------------ export


async def test_export_writes_a_content_file_that_validates(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from bot.core.content import BUNDLED_CONTENT

    for path, topics in (("/post", "serving monitoring great: intro, 'quoted'"), ("/json", "")):
        await env.suggest(f"{env.pages.url(path)} {topics}".strip())
    await env.suggest(env.pages.url("/other"))
    rows = await env.rows()
    for row in rows[:2]:
        await env.click(suggestion_blocks.ACTION_APPROVE, str(row.id), ADMIN)
    await env.fake.wait_for(lambda: len(env.fake.posted(ADA)) == 2)

    content = env.tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, content)
    out = content / "topics" / "community.yml"
    monkeypatch.setenv("DATABASE_URL", env.services.settings.database_url)
    monkeypatch.setenv("MLOPS_CONTENT_DIR", str(content))
    monkeypatch.chdir(env.tmp_path)
    assert await asyncio.to_thread(cli.main, ["suggestions", "export", "--out", str(out)]) == 0
    assert await asyncio.to_thread(cli.main, ["validate"]) == 0
    catalog = load_catalog(content)
    exported = [r for r in catalog.resources.values() if r.community]
    assert sorted(r.url for r in exported) == sorted(r.url for r in rows[:2])
    by_url = {r.url: r for r in exported}
    first = by_url[rows[0].url]
    assert first.topics == ("serving", "monitoring")
    assert first.summary == "Suggested by the team: great: intro, 'quoted'"
    assert by_url[rows[1].url].topics == ("mlops-overview",)

    # Exporting again over the same file gives the same file.
    before = out.read_text(encoding="utf-8")
    assert await asyncio.to_thread(cli.main, ["suggestions", "export", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == before
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, ["suggestions", "export"]) == 0
    assert capsys.readouterr().out == before


# ------------------------------------------------------------------------------ console


async def test_suggest_works_in_the_console(env: Env) -> None:

    text = await env.bot.console().handle(f"/mlops suggest {env.pages.url('/post')} serving")
    assert "Checking the link…" in text
    assert "Thanks, sent for review: *Canary releases, explained & compared* (serving)" in text
    assert (await env.rows())[0].user_id == "U0CONSOLE"
