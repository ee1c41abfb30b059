"""A reproducible mix of what people type after /mlops: topics, synonyms, typos, free text."""

from __future__ import annotations

import random
import re

from bot.core.catalog import Catalog
from bot.core.models import Kind

SEED = 7

# Questions people ask in a learning channel; {x} is a topic phrase or a tool.
_FREE_TEXT = (
    "how do I {x}",
    "best way to learn {x}",
    "what is {x} and why does it matter",
    "{x} for beginners",
    "intro to {x} please",
    "{x} in production",
    "good course on {x}",
    "{x} vs {y}",
    "anyone used {x} with {y}?",
    "how to set up {x} for a small team",
)
_VERB_PHRASES = (
    "deploy a model to kubernetes",
    "monitor data drift",
    "version my datasets",
    "track experiments",
    "test ml code",
    "serve models with low latency",
    "label training data cheaply",
    "build a feature store",
    "reduce inference cost",
    "explain predictions to stakeholders",
    "run a/b tests on models",
    "set up ci/cd for ml",
    "orchestrate training pipelines",
    "tune hyperparameters",
)
_NONSENSE = ("pizza", "weather tomorrow", "asdfgh", "lunch menu", "zzz", "🙂")
_RESERVED = ("help", "topics", "")

# (category, weight): the share of each kind of query in the mix.
MIX = (
    ("topic", 0.20),
    ("synonym", 0.20),
    ("typo", 0.15),
    ("free text", 0.25),
    ("tool / title", 0.12),
    ("no match", 0.05),
    ("help / topics", 0.03),
)


def typo(word: str, rng: random.Random) -> str:
    """One edit a hurried typist makes: drop, double, swap or replace a letter."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstln") + word[i + 1 :]


def _typo_phrase(phrase: str, rng: random.Random) -> str:
    words = phrase.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    words[longest] = typo(words[longest], rng)
    return " ".join(words)


def mixed_queries(catalog: Catalog, n: int, seed: int = SEED) -> list[str]:
    """`n` queries drawn from MIX; deterministic for a catalog and seed."""
    rng = random.Random(seed)
    topics = list(catalog.topics.values())
    names = [t.name for t in topics] + [t.id.replace("-", " ") for t in topics]
    short_names = [re.split(r"[,&(]", t.name)[0].strip().lower() for t in topics]
    aliases = [a for t in topics for a in t.aliases]
    latin_aliases = [a for a in aliases if a.isascii()]
    resources = list(catalog.resources.values())
    tools = [r.title.split(":")[0].split("(")[0].strip() for r in resources if r.kind == Kind.TOOL]
    titles = [r.title for r in resources if r.kind != Kind.TOOL]
    categories, weights = zip(*MIX, strict=True)
    out: list[str] = []
    for _ in range(n):
        category = rng.choices(categories, weights)[0]
        if category == "topic":
            query = rng.choice(names)
        elif category == "synonym":
            query = rng.choice(aliases)
        elif category == "typo":
            query = _typo_phrase(rng.choice(latin_aliases + short_names), rng)
        elif category == "free text":
            template = rng.choice(_FREE_TEXT)
            pool = latin_aliases + list(_VERB_PHRASES) + tools[:200]
            query = template.format(x=rng.choice(pool), y=rng.choice(tools or pool))
        elif category == "tool / title":
            query = rng.choice(tools) if tools and rng.random() < 0.6 else rng.choice(titles)
        elif category == "no match":
            query = rng.choice(_NONSENSE)
        else:
            query = rng.choice(_RESERVED)
        out.append(query)
    return out
