"""Typo correction that corrects typos: towards the catalog's own names, never away from words.

A typed word is corrected only when neither the catalog nor a dictionary knows it. The
dictionaries are the word-frequency lists that ship with `pyspellchecker` (English, Spanish,
French, German, Portuguese), read once per process when the first index is built. The
correction targets only topic, tool and title words (not every word of every summary), within
an edit distance that grows with the word: none under 4 letters, 1 up to 7, 2 from 8.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

_OTHER_LANGUAGES = ("es", "fr", "de", "pt")
_KEY = re.compile(rb'"([a-z]+)":')
_FREQUENT = re.compile(rb'"([a-z]+)": (\d{6,})')
# Between two keys of the JSON object: `": 123, "` (the count, a comma, the next quote).
# English words this frequent (count in the package's corpus) are everyday words: when the
# catalog's topics do not use them they are incidental to what a question is about.
COMMON_COUNT = 500_000


class Lexicon:
    """Words a dictionary knows, as a sorted array of their hashes (8 bytes a word, no set
    of a million objects), plus the few hundred everyday English words."""

    def __init__(self, english: np.ndarray, other: np.ndarray, common: frozenset[str]) -> None:
        self._english = english
        self._other = other
        self._common = common

    def knows(self, word: str) -> bool:
        return self.is_english(word) or _member(self._other, word)

    def is_english(self, word: str) -> bool:
        return _member(self._english, word)

    def is_common(self, word: str) -> bool:
        """An everyday English word ("make", "sure", "after", "which")."""
        return word in self._common


def _member(hashes: np.ndarray, word: str) -> bool:
    if not len(hashes) or not word.isascii():
        return False
    key = hash(word.encode("ascii"))
    at = int(np.searchsorted(hashes, key))
    return at < len(hashes) and int(hashes[at]) == key


def _hashes(raw: bytes) -> np.ndarray:
    """The sorted hashes of every ASCII key of a `{"word": count, ...}` file."""
    out = np.fromiter((hash(m.group(1)) for m in _KEY.finditer(raw)), dtype=np.int64)
    out.sort()
    return out


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped dictionaries, loaded once per process; empty if not installed.

    One language at a time is decompressed, its keys hashed into a sorted array and the
    rest dropped, so loading peaks at one file's worth of words and keeps ~7 MB.
    """
    empty = np.zeros(0, dtype=np.int64)
    try:
        folder = resources.files("spellchecker") / "resources"
        raw = gzip.decompress((folder / "en.json.gz").read_bytes())
        common = frozenset(w.decode() for w, n in _FREQUENT.findall(raw) if int(n) >= COMMON_COUNT)
        english = _hashes(raw)
        del raw
        other = np.concatenate(
            [
                _hashes(gzip.decompress((folder / f"{lang}.json.gz").read_bytes()))
                for lang in _OTHER_LANGUAGES
            ]
        )
        other.sort()
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return Lexicon(empty, empty, frozenset())
    return Lexicon(english, other, common)


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
