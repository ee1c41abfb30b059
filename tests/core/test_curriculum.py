"""The curriculum: lesson by position, next position, seasons; the lesson files themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.blocks import MAX_BLOCKS, MAX_SECTION
from bot.blocks.lessons import build_lesson, build_question
from bot.blocks.quiz import build_recap
from bot.core import curriculum
from bot.core.catalog import Catalog
from bot.core.content import ContentError, load_catalog
from bot.core.models import Kind, Lesson, Resource
from bot.core.quiz import Recap, tally


def test_positions_advance_and_wrap_into_a_new_season(catalog: Catalog) -> None:
    total = len(catalog.lessons)
    assert total == 52
    assert curriculum.advance(0, 1, total) == (1, 1)
    assert curriculum.advance(total - 1, 1, total) == (0, 2)
    first = curriculum.pick(catalog.lessons, 0, 1)
    assert first.number == 1 and not first.new_season
    again = curriculum.pick(catalog.lessons, 0, 2)
    assert again.lesson == first.lesson and again.new_season


def test_a_shrunken_curriculum_wraps(catalog: Catalog) -> None:
    pick = curriculum.pick(catalog.lessons[:5], 7, 1)
    assert (pick.position, pick.season, pick.new_season) == (0, 2, True)


def test_by_number(catalog: Catalog) -> None:
    assert curriculum.by_number(catalog.lessons, 7) == catalog.lessons[6]
    assert curriculum.by_number(catalog.lessons, 0) is None
    assert curriculum.by_number(catalog.lessons, 53) is None


def _recap(lesson: Lesson) -> Recap:
    counts = {q.id: (9, n) for n, q in enumerate(lesson.quiz)}
    return Recap(lesson.title, 7, "https://fake.slack.com/archives/C1/p12", 12, 5,
                 tally(lesson, 9, counts))  # fmt: skip


def test_every_lesson_renders_within_block_kit_limits(catalog: Catalog) -> None:
    community = [
        Resource(
            id="community-1",
            title="<!channel> & friends",
            url="https://example.org/post",
            kind=Kind.ARTICLE,
            topics=("serving",),
            summary="Suggested by the team.",
            community=True,
        )
    ]
    for position in range(len(catalog.lessons)):
        pick = curriculum.pick(catalog.lessons, position, 2)
        opening = build_recap(_recap(catalog.lessons[position - 1]))
        blocks = build_lesson(pick, catalog, opening=opening, community=community)
        assert len(blocks) <= MAX_BLOCKS
        assert blocks[: len(opening)] == opening
        head = blocks[len(opening)]
        assert head["type"] == "header" and len(head["text"]["text"]) <= 150
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert all(len(t) <= MAX_SECTION for t in texts)
        joined = "\n".join(texts)
        # Every resource link comes from the catalog, with its title as label.
        for item in pick.lesson.resources:
            resource = catalog.resource(item.id)
            assert resource is not None and f"<{resource.url}|" in joined
        assert "&lt;!channel&gt; &amp; friends" in joined
        assert "<!channel>" not in joined
        question = build_question(pick.lesson)
        assert pick.lesson.question[:40] in question[0]["text"]["text"]


def test_new_season_note_and_the_recap_opening_the_post(catalog: Catalog) -> None:
    last = catalog.lessons[-1]
    blocks = build_lesson(
        curriculum.pick(catalog.lessons, 0, 2), catalog, opening=build_recap(_recap(last))
    )
    contexts = " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    assert "Season 2 starts today" in contexts
    recap = blocks[0]["text"]["text"]
    assert "12 replies from 5 people" in recap
    assert "<https://fake.slack.com/archives/C1/p12|Lesson 7: " in recap
    assert "9 people took part" in recap


def _write_lesson(root: Path, name: str, front: str) -> None:
    (root / "lessons").mkdir(parents=True, exist_ok=True)
    (root / "lessons" / name).write_text(front, encoding="utf-8")


def test_validate_reports_lesson_problems_with_path_and_line(tmp_path: Path) -> None:
    bundled = load_catalog()
    source = Path(bundled_dir := str(Path(__file__).resolve().parents[2] / "content"))
    (tmp_path / "topics").symlink_to(source / "topics")
    good = (source / "lessons" / "01-setting-up-ml-projects.md").read_text(encoding="utf-8")
    _write_lesson(tmp_path, "01-a.md", good)
    _write_lesson(tmp_path, "02-b.md", good)  # duplicate order 1
    _write_lesson(
        tmp_path,
        "03-c.md",
        good.replace("order: 1", "order: 3").replace("fsdl-2021-lecture-5-ml-projects", "nope"),
    )
    _write_lesson(
        tmp_path,
        "04-d.md",
        "\n".join(
            line
            for line in good.replace("order: 1", "order: 4").splitlines()
            if not line.startswith("question:")
        ),
    )
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    problems = [str(p) for p in info.value.problems]
    assert any("02-b.md" in p and "duplicate lesson order 1" in p for p in problems), problems
    assert any("03-c.md" in p and "nope" in p for p in problems), problems
    assert any("04-d.md" in p and "question" in p for p in problems), problems
    assert all(":" in p.split(" ")[0] for p in problems)
    assert bundled_dir and len(bundled.lessons) == 52
