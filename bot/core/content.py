"""Load and validate content/: topic files (catalog) and lesson files (curriculum).

Every problem is reported as ``path:line: message`` so a curator can jump straight to it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.catalog import Catalog
from bot.core.models import Lesson, Resource, Topic
from bot.core.urls import normalise_url

BUNDLED_CONTENT = Path(__file__).resolve().parents[2] / "content"
MIN_RESOURCES_PER_TOPIC = 5
MIN_LEARNING_PER_TOPIC = 2
LESSON_WORDS = (150, 400)
_LINES = "__lines__"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised when content/ has problems; carries all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} content problem(s)")
        self.problems = sorted(problems)


# libyaml's parser reports the same marks as the pure-Python one and loads a 10,000-resource
# catalog about 5x faster (docs/benchmarks.md); the pure-Python loader is the fallback when
# PyYAML was built without libyaml.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """A safe loader that remembers the line of every mapping and of each of its keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    lines = {"": node.start_mark.line + 1}
    for key_node, _ in node.value:
        lines[str(key_node.value)] = key_node.start_mark.line + 1
    mapping[_LINES] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _PlainLoader(_SafeLoader):
    """Loads without line marks (twice as fast); used until a problem needs its line."""


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != _LINES}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(data: Any, loc: tuple[Any, ...], default: int) -> int:
    """Walk a pydantic error location through the parsed data to the nearest known line."""
    line = default
    for part in loc:
        if isinstance(data, dict):
            line = data.get(_LINES, {}).get(str(part), line)
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
            if isinstance(data, dict):
                line = data.get(_LINES, {}).get("", line)
        else:
            break
    return line


def _validate(
    model: type[BaseModel], data: Any, path: str, line: int, problems: list[Problem]
) -> Any:
    if not isinstance(data, dict):
        problems.append(Problem(path, line, f"expected a mapping for {model.__name__.lower()}"))
        return None
    try:
        return model.model_validate(_strip_lines(data))
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc) or model.__name__.lower()
            message = err["msg"]
            if err["type"] == "missing":
                message = f"missing field '{where}'"
            elif err["type"] == "extra_forbidden":
                message = f"unknown field '{where}'"
            else:
                message = f"{where}: {message}"
            problems.append(Problem(path, _line_of(data, loc, line), message))
        return None


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class _Located:
    path: str
    line: int


def _load_topic_file(
    path: Path,
    topics: list[tuple[Topic, _Located]],
    resources: list[tuple[Resource, _Located]],
    problems: list[Problem],
    loader: type[Any] = _LineLoader,
) -> None:
    shown = _display(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(Problem(shown, line, f"malformed YAML: {getattr(exc, 'problem', exc)}"))
        return
    except UnicodeDecodeError:
        problems.append(Problem(shown, 1, "file is not UTF-8 text"))
        return
    # A file with only `resources:` adds to topics defined elsewhere (e.g. the community
    # suggestions written by `mlops-bot suggestions export`).
    if not isinstance(doc, dict) or ("topic" not in doc and "resources" not in doc):
        problems.append(Problem(shown, 1, "expected a 'topic:' mapping and a 'resources:' list"))
        return
    lines = doc.get(_LINES, {})
    if "topic" in doc:
        topic = _validate(Topic, doc.get("topic"), shown, lines.get("topic", 1), problems)
        if topic:
            topics.append((topic, _Located(shown, lines.get("topic", 1))))
    items = doc.get("resources") or []
    if not isinstance(items, list):
        problems.append(Problem(shown, lines.get("resources", 1), "'resources' must be a list"))
        return
    for item in items:
        line = item.get(_LINES, {}).get("", 1) if isinstance(item, dict) else 1
        resource = _validate(Resource, item, shown, line, problems)
        if resource:
            resources.append((resource, _Located(shown, line)))


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n?(.*)\Z", re.DOTALL)


def _load_lesson_file(
    path: Path,
    lessons: list[tuple[Lesson, _Located]],
    problems: list[Problem],
    loader: type[Any] = _LineLoader,
) -> None:
    shown = _display(path)
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        problems.append(Problem(shown, 1, "missing front matter between '---' lines"))
        return
    try:
        meta = yaml.load(match.group(1), Loader=loader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problems.append(Problem(shown, line, f"malformed YAML: {getattr(exc, 'problem', exc)}"))
        return
    if not isinstance(meta, dict):
        problems.append(Problem(shown, 1, "front matter must be a mapping"))
        return
    # Front matter starts on line 2 of the file.
    _shift_lines(meta, 1)
    body = match.group(2).strip()
    lesson = _validate(Lesson, {**meta, "body": body}, shown, 1, problems)
    if lesson:
        words = len(body.split())
        low, high = LESSON_WORDS
        body_line = match.group(1).count("\n") + 3
        if not low <= words <= high:
            problems.append(
                Problem(shown, body_line, f"lesson body has {words} words; write {low}-{high}")
            )
        lessons.append((lesson, _Located(shown, 1)))


def _shift_lines(value: Any, by: int) -> None:
    if isinstance(value, dict):
        lines = value.get(_LINES)
        if lines:
            value[_LINES] = {k: v + by for k, v in lines.items()}
        for k, v in value.items():
            if k != _LINES:
                _shift_lines(v, by)
    elif isinstance(value, list):
        for v in value:
            _shift_lines(v, by)


def load_catalog(content_dir: Path | str = BUNDLED_CONTENT) -> Catalog:
    """Load content/ into a Catalog, or raise ContentError listing every problem."""
    try:
        return _load(Path(content_dir), _PlainLoader)
    except ContentError:
        # Valid content never needs line marks; content with problems is read again, marking
        # every line, so that each problem says where it is.
        return _load(Path(content_dir), _LineLoader)


def _load(root: Path, loader: type[Any]) -> Catalog:
    problems: list[Problem] = []
    topics: list[tuple[Topic, _Located]] = []
    resources: list[tuple[Resource, _Located]] = []
    lessons: list[tuple[Lesson, _Located]] = []
    topic_dir, lesson_dir = root / "topics", root / "lessons"
    if not topic_dir.is_dir():
        raise ContentError([Problem(_display(topic_dir), 1, "no topics/ folder")])
    for path in sorted(topic_dir.glob("*.y*ml")):
        _load_topic_file(path, topics, resources, problems, loader)
    if lesson_dir.is_dir():
        for path in sorted(lesson_dir.glob("*.md")):
            _load_lesson_file(path, lessons, problems, loader)
    problems += _cross_check(topics, resources, lessons)
    if problems:
        raise ContentError(problems)
    return Catalog(
        topics=[t for t, _ in topics],
        resources=[r for r, _ in resources],
        lessons=sorted((lesson for lesson, _ in lessons), key=lambda x: x.order),
    )


def _cross_check(
    topics: list[tuple[Topic, _Located]],
    resources: list[tuple[Resource, _Located]],
    lessons: list[tuple[Lesson, _Located]],
) -> list[Problem]:
    problems: list[Problem] = []
    topic_ids: dict[str, _Located] = {}
    for topic, at in topics:
        if topic.id in topic_ids:
            first = topic_ids[topic.id]
            problems.append(
                Problem(
                    at.path, at.line, f"duplicate topic id '{topic.id}' (first in {first.path})"
                )
            )
        topic_ids.setdefault(topic.id, at)
    ids: dict[str, _Located] = {}
    urls: dict[str, tuple[str, _Located]] = {}
    for res, at in resources:
        if res.id in ids:
            first = ids[res.id]
            problems.append(
                Problem(
                    at.path,
                    at.line,
                    f"duplicate resource id '{res.id}' (first at {first.path}:{first.line})",
                )
            )
        ids.setdefault(res.id, at)
        key = normalise_url(res.url)
        if key in urls:
            other, first = urls[key]
            problems.append(
                Problem(
                    at.path,
                    at.line,
                    f"duplicate URL {res.url} (also '{other}' at {first.path}:{first.line})",
                )
            )
        urls.setdefault(key, (res.id, at))
        for topic_id in res.topics:
            if topic_id not in topic_ids:
                problems.append(
                    Problem(at.path, at.line, f"unknown topic '{topic_id}' in '{res.id}'")
                )
    kinds = {res.id: res.kind for res, _ in resources}
    counts: Counter[str] = Counter()
    learning: Counter[str] = Counter()
    for res, _ in resources:
        for topic_id in set(res.topics):
            counts[topic_id] += 1
            learning[topic_id] += res.kind.is_learning
    for topic, at in topics:
        for rid in topic.start_here:
            if rid not in kinds:
                problems.append(
                    Problem(at.path, at.line, f"start_here names unknown resource '{rid}'")
                )
        if (
            counts[topic.id] < MIN_RESOURCES_PER_TOPIC
            or learning[topic.id] < MIN_LEARNING_PER_TOPIC
        ):
            problems.append(
                Problem(
                    at.path,
                    at.line,
                    f"topic '{topic.id}' has {counts[topic.id]} resources ({learning[topic.id]} learning);"
                    f" needs {MIN_RESOURCES_PER_TOPIC} ({MIN_LEARNING_PER_TOPIC} learning)",
                )
            )
    orders: dict[int, _Located] = {}
    for lesson, at in lessons:
        if lesson.order in orders:
            problems.append(
                Problem(
                    at.path,
                    at.line,
                    f"duplicate lesson order {lesson.order} (also {orders[lesson.order].path})",
                )
            )
        orders.setdefault(lesson.order, at)
        for topic_id in lesson.topics:
            if topic_id not in topic_ids:
                problems.append(Problem(at.path, at.line, f"unknown topic '{topic_id}'"))
        for item in lesson.resources:
            if item.id not in kinds:
                problems.append(Problem(at.path, at.line, f"unknown resource '{item.id}'"))
    return problems
