"""Typo correction that corrects typos: towards the catalog's own names, never away from words.

A typed word is corrected only when neither the catalog nor a dictionary knows it. The
dictionaries are the word-frequency lists that ship with `pyspellchecker` (English, Spanish,
French, German, Portuguese), read once per process when the first index is built. The
correction targets only topic, tool and title words (not every word of every summary), within
an edit distance that grows with the word: none under 4 letters, 1 up to 7, 2 from 8.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

_OTHER_LANGUAGES = ("es", "fr", "de", "pt")
_ASCII_WORD = re.compile(rb'"([a-z]{4,})": ')
# English words this frequent (count in the package's corpus) are everyday words: when the
# catalog's topics do not use them they are incidental to what a question is about.
COMMON_COUNT = 500_000


class Lexicon:
    """Words a dictionary knows: English with counts, other languages as plain sets."""

    def __init__(self, english: dict[str, int], other: frozenset[bytes]) -> None:
        self._english = english
        self._other = other

    def knows(self, word: str) -> bool:
        if word in self._english:
            return True
        try:
            return word.encode("ascii") in self._other
        except UnicodeEncodeError:
            return False

    def is_english(self, word: str) -> bool:
        return word in self._english

    def is_common(self, word: str) -> bool:
        """An everyday English word ("make", "sure", "after", "running")."""
        return self._english.get(word, 0) >= COMMON_COUNT


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped dictionaries, loaded once per process (~0.3 s); empty if not installed."""
    try:
        folder = resources.files("spellchecker") / "resources"
        english = json.loads(gzip.decompress((folder / "en.json.gz").read_bytes()))
        other: set[bytes] = set()
        for lang in _OTHER_LANGUAGES:
            raw = gzip.decompress((folder / f"{lang}.json.gz").read_bytes())
            other.update(_ASCII_WORD.findall(raw))
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return Lexicon({}, frozenset())
    return Lexicon({k: int(v) for k, v in english.items() if k.isalpha()}, frozenset(other))


def max_distance(word: str) -> int:
    """Edits allowed for a word of this length: 0 below 4 letters, 1 up to 7, 2 from 8."""
    n = len(word)
    if n < 4:
        return 0
    return 1 if n <= 7 else 2


class Corrector:
    """Corrects unknown words to the nearest target word (topic, tool and title words)."""

    def __init__(self, targets: Iterable[str], preference: Callable[[str], tuple]) -> None:
        self._by_len: dict[int, list[str]] = defaultdict(list)
        for word in set(targets):
            if len(word) >= 3 and word.isascii() and word.isalpha():
                self._by_len[len(word)].append(word)
        self._preference = preference

    def correct(self, word: str) -> str | None:
        limit = max_distance(word)
        if not limit or not word.isascii() or not word.isalpha():
            return None
        pool = [
            w
            for n in range(len(word) - limit, len(word) + limit + 1)
            for w in self._by_len.get(n, ())
        ]
        found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return None
        # Fewest edits, then the same first letter (people rarely mistype it), then the
        # index's preference (topic words, then words many resources use).
        return min(
            found,
            key=lambda m: (m[1], m[0][0] != word[0], self._preference(m[0])),
        )[0]
