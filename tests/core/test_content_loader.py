"""The fast (libyaml) line-tracking loader must read content exactly as the pure-Python one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import content
from bot.core.content import BUNDLED_CONTENT, ContentError, load_catalog


class _PureLineLoader(yaml.SafeLoader):
    """The loader content.py used before it switched to libyaml."""


_PureLineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, content._construct_mapping
)


def _documents() -> list[tuple[str, str]]:
    topics = sorted((BUNDLED_CONTENT / "topics").glob("*.yml"))
    lessons = sorted((BUNDLED_CONTENT / "lessons").glob("*.md"))
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in topics]
    for path in lessons:
        match = content._FRONT_MATTER.match(path.read_text(encoding="utf-8"))
        assert match is not None
        docs.append((path.name, match.group(1)))
    return docs


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_libyaml_is_used_when_available():
    assert issubclass(content._LineLoader, yaml.CSafeLoader)


def test_same_data_and_line_marks_as_the_pure_python_loader():
    for name, text in _documents():
        fast = yaml.load(text, Loader=content._LineLoader)  # noqa: S506 - safe loaders
        pure = yaml.load(text, Loader=_PureLineLoader)  # noqa: S506
        assert fast == pure, name


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("topic:\n  id: x\n  name: [oops\n", (3, 4)),
        ("topic:\n  id: x\n\tname: tab\n", (3,)),
        ("topic:\n  id: x\n  name: a: b\n", (3,)),
    ],
)
def test_malformed_yaml_still_reports_path_and_line(tmp_path: Path, text: str, lines: tuple):
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "bad.yml").write_text(text)
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    problem = info.value.problems[0]
    assert problem.line in lines
    assert problem.message.startswith("malformed YAML: ")


def test_valid_content_reads_the_same_without_line_marks():
    plain = content._load(BUNDLED_CONTENT, content._PlainLoader)
    marked = content._load(BUNDLED_CONTENT, content._LineLoader)
    assert list(plain.topics.values()) == list(marked.topics.values())
    assert list(plain.resources.values()) == list(marked.resources.values())
    assert plain.lessons == marked.lessons


def test_problems_found_without_line_marks_are_reported_with_them(tmp_path: Path):
    topic = "topic:\n  id: serving\n  name: Serving\n  description: d\nresources:\n"
    item = "- id: {id}\n  title: T\n  url: https://e.org/{id}\n  kind: article\n  topics: [serving]\n  summary: s\n"
    body = topic + "".join(item.format(id=i) for i in "abcde") + item.format(id="a")
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "serving.yml").write_text(body)
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    lines = {p.line for p in info.value.problems if "duplicate resource id" in p.message}
    assert lines == {36}
