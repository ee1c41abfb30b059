"""Typo correction that corrects typos: towards the catalog's own names, never away from words.

A typed word is corrected only when neither the catalog nor a dictionary knows it. The
dictionaries are the word-frequency lists that ship with `pyspellchecker` (English, Spanish,
French, German, Portuguese), read once per process when the first index is built. The
correction targets only topic, tool and title words (not every word of every summary), within
an edit distance that grows with the word: none under 4 letters, 1 up to 7, 2 from 8.
"""

from __future__ import annotations

import bisect
import gzip
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from rapidfuzz import process
from rapidfuzz.distance import OSA

_OTHER_LANGUAGES = ("es", "fr", "de", "pt")
_FREQUENT = re.compile(rb'"([a-z]+)": (\d{6,})')
# Between two keys of the JSON object: `": 123, "` (the count, a comma, the next quote).
# English words this frequent (count in the package's corpus) are everyday words: when the
# catalog's topics do not use them they are incidental to what a question is about.
COMMON_COUNT = 500_000


class Lexicon:
    """Words a dictionary knows, kept compressed: pyspellchecker's sorted word lists cut
    into 4 KB zlib blocks (about 4 MB for five languages; a look-up bisects the blocks'
    first words and inflates one block), plus the few hundred everyday English words.
    Look-ups are memoised."""

    def __init__(
        self, english: _Blocks, other: tuple[_Blocks, ...], common: frozenset[str]
    ) -> None:
        self._english = english
        self._other = other
        self._common = common
        self._memo: dict[str, bool] = {}

    def knows(self, word: str) -> bool:
        known = self._memo.get(word)
        if known is None:
            known = self.is_english(word) or any(_listed(lang, word) for lang in self._other)
            if len(self._memo) > 20_000:
                self._memo.clear()
            self._memo[word] = known
        return known

    def is_english(self, word: str) -> bool:
        return _listed(self._english, word)

    def is_common(self, word: str) -> bool:
        """An everyday English word ("make", "sure", "after", "which")."""
        return word in self._common


_Blocks = tuple[list[bytes], list[bytes]]  # (first word of each block, compressed blocks)
_BLOCK = 4096


def _listed(blocks: _Blocks, word: str) -> bool:
    """Whether the word is a line of its block: bisect the first words, inflate one block."""
    firsts, packed = blocks
    key = word.encode("utf-8")
    at = bisect.bisect_right(firsts, key) - 1
    return at >= 0 and b"\n" + key + b"\n" in zlib.decompress(packed[at])


def _blocks(blob: bytes | bytearray) -> _Blocks:
    """Cut a sorted b"\\nword\\n..." blob into ~4 KB blocks at line ends, each compressed."""
    firsts: list[bytes] = []
    packed: list[bytes] = []
    at, size = 0, len(blob)
    while at < size - 1:
        end = blob.find(b"\n", min(at + _BLOCK, size - 1))
        if end < 0:
            end = size - 1
        chunk = bytes(blob[at : end + 1])
        firsts.append(chunk[1 : chunk.find(b"\n", 1)])
        packed.append(zlib.compress(chunk, 1))
        at = end
    return firsts, packed


def _words_of(resource: Traversable, counts: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """A pyspellchecker list (`{"word": count,` a line, sorted) as b"\\nword\\nword\\n".

    Read a megabyte at a time, cut down in C (quotes and digits deleted, the separator
    replaced) and appended in place, so loading holds little beyond the result; `counts`,
    if given, collects the (word, count) pairs frequent enough to be everyday words.
    """
    blob = bytearray(b"\n")
    rest = b""
    with resource.open("rb") as packed, gzip.GzipFile(fileobj=packed) as lines:
        while True:
            chunk = lines.read(1 << 20)
            chunk = rest + chunk
            if not chunk:
                break
            cut = chunk.rfind(b"\n") + 1 if len(chunk) > 1 << 19 else len(chunk)
            chunk, rest = chunk[:cut], chunk[cut:]
            if counts is not None:
                counts.extend(_FREQUENT.findall(chunk))
            text = _cut(chunk if chunk.endswith(b"\n") else chunk + b"\n")
            if len(blob) == 1:
                text = text.lstrip(b"{\n")
            blob += text
            if not rest and len(chunk) < 1 << 19:
                break
    while blob.endswith((b"}\n", b"\n\n")) and len(blob) > 1:
        del blob[-2 if blob.endswith(b"}\n") else -1 :]
        if not blob.endswith(b"\n"):
            blob += b"\n"
    return bytes(blob) if len(blob) < 1 << 16 else blob  # type: ignore[return-value]


def _cut(chunk: bytes) -> bytes:
    return chunk.translate(None, b'"0123456789').replace(b": ,\n", b"\n").replace(b": \n", b"\n")


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped dictionaries, loaded once per process (about 3 MB kept); empty if the
    package is not installed."""
    try:
        folder = resources.files("spellchecker") / "resources"
        counts: list[tuple[bytes, bytes]] = []
        english = _words_of(folder / "en.json.gz", counts)
        other = tuple(_words_of(folder / f"{lang}.json.gz") for lang in _OTHER_LANGUAGES)
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return Lexicon(([], []), (), frozenset())
    common = frozenset(w.decode() for w, n in counts if int(n) >= COMMON_COUNT)
    return Lexicon(_blocks(english), tuple(_blocks(o) for o in other), common)


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
