"""The catalog as shipped meets the curation rules; the loader reports problems precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalog import Catalog
from bot.core.content import ContentError, load_catalog
from bot.core.models import LEARNING_KINDS

REQUIRED_TOPICS = {
    "project-setup", "infrastructure", "data-management", "data-versioning", "data-validation",
    "labeling", "feature-store", "experiment-tracking", "training-debugging",
    "hyperparameter-tuning", "model-registry", "orchestration-pipelines", "ci-cd", "testing",
    "deployment", "serving", "monitoring", "drift", "explainability", "teams-process", "llmops",
    "scaling-distributed", "cost",
}  # fmt: skip

FOUNDING = [
    "fullstackdeeplearning.com/course",
    "mlebook.com",
    "themlbook.com",
    "github.com/visenger/awesome-mlops",
    "github.com/EthicalML/awesome-production-machine-learning",
    "hidden-technical-debt-in-machine-learning-systems",
]


def test_catalog_size_and_topics(catalog: Catalog):
    assert len(catalog.resources) >= 300
    assert set(catalog.topics) >= REQUIRED_TOPICS
    for topic in catalog.topics.values():
        members = catalog.resources_for(topic.id)
        assert len(members) >= 5, topic.id
        assert sum(r.kind in LEARNING_KINDS for r in members) >= 2, topic.id
        assert len(topic.start_here) >= 3, topic.id
        assert any("\u4e00" <= ch <= "\u9fff" for a in topic.aliases for ch in a), topic.id


def test_founding_resources_and_syllabus_units_are_present(catalog: Catalog):
    urls = [r.url for r in catalog.resources.values()]
    for fragment in FOUNDING:
        assert any(fragment in u for u in urls), fragment
    titles = [r.title for r in catalog.resources.values()]
    for unit in (
        "FSDL 2022 Lecture 5",
        "FSDL 2021 Lab 8",
        "MLOps Zoomcamp Module 4",
        "Made With ML: Monitoring",
    ):
        assert any(t.startswith(unit) for t in titles), unit


def test_every_resource_has_a_one_line_summary(catalog: Catalog):
    for res in catalog.resources.values():
        assert res.summary and "\n" not in res.summary, res.id
        assert len(res.summary) <= 300


def test_lessons_are_ordered_and_reference_the_catalog(catalog: Catalog):
    assert len(catalog.lessons) >= 24
    assert [lesson.order for lesson in catalog.lessons] == list(range(1, len(catalog.lessons) + 1))
    for lesson in catalog.lessons:
        assert 3 <= len(lesson.resources) <= 5
        assert lesson.question.endswith("?")
        for item in lesson.resources:
            assert item.id in catalog.resources


def write_topic(root: Path, name: str, text: str) -> Path:
    path = root / "topics" / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


TOPIC = """topic:
  id: serving
  name: Serving
  description: Models behind an API.
  aliases: [inference]
  start_here: [a]
resources:
"""
RES = """- id: {id}
  title: T {id}
  url: https://example.org/{id}
  kind: article
  topics: [serving]
  summary: Why it helps.
"""


def test_minimal_content_loads(tmp_path: Path):
    write_topic(tmp_path, "serving", TOPIC + "".join(RES.format(id=i) for i in "abcde"))
    catalog = load_catalog(tmp_path)
    assert set(catalog.resources) == set("abcde")


def test_problems_carry_path_and_line(tmp_path: Path):
    body = TOPIC + "".join(RES.format(id=i) for i in "abcde")
    body += RES.format(id="a")  # duplicate id (line 39) and URL
    body += "- id: f\n  title: F\n  url: javascript:alert(1)\n  kind: blog\n  topics: [nope]\n  summary: s\n"
    write_topic(tmp_path, "serving", body)
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    shown = [str(p) for p in info.value.problems]
    path = str(tmp_path / "topics" / "serving.yml")
    assert f"{path}:38: duplicate resource id 'a' (first at {path}:8)" in shown
    assert any(s.startswith(f"{path}:38: duplicate URL") for s in shown)
    assert any(s.startswith(f"{path}:46: url:") for s in shown)
    assert any(s.startswith(f"{path}:47: kind:") for s in shown)


def test_thin_topic_and_unknown_start_here_are_reported(tmp_path: Path):
    write_topic(tmp_path, "serving", TOPIC.replace("[a]", "[zzz]") + RES.format(id="a"))
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    messages = [p.message for p in info.value.problems]
    assert "start_here names unknown resource 'zzz'" in messages
    assert any("has 1 resources" in m for m in messages)


def test_malformed_yaml_reports_its_line(tmp_path: Path):
    write_topic(tmp_path, "bad", "topic:\n  id: x\n  name: [oops\n")
    with pytest.raises(ContentError) as info:
        load_catalog(tmp_path)
    problem = info.value.problems[0]
    assert problem.path.endswith("bad.yml")
    assert problem.line in (3, 4)
    assert "malformed YAML" in problem.message
