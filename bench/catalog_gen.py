"""Synthetic catalogs of any size, made by recombining the real content.

Topics are the 27 real topic blocks; resources are the real ones (every `start_here` pick and
every lesson's resources are always kept) plus recombinations of real titles, summaries and
tags with unique ids and URLs. `write_content_dir` writes a content dir that `mlops-bot
validate` accepts; `synthetic_catalog` builds the same thing in memory (for sizes where writing
YAML would only measure the disk).
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core.catalog import Catalog
from bot.core.content import (
    BUNDLED_CONTENT,
    MIN_LEARNING_PER_TOPIC,
    MIN_RESOURCES_PER_TOPIC,
    load_catalog,
)
from bot.core.models import Resource

SEED = 20240601
_HEAD = re.compile(r"\s*(?:[:(\[|]|\s[-–—]\s).*$")


def _head(title: str) -> str:
    return _HEAD.sub("", title).strip() or title


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug[:limit].strip("-") or "r") if slug else "r"


def _resource_dict(res: Resource) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": res.id,
        "title": res.title,
        "url": res.url,
        "kind": res.kind.value,
        "topics": list(res.topics),
        "summary": res.summary,
    }
    if res.tags:
        data["tags"] = list(res.tags)
    return data


def _synthetic(n: int, a: Resource, b: Resource, rng: random.Random) -> dict[str, Any]:
    """A new resource: A's kind and topics, a title and tags mixed from A and B."""
    title = f"{_head(a.title)}: {_head(b.title)}"[:300]
    tags = list(dict.fromkeys([*a.tags, *rng.sample(b.tags, k=min(len(b.tags), 2))]))[:8]
    summary = a.summary if rng.random() < 0.5 else f"{a.summary.rstrip('.')}; see also {b.title}."
    host = urlsplit(a.url).hostname or "example.com"
    topics = list(a.topics)
    if rng.random() < 0.3 and b.primary_topic not in topics:
        topics.append(b.primary_topic)
    data: dict[str, Any] = {
        "id": f"{_slug(title, 60)}-b{n}",
        "title": title,
        "url": f"https://{host}/bench/{n}/{_slug(b.title, 40)}",
        "kind": a.kind.value,
        "topics": topics,
        "summary": summary[:300],
    }
    if tags:
        data["tags"] = tags
    return data


def _resources(real: Catalog, size: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`size` resource dicts: required real ones, then other real ones, then recombinations."""
    rng = random.Random(seed)
    pool = list(real.resources.values())
    required = {rid for t in real.topics.values() for rid in t.start_here}
    required |= {item.id for lesson in real.lessons for item in lesson.resources}
    chosen = [r for r in pool if r.id in required]
    rest = [r for r in pool if r.id not in required]
    rng.shuffle(rest)
    # Small sizes still give every topic the minimum the validator asks for.
    for topic_id in real.topics:
        have = [r for r in chosen if topic_id in r.topics]
        spare = [r for r in rest if r.primary_topic == topic_id]
        spare.sort(key=lambda r: not r.kind.is_learning)
        missing = max(
            MIN_RESOURCES_PER_TOPIC - len(have),
            MIN_LEARNING_PER_TOPIC - sum(r.kind.is_learning for r in have),
            0,
        )
        for extra in spare[:missing]:
            chosen.append(extra)
            rest.remove(extra)
    chosen += rest[: max(0, size - len(chosen))]
    out = [_resource_dict(r) for r in chosen]
    n = 0
    while len(out) < size:
        a, b = rng.choice(pool), rng.choice(pool)
        out.append(_synthetic(n, a, b, rng))
        n += 1
    return out


def synthetic_catalog(size: int, real: Catalog | None = None, seed: int = SEED) -> Catalog:
    """A validated in-memory catalog of `size` resources (at least the required real ones)."""
    real = real or load_catalog()
    resources = [Resource.model_validate(d) for d in _resources(real, size, seed)]
    return Catalog(real.topics.values(), resources, real.lessons)


def write_content_dir(target: Path, size: int, seed: int = SEED) -> Path:
    """Write a content dir (topics/*.yml and the real lessons/) holding `size` resources."""
    real = load_catalog()
    resources = _resources(real, size, seed)
    by_topic: dict[str, list[dict[str, Any]]] = {t: [] for t in real.topics}
    for data in resources:
        by_topic[data["topics"][0]].append(data)
    topics_dir = target / "topics"
    if target.exists():
        shutil.rmtree(target)
    topics_dir.mkdir(parents=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for topic_id, items in by_topic.items():
        topic = real.topics[topic_id].model_dump(mode="json")
        doc = {"topic": topic, "resources": items}
        text = yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=4096)
        (topics_dir / f"{topic_id}.yml").write_text(text, encoding="utf-8")
    shutil.copytree(BUNDLED_CONTENT / "lessons", target / "lessons")
    return target
