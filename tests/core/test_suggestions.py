"""Parsing and checking `/mlops suggest` input, addresses, ids and the export format."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import suggestions as suggestion_rules
from bot.core.addresses import is_public
from bot.core.catalog import Catalog
from bot.core.content import BUNDLED_CONTENT, load_catalog
from bot.core.models import Kind, Resource
from bot.core.urls import normalise_url


def parse(
    text: str, catalog: Catalog, allow: tuple[tuple[str, int], ...] = ()
) -> suggestion_rules.Suggestion:
    return suggestion_rules.parse_suggestion(text, catalog.topics, allow)


def test_url_topics_and_note(catalog: Catalog) -> None:
    s = parse("https://example.org/post serving monitoring great intro to canary releases", catalog)
    assert s.url == "https://example.org/post"
    assert s.topics == ("serving", "monitoring")
    assert s.note == "great intro to canary releases"
    assert s.url_key == normalise_url("https://example.org/post")


def test_slack_wrapped_links_and_escapes_are_undone(catalog: Catalog) -> None:
    s = parse("<https://example.org/a?x=1&amp;y=2|example.org/a> serving", catalog)
    assert s.url == "https://example.org/a?x=1&y=2"
    assert s.topics == ("serving",)
    assert parse("<https://example.org/b>", catalog).url == "https://example.org/b"


def test_topics_by_alias_including_multi_word_ones(catalog: Catalog) -> None:
    s = parse("https://example.org/p model serving drift tips &amp; tricks", catalog)
    assert s.topics == ("serving", "drift")
    assert s.note == "tips & tricks"


def test_unknown_words_go_to_the_note(catalog: Catalog) -> None:
    s = parse("https://example.org/p a gentle intro to serving", catalog)
    assert s.topics == ()
    assert s.note == "a gentle intro to serving"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Which link"),
        ("serving is great", "doesn't look like a link"),
        ("example.org/post", "doesn't look like a link"),
        ("javascript:alert(1)", "Only http and https"),
        ("<javascript:alert(1)|click me>", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.org/x", "Only http and https"),
        ("https://user:pw@example.org/", "user name or password"),
        ("https://token@example.org/", "user name or password"),
        ("https://", "no host"),
        ("https:example.org", "valid link"),
        ("https://example.org:99999/", "valid link"),
        ("https://example.org/" + "a" * 2100, "too long"),
        ("https://example.org/" + "a" * 2020 + " " + "n" * 9000, "too long"),
        ("https://example.org/p serving " + "n" * 301, "under 300"),
        ("https://example.org/p great <!here>", "mentions"),
        ("https://example.org/p ping <!channel> and <@U123>", "mentions"),
        ("https://example.org/p @everyone look", "mentions"),
        ("https://example.org/p see &lt;!here&gt;", "mentions"),
        ("<!here>", "mentions"),
        ("http://127.0.0.1:8080/admin", "private or local"),
        ("http://169.254.169.254/latest/meta-data/", "private or local"),
        ("http://[::ffff:10.0.0.1]/", "private or local"),
        ("http://localhost/", "private or local"),
        ('https://example.org/"onmouseover', "characters"),
    ],
)
def test_bad_input_is_refused_clearly(catalog: Catalog, text: str, needle: str) -> None:
    with pytest.raises(suggestion_rules.InvalidSuggestion) as info:
        parse(text, catalog)
    assert needle in info.value.message
    assert "<" not in info.value.message.replace("`", "")


def test_allowed_internal_hosts_may_be_suggested(catalog: Catalog) -> None:
    s = parse("http://127.0.0.1:8080/wiki/page serving", catalog, (("127.0.0.1", 8080),))
    assert s.url == "http://127.0.0.1:8080/wiki/page"


def test_duplicates_share_a_key() -> None:
    keys = {
        normalise_url(u)
        for u in (
            "https://example.org/post",
            "HTTP://WWW.Example.org/post/",
            "https://example.org/post#intro",
            "https://example.org/post?utm_source=x&utm_medium=y",
        )
    }
    assert len(keys) == 1
    assert len(suggestion_rules.url_hash(keys.pop())) == 64


def test_daily_limit() -> None:
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert suggestion_rules.limit_window_start(now) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert not suggestion_rules.over_limit(9, 10)
    assert suggestion_rules.over_limit(10, 10)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.1.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::a00:1", False),
        ("2002:a00:1::", False),  # 6to4 wrapping 10.0.0.1
        ("not an address", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_clean_title() -> None:
    assert suggestion_rules.clean_title("  a\n\tb ", "https://x.org") == "a b"
    assert suggestion_rules.clean_title(None, "https://x.org") == "https://x.org"
    assert (
        len(suggestion_rules.clean_title("t" * 500, "https://x.org")) == suggestion_rules.MAX_TITLE
    )


def test_resource_ids_are_slugs() -> None:
    assert (
        suggestion_rules.resource_id(7, "Canary releases, explained!")
        == "community-7-canary-releases-explained"
    )
    assert suggestion_rules.resource_id(8, "模型服务") == "community-8"
    assert len(suggestion_rules.resource_id(9, "x " * 100)) <= 80


def test_guess_kind() -> None:
    assert suggestion_rules.guess_kind("https://www.youtube.com/watch?v=1") is Kind.VIDEO
    assert suggestion_rules.guess_kind("https://arxiv.org/abs/1234") is Kind.PAPER
    assert suggestion_rules.guess_kind("https://github.com/x/awesome-mlops") is Kind.LIST
    assert suggestion_rules.guess_kind("https://github.com/x/tool") is Kind.TOOL
    assert suggestion_rules.guess_kind("https://example.org/post") is Kind.ARTICLE


def test_export_is_a_content_file_the_loader_accepts(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, content)
    resources = [
        Resource(
            id="community-1-canary-releases",
            title="Canary releases: <b>explained</b> & compared",
            url="https://example.org/post?a=1&b=2",
            kind=Kind.ARTICLE,
            topics=("serving", "monitoring"),
            summary="Suggested by the team: great intro: 'quotes' and \"more\"",
            community=True,
        )
    ]
    (content / "topics" / "community.yml").write_text(
        suggestion_rules.export_document(resources), encoding="utf-8"
    )
    loaded = load_catalog(content)
    assert loaded.resource("community-1-canary-releases") == resources[0]


def test_at_signs_inside_links_are_not_mentions(catalog: Catalog) -> None:
    assert parse("https://medium.com/@here/post serving", catalog).topics == ("serving",)
