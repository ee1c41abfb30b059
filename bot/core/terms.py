"""Text helpers for search: clean what users type in Slack, and split text into index terms.

Latin-script words become light stems ("deploying", "deployment" -> "deploy") so inflections
meet; CJK runs become character bigrams because Chinese and Japanese are written without spaces.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

MAX_QUERY_CHARS = 200
# Bound the work done on hostile input before the final cap (entities and markup shrink it).
_MAX_RAW_CHARS = 4000

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
_SLACK_LABELLED = re.compile(r"<(?:https?://|mailto:)[^<>|]*\|([^<>]*)>")
_SLACK_MARKUP = re.compile(r"<[^<>]*>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_SPACES = re.compile(r"\s+")
# "a/b testing" would otherwise lose its only meaningful letters to the stopword list.
_AB = re.compile(r"\ba\s*/\s*b\b")

# fmt: off
STOPWORDS = frozenset({
    "a", "about", "all", "also", "am", "an", "and", "any", "anything", "are", "article",
    "articles", "as", "at", "be", "been", "being", "best", "but", "by", "can", "could", "did",
    "do", "docs", "documentation", "does", "doing", "e", "each", "etc", "example", "examples",
    "explain", "explained", "find", "for", "from", "g", "get", "getting", "good", "got", "guide",
    "guides", "had", "has", "have", "hello", "here", "hey", "hi", "how", "i", "ie", "if", "in",
    "into", "is", "it", "its", "just", "know", "may", "me", "might", "more", "most", "must", "my",
    "need", "needs", "no", "not", "of", "on", "one", "only", "or", "other", "our", "own",
    "please", "recommend", "recommendations", "recommended", "resource", "resources", "s", "same",
    "shall", "should", "show", "so", "some", "something", "such", "t", "tell", "than", "thanks",
    "that", "the", "then", "there", "these", "thing", "things", "this", "those", "to", "too",
    "tutorial", "tutorials", "us", "use", "used", "using", "very", "via", "video", "videos", "vs",
    "want", "was", "way", "ways", "we", "were", "what", "when", "where", "which", "who", "whom",
    "whose", "why", "will", "with", "without", "would", "you", "your",
})
# fmt: on
# Words so common in this domain that they hardly say which topic is meant.
GENERIC = frozenset(
    {"ml", "mlop", "machin", "learn", "model", "ai", "system", "production", "data", "dataset"}
)

# Longest first; the first suffix that leaves a stem of 3+ letters is replaced.
_SUFFIXES = (
    ("izations", ""), ("ization", ""), ("ations", ""), ("ation", ""), ("ements", ""),
    ("ement", ""), ("ments", ""), ("ment", ""), ("ities", ""), ("ability", ""),
    ("ibility", ""), ("ators", ""), ("ator", ""), ("ating", ""), ("ated", ""), ("ates", ""),
    ("ate", ""), ("izers", ""), ("izer", ""), ("izing", ""), ("ized", ""), ("izes", ""),
    ("ize", ""), ("ness", ""), ("ings", ""), ("ing", ""), ("able", ""), ("ible", ""),
    ("ity", ""), ("ies", "y"), ("ied", "y"), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""),
    ("ly", ""), ("al", ""), ("s", ""),
)  # fmt: skip


def normalise(text: str) -> str:
    """Fold text to one comparable form (NFKC + casefold), so "Ｍｏｄｅｌ" meets "model"."""
    return _AB.sub("ab", unicodedata.normalize("NFKC", text).casefold())


def clean_query(raw: object, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Turn whatever arrived from Slack into a short, folded, printable query string."""
    text = raw if isinstance(raw, str) else ""
    text = text[:_MAX_RAW_CHARS]
    text = _SLACK_LABELLED.sub(r" \1 ", text)
    # Slack escapes only &, < and >; unescape after removing markup so "&lt;x&gt;" stays text.
    text = _SLACK_MARKUP.sub(" ", text)
    text = html.unescape(text)
    text = normalise(text)
    text = _EMOJI_CODE.sub(" ", text)
    text = "".join(ch if _printable(ch) else " " for ch in text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > max_chars:
        cut = text[:max_chars]
        space = cut.rfind(" ")
        text = (cut[:space] if space > max_chars // 2 else cut).strip()
    return text


def _printable(ch: str) -> bool:
    # Drop control/format characters, symbols such as emoji, and private-use code points.
    category = unicodedata.category(ch)
    return category[0] in "LNPZ" or ch == " "


def is_cjk(word: str) -> bool:
    return bool(word) and _CJK_RUN.fullmatch(word) is not None


def words(text: str) -> list[str]:
    """Split folded text into latin-script words and CJK runs (no stopword removal)."""
    return _WORD.findall(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip common English suffixes so inflections and derivations share one term."""
    if len(word) <= 3 or not word.isalpha() or not word.isascii():
        return word
    # Two passes, so "experimentation" -> "experiment" -> "experi" meets "experiments".
    for _ in range(2):
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)] + replacement
                break
        else:
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    # "labelling"/"labeling" and "running"/"run" meet by undoubling the final consonant.
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def bigrams(run: str) -> list[str]:
    """Character bigrams of a CJK run; a single character stands alone."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def title_key(text: str) -> str:
    """A whole title as one comparable string: every word stemmed, stopwords kept."""
    return " ".join(w if is_cjk(w) else stem(w) for w in words(normalise(text)))


def index_terms(text: str) -> list[str]:
    """Index terms for a field of a resource: stopwords dropped, stems and CJK bigrams kept."""
    out: list[str] = []
    for word in words(normalise(text)):
        if is_cjk(word):
            out.extend(bigrams(word))
        elif word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            out.append(stem(word))
    return out
