"""Search the catalog: work out which topic a query means, then rank what to read first.

A query is cleaned, split into stemmed terms (typos corrected against the catalog's own
vocabulary, Chinese as character bigrams) and ranked once; the ranking is cached per cleaned
query (an LRU dropped by `add`) and pages are cut from it.

1. Named resources come first: the whole query is a resource's title or a tool's name
   ("great expectations", "mlflow"), or a short query names a rare tool ("kserve for
   inference").
2. When a topic is clearly meant (its id, name, a part of its name or its first alias explains
   >= 75% of the query, and no other topic's name does as well), its hand-ranked
   ``start_here`` list follows, in the curator's order.
3. Everything else is ordered by
   ``sum over understood topics of share * tier (primary 2, secondary 1)
   + 0.3 * centrality in the topic (+0.5 when in its start_here)
   + 1.5 * BM25F relevance (title 3 > tags 2 > summary 1), normalised to the best hit``,
   so a topic's primary resources beat its secondary ones unless those match much better.

Learning material and tools are ranked as two streams and every page interleaves them as
`compose_page` describes. Candidates come from capped posting lists and precomputed per-topic
lists, so no query scans every resource.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.core import intent as intents
from bot.core.catalog import Catalog
from bot.core.models import Kind, Level, Resource, Topic
from bot.core.spelling import Corrector, Lexicon, lexicon
from bot.core.terms import (
    GENERIC,
    STOPWORDS,
    bigrams,
    clean_query,
    index_terms,
    is_cjk,
    normalise,
    stem,
    title_key,
    words,
)

MAX_LIMIT = 50
_FIELD_WEIGHTS = (3.0, 2.0, 1.0)  # title, tags, summary
_K1, _B = 1.2, 0.5
_GENERIC_WEIGHT = 0.3
_CJK_CHAR_WEIGHT = 0.5
_CLEAR_TOPIC = 0.75
_MIN_TOPIC = 0.3
_PRIOR_WEIGHT, _START_BONUS, _REL_WEIGHT = 0.3, 0.5, 1.5
_NAMED_SCORE, _START_SCORE = 10.0, 5.0
_MAX_WORDS = 24
_MAX_PINS = 3
_COMMON_SHARE = 0.1  # terms in more than this share of resources only re-score candidates
_TOP_POSTINGS = 2000  # a term seeds at most its best-scoring resources (all of them below this)
_COMMON_SEEDS = 300  # ...and a common term, when nothing rarer was asked, seeds this many
_TOOL_NAME_SHARE = 0.03
_CACHE_SIZE = 128  # ranked queries kept; each holds a heap over its hits the GC must walk
# Evidence: a topic explains more than half of the query's meaningful words, or the best hits
# hold at least this share of them; otherwise the no-match page.
_TOPIC_EVIDENCE = 0.5
_HIT_EVIDENCE = 0.7
_EVIDENCE_HITS = 5
_INCIDENTAL_WEIGHT = 0.3  # everyday English words no topic uses ("make sure", "after")
_GENERAL_ML_SHARE = 0.5
_KIND_DRAW = 60  # how deep into each stream a kind request looks for its kind
_KIND_PINS = 50
_LEVEL_DRAW = 30  # how deep a level preference reorders
# Fast-moving topics: among equal scores, newer material first.
_FAST_TOPICS = frozenset({"llmops", "serving", "orchestration-pipelines"})
_YEAR_EPSILON = 1e-6
_TITLE_HEAD = re.compile(r"\s*(?:[:(\[|]|\s[-–—]\s).*$")
_VENDOR = re.compile(r"^(?:apache|nvidia|google|microsoft|aws|amazon|azure|meta|facebook)\s+")


@dataclass(frozen=True)
class Hit:
    resource: Resource
    # Ordering key within its group (learning or tools); named and start_here picks carry fixed
    # high scores. Not comparable across queries.
    score: float


# What `SearchResults.intent` says the answer is.
INTENT_SEARCH = "search"  # hits (or an empty page past the end)
INTENT_NO_MATCH = "no-match"  # nothing in the catalog is evidence for the query
INTENT_HELP = "help"  # a greeting or a question about the bot: answer with help
INTENT_OUT_OF_SCOPE = "out-of-scope"  # general ML: the catalog is about ML in production
INTENT_UNSUPPORTED_SCRIPT = "unsupported-script"  # a script no topic or resource is written in


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int
    topics: tuple[Topic, ...]
    suggestions: tuple[str, ...]
    # Added fields keep their defaults for callers that build results themselves.
    intent: str = INTENT_SEARCH
    note: str | None = None  # one line the answer shows above the links (e.g. "Triton" means)
    kinds: tuple[str, ...] = ()  # resource kinds the query asked for ("books"), first in hits
    level: str | None = None  # the level the query asked for ("beginner" -> "intro")
    script: str | None = None  # for INTENT_UNSUPPORTED_SCRIPT: the script's name

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class _Phrase:
    topic: str
    terms: frozenset[str]
    cjk: tuple[str, ...]
    official: bool
    words: tuple[str, ...] = ()  # the folded words, to compare the forms a query uses
    checked: bool = False  # `_same_forms` can reject it: an -ing word, or two words in order


@dataclass
class _Understanding:
    topics: list[tuple[str, float]]  # (topic id, share of the query it explains), best first
    clear: str | None  # the topic whose own name explains the query, if one does
    covered: set[str]  # query terms explained by some topic phrase
    explained: float = 0.0  # query weight explained by the understood topics together
    by_topic: dict[str, float] = field(default_factory=dict)  # weight each topic explains
    covered_by: dict[str, set[str]] = field(default_factory=dict)  # terms each topic explains


@dataclass
class _Query:
    text: str
    terms: list[str]  # known latin terms, typo-corrected, in query order
    key: str  # every content word's term in order: compared with title keys
    weights: dict[str, float]
    unknown_weight: float
    cjk_runs: list[str]
    cjk_terms: list[str]
    title_key: str  # every word, stopwords too: only a whole title matches it
    surfaces: dict[str, str] = field(default_factory=dict)  # term -> the word typed for it
    gibberish: float = 0.0  # weight of words no catalog and no dictionary knows
    off_words: list[str] = field(default_factory=list)  # real words the catalog lacks
    cjk_filler: int = 0  # characters of CJK function words ("怎么", "について"): no weight

    @property
    def evidence_weight(self) -> float:
        """The weight of the meaningful words: everything but words nobody knows."""
        return self.total_weight - self.gibberish

    @property
    def total_weight(self) -> float:
        cjk = (sum(len(r) for r in self.cjk_runs) - self.cjk_filler) * _CJK_CHAR_WEIGHT
        return sum(self.weights.values()) + self.unknown_weight + cjk


class _Stream:
    """A lazily drawn ranked list of (resource index, score)."""

    def __init__(self, source: Iterator[tuple[int, float]]) -> None:
        self._source = source
        self.items: list[tuple[int, float]] = []

    def get(self, i: int) -> tuple[int, float] | None:
        while len(self.items) <= i:
            nxt = next(self._source, None)
            if nxt is None:
                return None
            self.items.append(nxt)
        return self.items[i]


@dataclass
class _Ranking:
    pinned: list[tuple[int, float, bool]]  # (index, score, is learning)
    learning: _Stream
    tools: _Stream
    total: int
    topics: tuple[str, ...]
    pages: dict[int, _Pages] = field(default_factory=dict)
    intent: str = INTENT_SEARCH
    note: str | None = None
    kinds: tuple[str, ...] = ()
    level: str | None = None
    script: str | None = None
    suggestions: tuple[str, ...] | None = None  # None: work them out if nothing matched

    @classmethod
    def empty(cls, intent: str, **kw: object) -> _Ranking:
        nothing = _Stream(iter(()))
        return cls([], nothing, nothing, 0, (), intent=intent, **kw)  # type: ignore[arg-type]


class SearchIndex:
    """In-memory search over a catalog; `add` makes approved suggestions searchable at once."""

    def __init__(self) -> None:
        self._docs: list[Resource | None] = []
        self._learning: list[bool] = []
        self._doc_topics: list[tuple[tuple[str, int, float], ...]] = []
        self._by_id: dict[str, int] = {}
        self._topics: dict[str, Topic] = {}
        self._postings: dict[str, dict[int, float]] = {}
        self._top_postings: dict[str, list[int]] = {}
        # Array forms of postings, best postings and topic members, built on first use.
        self._np_postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._np_best: dict[str, np.ndarray] = {}
        self._np_members: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._np_learning: np.ndarray | None = None
        self._avgdl = 1.0
        self._vocab: dict[str, str] = {}
        self._by_len: dict[int, list[str]] | None = None
        # Words typos are corrected towards: topic names and aliases, titles, tags.
        self._targets: set[str] = set()
        self._corrector: Corrector | None = None
        self._lexicon: Lexicon = Lexicon(([], []), (), frozenset())
        self._corrections: dict[str, tuple[str | None, str]] = {}
        self._phrases: list[_Phrase] = []
        self._phrase_by_term: dict[str, list[int]] = defaultdict(list)
        self._cjk_phrases: list[int] = []
        # CJK-only phrases by the bigrams of their parts, and single-character parts by char.
        self._cjk_by_bigram: dict[str, list[int]] = defaultdict(list)
        self._cjk_by_char: dict[str, list[int]] = defaultdict(list)
        self._official_keys: set[frozenset[str]] = set()
        self._phrase_texts: list[tuple[str, str]] = []
        self._choices: tuple[list[str], list[str]] | None = None
        self._by_rarest: dict[str, list[int]] | None = None
        self._np_lists: dict[tuple[str, bool, bool], tuple[np.ndarray, np.ndarray]] = {}
        self._words: tuple[list[str], list[str]] | None = None
        self._biggest: list[str] | None = None
        self._topic_terms: dict[str, frozenset[str]] = {}
        self._titles: dict[str, list[int]] = defaultdict(list)
        self._heads: dict[str, list[int]] = defaultdict(list)  # "Made With ML" of "...: Git"
        self._tool_names: dict[str, list[int]] = defaultdict(list)
        self._tool_tags: dict[str, list[int]] = defaultdict(list)
        # (topic, primary, learning) -> [(-static key, index)] ascending, i.e. best first.
        self._lists: dict[tuple[str, bool, bool], list[tuple[float, int]]] = defaultdict(list)
        # topic -> index -> (tier, static key)
        self._members: dict[str, dict[int, tuple[int, float]]] = defaultdict(dict)
        self._cache: OrderedDict[str, _Ranking] = OrderedDict()
        self._levels: set[Level] = set()  # levels some resource has: others reorder nothing

    # ----------------------------------------------------------------------------- building

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        """Index every topic and resource of a catalog."""
        index = cls()
        index._lexicon = lexicon()
        for topic in catalog.topics.values():
            index._add_topic(topic)
        resources = list(catalog.resources.values())
        fields = [index._fields(r) for r in resources]
        lengths = [index._length(f) for f in fields]
        index._avgdl = (sum(lengths) / len(lengths)) if lengths else 1.0
        for resource, doc_fields in zip(resources, fields, strict=True):
            index._index(resource, doc_fields)
        for key in index._lists:
            index._lists[key].sort()
        # Rank the postings of frequent terms now rather than on somebody's first query.
        common = max(_TOP_POSTINGS, _COMMON_SHARE * len(resources))
        for term, posting in index._postings.items():
            if len(posting) > common:
                index._best_postings(term)
        return index

    def add(self, resource: Resource) -> None:
        """Make an approved community resource searchable now (replacing one with its id)."""
        old = self._by_id.get(resource.id)
        if old is not None:
            self._unindex(old)
            self._np_postings.clear()
            self._np_best.clear()
            self._top_postings.clear()
        fields = self._fields(resource)
        self._index(resource, fields, keep_sorted=True)
        for term in itertools.chain(*fields):
            self._top_postings.pop(term, None)
            self._np_postings.pop(term, None)
            self._np_best.pop(term, None)
        self._forget_derived()

    def _forget_derived(self) -> None:
        """Drop what is computed from the postings (after a resource comes or goes)."""
        self._np_members.clear()
        self._np_lists.clear()
        self._np_learning = None
        self._cache.clear()
        self._corrections.clear()
        self._by_len = None
        self._corrector = None
        self._biggest = None

    def remove(self, resource_id: str) -> None:
        """Take a resource out of answers (its link is dead); `add` brings it back."""
        old = self._by_id.get(resource_id)
        if old is None:
            return
        self._unindex(old)
        self._np_postings.clear()
        self._np_best.clear()
        self._top_postings.clear()
        self._forget_derived()

    def _add_topic(self, topic: Topic) -> None:
        self._topics[topic.id] = topic
        texts = [(topic.id.replace("-", " "), True), (topic.name, True)]
        # "Drift, distribution shift & continual learning" also means each of its parts.
        parts = re.split(r"[,&/()]|\band\b", topic.name)
        texts += [(p, True) for p in parts if p.strip()]
        # Curators list the canonical alias first ("mlops", "monitoring", "feature store").
        texts += [(a, n == 0) for n, a in enumerate(topic.aliases)]
        terms_seen: set[str] = set()
        for text, official in texts:
            folded = normalise(text)
            latin = [w for w in words(folded) if not is_cjk(w)]
            self._learn_words(latin, target=True)
            terms = frozenset(
                stem(w) for w in latin if w not in STOPWORDS and (len(w) > 1 or w.isdigit())
            )
            cjk = tuple(w for w in words(folded) if is_cjk(w))
            if not terms and not cjk:
                continue
            kept = tuple(w for w in latin if w not in STOPWORDS)
            checked = len(kept) == 2 or any(w.endswith("ing") for w in kept)
            phrase = _Phrase(topic.id, terms, cjk, official, kept, checked)
            pid = len(self._phrases)
            self._phrases.append(phrase)
            if official:
                self._official_keys.add(terms)
            for term in terms:
                self._phrase_by_term[term].append(pid)
            if not terms:
                self._cjk_phrases.append(pid)
                for part in cjk:
                    if len(part) == 1:
                        self._cjk_by_char[part].append(pid)
                    for gram in set(bigrams(part)):
                        self._cjk_by_bigram[gram].append(pid)
            terms_seen |= terms
            self._phrase_texts.append((folded.strip(), topic.name))
        self._topic_terms[topic.id] = frozenset(terms_seen - GENERIC)

    def _fields(self, resource: Resource) -> tuple[list[str], list[str], list[str]]:
        tags = " ".join(resource.tags).replace("-", " ")
        out = []
        # Each field is folded and split once: its words teach the vocabulary and become
        # index terms (what `index_terms` makes, without splitting the text again).
        for n, text in enumerate((resource.title, tags, resource.summary)):
            latin: list[str] = []
            terms: list[str] = []
            for word in words(normalise(text)):
                if _is_cjk_word(word):
                    terms.extend(bigrams(word))
                    continue
                latin.append(word)
                if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
                    terms.append(stem(word))
            self._learn_words(latin, target=n < 2)
            out.append(terms)
        return out[0], out[1], out[2]

    @staticmethod
    def _length(fields: tuple[list[str], list[str], list[str]]) -> float:
        return sum(w * len(f) for w, f in zip(_FIELD_WEIGHTS, fields, strict=True))

    def _learn_words(self, found: Iterable[str], target: bool = False) -> None:
        vocab = self._vocab
        for word in found:
            if len(word) >= 3 and word.isalpha():
                if word not in vocab:
                    vocab[word] = stem(word)
                if target:
                    self._targets.add(word)

    def _index(
        self,
        resource: Resource,
        fields: tuple[list[str], list[str], list[str]],
        keep_sorted: bool = False,
    ) -> None:
        idx = len(self._docs)
        self._docs.append(resource)
        self._learning.append(resource.kind.is_learning)
        if resource.level is not None:
            self._levels.add(resource.level)
        self._by_id[resource.id] = idx
        weighted: dict[str, float] = defaultdict(float)
        for weight, terms in zip(_FIELD_WEIGHTS, fields, strict=True):
            for term in terms:
                weighted[term] += weight
        norm = _K1 * (1 - _B + _B * self._length(fields) / self._avgdl)
        for term, tf in weighted.items():
            self._postings.setdefault(term, {})[idx] = tf * (_K1 + 1) / (tf + norm)
        self._titles[title_key(resource.title)].append(idx)
        head = _TITLE_HEAD.sub("", resource.title)
        if head and head != resource.title:
            self._heads[title_key(head)].append(idx)
        if resource.kind == "tool":
            for tool_key in self._tool_keys(resource):
                self._tool_names[tool_key].append(idx)
            for tag in {" ".join(index_terms(t.replace("-", " "))) for t in resource.tags}:
                self._tool_tags[tag].append(idx)
        title, tags, summary = (set(f) for f in fields)
        doc_topics: list[tuple[str, int, float]] = []
        for position, topic_id in enumerate(dict.fromkeys(resource.topics)):
            topic = self._topics.get(topic_id)
            if topic is None:
                continue
            vocab = self._topic_terms[topic_id]
            overlap = 3 * len(title & vocab) + 2 * len(tags & vocab) + len(summary & vocab)
            prior = _PRIOR_WEIGHT * min(1.0, overlap / 6)
            if resource.id in topic.start_here:
                prior += _START_BONUS
            if resource.year and topic_id in _FAST_TOPICS:
                prior += _YEAR_EPSILON * (resource.year - 1950)
            tier = 2 if position == 0 else 1
            self._members[topic_id][idx] = (tier, prior)
            doc_topics.append((topic_id, tier, prior))
            entry = (-prior, idx)
            bucket = self._lists[(topic_id, tier == 2, resource.kind.is_learning)]
            if keep_sorted:
                bisect.insort(bucket, entry)
            else:
                bucket.append(entry)
        self._doc_topics.append(tuple(doc_topics))

    def _unindex(self, idx: int) -> None:
        resource = self._docs[idx]
        if resource is None:
            return
        self._docs[idx] = None
        self._doc_topics[idx] = ()
        del self._by_id[resource.id]
        for posting in self._postings.values():
            posting.pop(idx, None)
        for table in (self._titles, self._heads, self._tool_names, self._tool_tags):
            for ids in table.values():
                if idx in ids:
                    ids.remove(idx)
        for topic_id, members in self._members.items():
            if members.pop(idx, None) is not None:
                for key in [k for k in self._lists if k[0] == topic_id]:
                    self._lists[key] = [e for e in self._lists[key] if e[1] != idx]

    @staticmethod
    def _tool_keys(resource: Resource) -> set[str]:
        """Short names a tool is called by: "Apache Kafka" is "kafka", "LIT (Learning..." "lit"."""
        title = normalise(resource.title)
        head = _TITLE_HEAD.sub("", title)
        names = {title, head, _VENDOR.sub("", head), resource.id.replace("-", " ")}
        return {" ".join(index_terms(n)) for n in names} - {""}

    # ----------------------------------------------------------------------------- searching

    def search(self, query: str, limit: int = 5, offset: int = 0) -> SearchResults:
        """Return one page of results for what a user typed; never raises on odd input."""
        text = clean_query(query)
        limit = max(1, min(int(limit), MAX_LIMIT))
        offset = max(0, int(offset))
        ranking = self._cache.get(text)
        if ranking is None:
            ranking = self._rank(text)
            if ranking.total == 0 and ranking.suggestions is None:
                ranking.suggestions = self._suggest(text) if ranking.intent != INTENT_HELP else ()
            self._cache[text] = ranking
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        picked = compose_page(ranking, limit, offset)
        hits = tuple(Hit(r, score) for i, score in picked if (r := self._docs[i]) is not None)
        return SearchResults(
            query=text,
            hits=hits,
            total=ranking.total,
            offset=offset,
            topics=tuple(self._topics[t] for t in ranking.topics),
            suggestions=ranking.suggestions or (),
            intent=ranking.intent,
            note=ranking.note,
            kinds=ranking.kinds,
            level=ranking.level,
            script=ranking.script,
        )

    def _rank(self, text: str) -> _Ranking:
        if not text:
            return _Ranking.empty(INTENT_NO_MATCH)
        if intents.is_help(text):
            return _Ranking.empty(INTENT_HELP)
        script = intents.uncovered_script(text)
        if script is not None:
            return _Ranking.empty(INTENT_UNSUPPORTED_SCRIPT, script=script, suggestions=())
        wanted = intents.read_intent(intents.rewrite_names(text))
        query = self._parse(wanted.text)
        understanding = self._understand(query)
        understood, clear = understanding.topics, understanding.clear
        named, whole = self._named(query, understanding)
        note = None
        named, note = self._disambiguate(query, named)
        pair = intents.comparison(wanted.text)
        if pair is not None:
            both = self._compared(pair)
            if both:
                named = list(dict.fromkeys(both + named))[:_MAX_PINS]
                whole = True
        if not named and (
            any(t.isdigit() for t in query.terms) or not understanding.covered & set(query.terms)
        ):
            named = self._named_title(query)
        if named and clear is None and (whole or not understood):
            # "feast" and "weights and biases" are about the tool's topic, whatever the words.
            primary = self._docs[named[0]]
            if primary is not None and primary.primary_topic in self._topics:
                understood = [(primary.primary_topic, 0.5)]
        relevance = self._relevance(query)
        verdict = self._verdict(
            wanted.text, query, understanding, relevance, named, bool(wanted.dropped), whole
        )
        if verdict is not None:
            return verdict
        pinned = [(i, _NAMED_SCORE, self._is_learning(i)) for i in named]
        skip = set(named)
        start: list[int] = []
        if clear is not None:
            ids = self._topics[clear].start_here
            start = [i for r in ids if (i := self._by_id.get(r)) is not None and i not in skip]
        rest = self._ranked(understood, relevance, skip | set(start))
        streams = []
        for learning in (True, False):
            head = [
                (i, _START_SCORE - n / 100)
                for n, i in enumerate(start)
                if self._is_learning(i) == learning
            ]
            streams.append(_Stream(itertools.chain(head, rest[learning])))
        matched = relevance.as_mask(len(self._docs)).copy()
        matched[list(named) + start] = True
        for topic_id, _ in understood:
            matched[self._membership(topic_id)[0]] = True
        ranking = _Ranking(
            pinned=pinned,
            learning=streams[0],
            tools=streams[1],
            total=int(np.count_nonzero(matched)),
            topics=tuple(t for t, _ in understood),
            note=note,
            kinds=tuple(k.value for k in wanted.kinds),
            level=wanted.level.value if wanted.level else None,
        )
        level = wanted.level if wanted.level in self._levels else None
        if wanted.kinds:
            self._kinds_first(ranking, frozenset(wanted.kinds), level)
        elif level:
            self._level_first(ranking, level)
        return ranking

    def _kinds_first(self, ranking: _Ranking, kinds: frozenset[Kind], level: Level | None) -> None:
        """Pin the asked-for kinds ("serving books") after any named picks, best first."""
        pinned = {i for i, _, _ in ranking.pinned}
        found: list[tuple[int, float]] = []
        for stream in (ranking.learning, ranking.tools):
            for n in range(_KIND_DRAW):
                item = stream.get(n)
                if item is None:
                    break
                doc = self._docs[item[0]]
                if doc is not None and doc.kind in kinds and item[0] not in pinned:
                    found.append(item)
        found.sort(key=lambda item: -item[1])
        if level is not None:
            found = self._by_level(found, level)
        ranking.pinned += [(i, score, self._is_learning(i)) for i, score in found[:_KIND_PINS]]

    def _level_first(self, ranking: _Ranking, level: Level) -> None:
        """Move resources of the asked-for level to the front of each stream's head."""
        for name in ("learning", "tools"):
            stream: _Stream = getattr(ranking, name)
            head = [item for n in range(_LEVEL_DRAW) if (item := stream.get(n)) is not None]
            rest = (stream.get(n) for n in itertools.count(len(head)))
            tail = itertools.takewhile(lambda item: item is not None, rest)
            # The curated start-here picks stay first, the asked-for level first among them.
            start = [item for item in head if item[1] > _START_SCORE - 0.5]
            others = [item for item in head if item[1] <= _START_SCORE - 0.5]
            reordered = self._by_level(start, level) + self._by_level(others, level)
            setattr(ranking, name, _Stream(itertools.chain(reordered, tail)))  # type: ignore[arg-type]

    def _by_level(self, items: list[tuple[int, float]], level: Level) -> list[tuple[int, float]]:
        docs = self._docs
        first = [it for it in items if (d := docs[it[0]]) is not None and d.level == level]
        return first + [it for it in items if it not in first]

    def _verdict(
        self,
        text: str,
        query: _Query,
        understanding: _Understanding,
        relevance: _Hits,
        named: list[int],
        dropped: bool = False,
        whole: bool = False,
    ) -> _Ranking | None:
        """None when there is evidence to answer with links; otherwise the empty answer."""
        if named and (whole or intents.general_ml(text, text.split())[0] < _GENERAL_ML_SHARE):
            return None  # a named tool or title, unless a general-ML phrase merely holds one
        total = query.evidence_weight
        if total <= 0:
            return None if understanding.topics else _Ranking.empty(INTENT_NO_MATCH)
        content = [w for w in words(text) if not is_cjk(w) and w not in STOPWORDS]
        general, general_words = intents.general_ml(text, content)
        best_topic = max(understanding.by_topic.values(), default=0.0)
        if not general_words and best_topic / total > _TOPIC_EVIDENCE:
            return None  # the common case: a topic explains the query
        top = relevance.top(_EVIDENCE_HITS)
        if general >= _GENERAL_ML_SHARE and not self._title_holds(query):
            # Topic words inside "learning rate schedule" do not make it about scheduling.
            outside = understanding.covered - {stem(w) for w in general_words}
            if sum(query.weights.get(t, 0.0) for t in outside) / total < 0.34:
                return _Ranking.empty(INTENT_OUT_OF_SCOPE, suggestions=self._near_topics(top))
        if general_words:
            # "deploying a cnn": the ML word is not off-topic, the question is about deploying.
            total -= (1 - _INCIDENTAL_WEIGHT) * len(general_words) * 0.5
        if best_topic / total > _TOPIC_EVIDENCE:
            return None
        # Otherwise one of the best hits must hold most of the meaningful words, in its text
        # or through its topics: one known word in two or three is not evidence.
        postings, doc_topics = self._postings, self._doc_topics
        covered_by = understanding.covered_by
        best = 0.0
        for idx in top:
            through = set().union(*(covered_by.get(t, ()) for t, _, _ in doc_topics[idx]))
            covered = sum(
                weight
                for term, weight in query.weights.items()
                if term in through or idx in postings.get(term, ())
            )
            topic_chars = max(
                (understanding.by_topic.get(t, 0.0) for t, _, _ in doc_topics[idx]), default=0.0
            ) - sum(query.weights[t] for t in through if t in query.weights)
            cjk = 0.0
            for run in query.cjk_runs:
                chars: set[int] = set()
                for n in range(len(run) - 1):
                    if idx in postings.get(run[n : n + 2], ()):
                        chars |= {n, n + 1}
                cjk += _CJK_CHAR_WEIGHT * len(chars)
            best = max(best, covered + max(cjk, topic_chars))
        if best / total < _HIT_EVIDENCE:
            return _Ranking.empty(INTENT_NO_MATCH)
        # "cat videos": once the kind word is set aside, one everyday word that a resource or
        # two happen to use is a coincidence, not a request.
        matched = [t for t in query.terms if t in postings]
        lex = self._lexicon
        if (
            dropped
            and len(matched) == 1
            and not query.cjk_runs
            and not understanding.by_topic
            and len(postings[matched[0]]) <= 3
            and lex.knows(query.surfaces.get(matched[0], matched[0]))
        ):
            return _Ranking.empty(INTENT_NO_MATCH)
        return None

    def _title_holds(self, query: _Query) -> bool:
        """Some resource's title holds every content term of the query."""
        if query.off_words or query.gibberish:
            return False
        return bool(self._named_title(query, limit=50, minimum=1))

    def _near_topics(self, top: list[int]) -> tuple[str, ...]:
        """Topics closest to a query outside the catalog's scope: those of its best hits."""
        counts: dict[str, int] = defaultdict(int)
        for idx in top:
            for topic_id, _, _ in self._doc_topics[idx]:
                counts[topic_id] += 1
        for fallback in ("training-debugging", "hyperparameter-tuning", "mlops-overview"):
            if fallback in self._topics:
                counts.setdefault(fallback, 0)
        ranked = sorted(counts, key=lambda t: -counts[t])
        return tuple(self._topics[t].name for t in ranked[:3])

    def _disambiguate(self, query: _Query, named: list[int]) -> tuple[list[int], str | None]:
        """A name with two meanings picks the MLOps one and says what else it could mean."""
        for word, (meant, note) in intents.AMBIGUOUS.items():
            if word not in query.terms or len(query.terms) > 3:
                continue
            idx = self._by_id.get(meant)
            if idx is None or self._docs[idx] is None:
                continue
            doc_terms = set(index_terms(self._docs[idx].title))  # type: ignore[union-attr]
            other = [t for t in query.terms if t != word and t not in doc_terms]
            if other:  # "openai triton": the other meaning was asked for
                continue
            rest = [i for i in named if i != idx and word not in self._tool_keys_of(i)]
            return [idx, *rest][:_MAX_PINS], note
        return named, None

    def _tool_keys_of(self, idx: int) -> set[str]:
        doc = self._docs[idx]
        return self._tool_keys(doc) if doc is not None else set()

    def _compared(self, pair: tuple[str, str]) -> list[int]:
        """For "x vs y": the best named resource of each side, when both sides name one."""
        out = []
        if any(len(side.split()) > 4 for side in pair):
            return []
        for side in pair:
            query = self._parse(side)
            found, _ = self._named(query, self._understand(query))
            if not found:
                found = self._named_title(query)
            if not found:
                return []
            out.append(found[0])
        return out if len(set(out)) == 2 else []

    def _named_title(self, query: _Query, limit: int = 3, minimum: int = 2) -> list[int]:
        """Resources whose title holds every term of a specific query ("fsdl lecture 3")."""
        terms = query.terms
        if len(terms) < minimum or query.gibberish or all(t in GENERIC for t in terms):
            return []
        postings = [self._postings.get(t) for t in terms]
        if any(p is None for p in postings):
            return []
        postings.sort(key=len)  # type: ignore[arg-type]
        smallest = len(postings[0])  # type: ignore[arg-type]
        if smallest > _TOP_POSTINGS:
            return []
        found = set(postings[0])  # type: ignore[arg-type]
        for posting in postings[1:]:
            if len(found) <= 8 or len(posting) > 20 * smallest:  # type: ignore[arg-type]
                break  # few candidates left: their titles are checked below
            found &= posting.keys()  # type: ignore[union-attr]
            if not found:
                return []
        if len(found) > 30:
            return []
        wanted = set(terms)
        titled = [
            i
            for i in sorted(found)
            if (d := self._docs[i]) is not None and wanted <= set(index_terms(d.title))
        ]
        if not titled or len(titled) > limit:
            return []
        # Newer first among equals ("fsdl lecture 3": the 2022 course before 2021's).
        docs = self._docs
        return sorted(titled, key=lambda i: (docs[i].year or 0, docs[i].title), reverse=True)  # type: ignore[union-attr]

    def _is_learning(self, idx: int) -> bool:
        return self._learning[idx]

    def _parse(self, text: str) -> _Query:
        terms: list[str] = []
        key: list[str] = []
        full: list[str] = []
        unknown = 0.0
        gibberish = 0.0
        off_words: list[str] = []
        surfaces: dict[str, str] = {}
        incidental: set[str] = set()
        cjk_runs: list[str] = []
        lex = self._lexicon
        for word in words(text)[:_MAX_WORDS]:
            if is_cjk(word):
                cjk_runs.append(word)
                full.append(word)
                continue
            if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
                full.append(stem(word))
                continue
            term, typed = self._term_for(word)
            full.append(term or stem(word))
            key.append(term or stem(word))
            if term is None:
                if lex.knows(word):
                    off_words.append(word)
                    unknown += _INCIDENTAL_WEIGHT if lex.is_common(word) else 1.0
                else:
                    unknown += 1.0
                    gibberish += 1.0
            elif term not in terms:
                terms.append(term)
                surfaces[term] = typed
                # "make sure", "after", "which": everyday words that name no topic.
                if lex.is_common(typed) and term not in self._phrase_by_term:
                    incidental.add(term)
        only_generic = all(t in GENERIC for t in terms)
        weights = {
            t: 1.0
            if only_generic or (t not in GENERIC and t not in incidental)
            else (_GENERIC_WEIGHT if t in GENERIC else _INCIDENTAL_WEIGHT)
            for t in terms
        }
        if terms and all(t in incidental for t in terms):
            weights = dict.fromkeys(terms, 1.0)
        cjk_terms = [b for run in cjk_runs for b in bigrams(run) if b in self._postings]
        return _Query(
            text,
            terms,
            " ".join(key),
            weights,
            unknown,
            cjk_runs,
            cjk_terms,
            " ".join(full),
            surfaces,
            gibberish,
            off_words,
            sum(len(m) for run in cjk_runs for m in intents.CJK_FILLER.findall(run)),
        )

    def _term_for(self, word: str) -> tuple[str | None, str]:
        """The index term a typed word stands for, and the word it was read as.

        Only words that neither the catalog nor a dictionary knows are corrected, and only
        towards topic, tool, title and tag words: "lunch" and "modelo" stay what they are.
        """
        known = self._vocab.get(word)
        if known is not None:
            return known, word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        term: str | None = None
        typed = word
        if not self._lexicon.knows(word):
            fixed = self._correct(word)
            if fixed is not None:
                term, typed = self._vocab[fixed], fixed
        if term is None:
            candidate = stem(word)
            if candidate in self._postings or candidate in self._phrase_by_term:
                term = candidate
        if len(self._corrections) > 10_000:
            self._corrections.clear()
        self._corrections[word] = (term, typed)
        return term, typed

    def _correct(self, word: str) -> str | None:
        if self._corrector is None:
            phrase_terms, postings = self._phrase_by_term, self._postings

            def preference(found: str) -> tuple[bool, int]:
                term = self._vocab[found]
                # Prefer topic words, then words many resources use: they are what people mean.
                return (term not in phrase_terms, -len(postings.get(term, ())))

            self._corrector = Corrector((w for w in self._targets if w in self._vocab), preference)
        return self._corrector.correct(word)

    def _closest_word(self, word: str, cutoff: float = 80) -> str | None:
        if self._by_len is None:
            by_len: dict[int, list[str]] = defaultdict(list)
            for known in self._vocab:
                by_len[len(known)].append(known)
            self._by_len = by_len
        pool = [w for n in range(len(word) - 2, len(word) + 3) for w in self._by_len.get(n, ())]
        found = process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
        if not found:
            return None

        def weight(match: tuple[str, float, int]) -> tuple[float, bool, int]:
            term = self._vocab[match[0]]
            # Prefer topic words, then words many resources use: they are what people mean.
            return (
                round(match[1]),
                term in self._phrase_by_term,
                len(self._postings.get(term, ())),
            )

        return max(found, key=weight)[0]

    def _understand(self, query: _Query) -> _Understanding:
        """Topics the query means, with the share of the query each one explains.

        A topic is *clear* when its id, name or a part of its name alone explains at least 75%
        of the query and no other topic's name does as well: "monitoring", "model serving",
        "how do I deploy a model". An alias explains a narrower idea ("batch inference",
        "concept drift"), so resources about exactly that lead instead of the start_here list.
        """
        nothing = _Understanding([], None, set())
        total = query.total_weight
        if total <= 0:
            return nothing
        has_specific = any(t not in GENERIC for t in query.terms) or bool(query.cjk_runs)
        index = self._phrase_index()
        candidates = {p for t in query.terms for p in index.get(t, ())}
        if query.cjk_runs:
            # A part inside a run shares its bigrams (or is one character of it); a run inside
            # a part shares the run's bigrams.
            for run in query.cjk_runs:
                for gram in bigrams(run):
                    candidates.update(self._cjk_by_bigram.get(gram, ()))
                for ch in run:
                    candidates.update(self._cjk_by_char.get(ch, ()))
        present = set(query.terms)
        covered: dict[str, set[str]] = defaultdict(set)
        official: dict[str, set[str]] = defaultdict(set)
        cjk_covered: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        cjk_hits: list[_Phrase] = []
        for pid in candidates:
            phrase = self._phrases[pid]
            if not phrase.terms <= present:
                continue
            if has_specific and phrase.terms and phrase.terms <= GENERIC and not phrase.cjk:
                continue
            if phrase.checked and not self._same_forms(phrase, query):
                continue
            spans = self._cjk_spans(phrase, query.cjk_runs)
            if spans is None:
                continue
            covered[phrase.topic] |= phrase.terms
            if phrase.cjk:
                cjk_hits.append(phrase)
            if phrase.official:
                official[phrase.topic] |= phrase.terms
            for run_no, positions in spans:
                cjk_covered[phrase.topic][run_no] |= positions
        shares = []
        for topic_id in set(covered) | set(cjk_covered):
            weight = sum(query.weights[t] for t in covered[topic_id])
            weight += _CJK_CHAR_WEIGHT * sum(len(p) for p in cjk_covered[topic_id].values())
            share = min(1.0, weight / total)
            own = sum(query.weights[t] for t in official[topic_id]) / total
            # Chinese aliases are translations of the topic's name rather than narrower ideas.
            own += (weight - sum(query.weights[t] for t in covered[topic_id])) / total
            if share >= _MIN_TOPIC:
                shares.append((topic_id, share, own))
        if not shares:
            fuzzy = self._fuzzy_topic(query)
            weight = total * fuzzy[0][1] if fuzzy else 0.0
            return _Understanding(fuzzy, None, set(), weight, {t: weight for t, _ in fuzzy})
        shares.sort(key=lambda s: (-s[1], -s[2], s[0]))
        by_name = sorted(shares, key=lambda s: -s[2])
        clear = None
        if by_name[0][2] >= _CLEAR_TOPIC and (len(by_name) == 1 or by_name[1][2] < by_name[0][2]):
            clear = by_name[0][0]
        explained = set().union(*covered.values()) if covered else set()
        kept = {t for t, _, _ in shares}
        terms = set().union(*(covered[t] for t in kept))
        weight = sum(query.weights[t] for t in terms)
        chars: dict[int, set[int]] = defaultdict(set)
        for topic_id in kept:
            for run_no, positions in cjk_covered.get(topic_id, {}).items():
                chars[run_no] |= positions
        for n, run in enumerate(query.cjk_runs):
            # A run inside an alias ("标注" in "数据标注") is explained as a whole.
            if n in chars and any(
                run in part for phrase in cjk_hits if phrase.topic in kept for part in phrase.cjk
            ):
                chars[n] = set(range(len(run)))
        weight += _CJK_CHAR_WEIGHT * sum(len(p) for p in chars.values())
        by_topic = {}
        for topic_id in kept:
            own_chars = sum(len(p) for p in cjk_covered.get(topic_id, {}).values())
            if own_chars and all(n in chars for n in cjk_covered[topic_id]):
                own_chars = max(own_chars, sum(len(chars[n]) for n in cjk_covered[topic_id]))
            by_topic[topic_id] = (
                sum(query.weights[t] for t in covered[topic_id]) + _CJK_CHAR_WEIGHT * own_chars
            )
        return _Understanding(
            [(t, s) for t, s, _ in shares],
            clear,
            explained,
            weight,
            by_topic,
            {t: covered[t] for t in kept},
        )

    def _phrase_index(self) -> dict[str, list[int]]:
        """Each phrase under the one of its terms fewest phrases share: a phrase matches only
        when all its terms are present, so its rarest term is enough to find it."""
        if self._by_rarest is None:
            by_term = self._phrase_by_term
            index: dict[str, list[int]] = defaultdict(list)
            for pid, phrase in enumerate(self._phrases):
                if phrase.terms:
                    rarest = min(phrase.terms, key=lambda t: (len(by_term[t]), t))
                    index[rarest].append(pid)
            self._by_rarest = dict(index)
        return self._by_rarest

    @staticmethod
    def _same_forms(phrase: _Phrase, query: _Query) -> bool:
        """Whether the query uses a phrase's words in its forms and order.

        "trained" is not "training", nor "scheduled" "scheduling": a past tense in a question
        is incidental where the topic's own word form is not. Two-word phrases keep their
        order: "track my running" is not "run tracking".
        """
        positions = []
        for word in phrase.words:
            term = stem(word)
            typed = query.surfaces.get(term)
            if typed is None:
                continue
            if word.endswith("ing") and (
                typed.endswith("ed") or (typed.endswith("s") and not typed.endswith("ings"))
            ):
                return False
            positions.append(query.terms.index(term))
        return len(positions) != 2 or positions[0] < positions[1]

    @staticmethod
    def _cjk_spans(phrase: _Phrase, runs: list[str]) -> list[tuple[int, set[int]]] | None:
        """Where the phrase's CJK parts sit in the query's CJK runs, or None if they don't."""
        spans: list[tuple[int, set[int]]] = []
        for part in phrase.cjk:
            found = False
            for n, run in enumerate(runs):
                at = run.find(part)
                if at >= 0:
                    spans.append((n, set(range(at, at + len(part)))))
                    found = True
                # A short query like "标注" still means the alias "数据标注", a little less surely.
                elif len(run) >= 2 and not phrase.terms and run in part:
                    spans.append((n, set(range(len(run) - 1))))
                    found = True
            if not found:
                return None
        return spans

    def _fuzzy_topic(self, query: _Query) -> list[tuple[str, float]]:
        if not query.gibberish:
            return []  # every word is a known word: a near-spelling of a phrase is no typo
        latin = " ".join(w for w in words(query.text) if not is_cjk(w))
        if len(latin) < 4 or not self._phrase_texts:
            return []
        texts, names = self._latin_choices()
        # fuzz.ratio >= 85 needs lengths within about a third of each other.
        found = process.extractOne(latin, texts, scorer=fuzz.ratio, score_cutoff=85)
        if not found:
            return []
        name = names[found[2]]
        topic_id = next(t.id for t in self._topics.values() if t.name == name)
        return [(topic_id, 0.8)]

    def _topic_words(self) -> tuple[list[str], list[str]]:
        """Latin words of topic phrases (4+ letters) and the name of a topic using each."""
        if self._words is None:
            seen: dict[str, str] = {}
            for text, name in self._phrase_texts:
                for word in words(text):
                    if len(word) >= 4 and word.isascii() and word not in seen:
                        seen[word] = name
            self._words = (list(seen), list(seen.values()))
        return self._words

    def _latin_choices(self) -> tuple[list[str], list[str]]:
        """Topic phrase texts with latin letters (deduplicated) and their topics' names."""
        if self._choices is None:
            seen: dict[str, str] = {}
            for text, name in self._phrase_texts:
                if text not in seen and any(ch.isascii() and ch.isalpha() for ch in text):
                    seen[text] = name
            self._choices = (list(seen), list(seen.values()))
        return self._choices

    def _named(self, query: _Query, understanding: _Understanding) -> tuple[list[int], bool]:
        """Resources the query names outright, and whether the name is the whole query.

        The whole query may be a title or a tool's name ("great expectations", "mlflow"), but
        not a topic's own name: "feature engineering" is the topic, not the tool Feature-engine.
        Inside a longer query ("how to use kserve for inference") a tool's name counts when it
        is rare in the catalog and every other word is explained by a topic.
        """
        if not query.key:
            return [], False
        terms = query.terms
        rare = max(5.0, _TOOL_NAME_SHARE * len(self._by_id))
        whole = frozenset(terms) not in self._official_keys
        if whole and len(terms) == 1 and terms[0] in GENERIC:
            whole = False
        found = []
        if whole:
            found = self._live(self._titles.get(query.title_key, ()))
            found += self._live(self._tool_names.get(query.key, ()))
            if not found and len(terms) >= 2:
                # The head of a title ("Designing Machine Learning Systems (Chip Huyen...)"):
                # shortest titles first, so the book itself leads its chapters.
                heads = self._live(self._heads.get(query.title_key, ()))
                found = sorted(heads, key=lambda i: len(self._docs[i].title))[:_MAX_PINS]  # type: ignore[union-attr]
        if not found and whole and not understanding.covered:
            # A nickname kept as a tag ("wandb") names the tool when few tools carry it.
            tagged = self._live(self._tool_tags.get(query.key, ()))
            found = tagged if len(tagged) <= 2 else []
        if found:
            return self._pins(found), True
        if len(terms) < 2:
            return [], False
        lex = self._lexicon
        for n in (3, 2, 1):
            for start in range(len(terms) - n + 1):
                gram = terms[start : start + n]
                # "vector" inside "vector database" is part of a topic phrase, not a tool.
                if set(gram) & understanding.covered or set(gram) <= GENERIC:
                    continue
                if n == 1 and len(self._postings.get(gram[0], ())) > rare:
                    continue
                tools = self._live(self._tool_names.get(" ".join(gram), ()))
                if not tools:
                    continue
                rest = terms[:start] + terms[start + n :]
                # A name no dictionary knows ("kserve", "mlflow") names the tool anywhere in a
                # question; an everyday word ("feast") only when the rest is about its topic.
                typed = [query.surfaces.get(t, t) for t in gram]
                distinctive = not any(lex.knows(w) for w in typed) or (
                    # A rarer everyday word ("feast", "airflow") in a question about a topic.
                    not any(lex.is_common(w) for w in typed)
                    and any(t in self._phrase_by_term for t in terms if t not in gram)
                )
                explained = len(terms) <= 4 and all(
                    t in understanding.covered or t in GENERIC for t in rest
                )
                if distinctive or explained:
                    found += tools
        return self._pins(found), False

    def _pins(self, found: list[int]) -> list[int]:
        # Tools first: a title shared by a tool and an article names the tool.
        return sorted(dict.fromkeys(found), key=lambda i: (self._is_learning(i), i))[:_MAX_PINS]

    def _live(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if self._docs[i] is not None]

    def _relevance(self, query: _Query) -> _Hits:
        """BM25F over title, tags and summary; scores are raw (see `_ranked` for scaling).

        Each term seeds at most its `_TOP_POSTINGS` best resources, and terms found in more
        than a tenth of the catalog only seed when nothing rarer was asked: past that, a
        query costs the same at 100,000 resources as at 10,000. Postings are scored as arrays
        (one C-level pass per term), never resource by resource.
        """
        weighted = [(t, query.weights[t]) for t in query.terms if t in self._postings]
        weighted += [(t, 1.0) for t in dict.fromkeys(query.cjk_terms)]
        if not weighted:
            return _Hits.none()
        n_docs = max(1, len(self._by_id))
        common_df = max(50, _COMMON_SHARE * n_docs)
        size = len(self._docs)
        acc = np.zeros(size)
        mask = np.zeros(size, dtype=bool)
        seeded = False
        later = []
        for term, weight in weighted:
            ids, impacts = self._arrays(term)
            if len(ids) <= min(common_df, _TOP_POSTINGS):
                acc[ids] += (weight * self._idf(term, n_docs)) * impacts
                mask[ids] = True
                seeded = True
            else:
                later.append((term, weight))
        seeding = [t for t, _ in later if len(self._postings[t]) <= common_df]
        if not seeded and not seeding:
            seeding = [t for t, _ in later]
            cap = _COMMON_SEEDS
        else:
            cap = _TOP_POSTINGS
        for term in seeding:
            mask[self._best_array(term)[:cap]] = True
        for term, weight in later:
            ids, impacts = self._arrays(term)
            # A common term only adds where a rarer one (or its own best postings) seeded.
            keep = mask[ids]
            acc[ids[keep]] += (weight * self._idf(term, n_docs)) * impacts[keep]
        mask &= acc > 0
        hits = np.flatnonzero(mask)
        return _Hits(hits, acc[hits], mask)

    def _arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's posting as (resource indexes ascending, impacts), built once per term."""
        found = self._np_postings.get(term)
        if found is None:
            posting = self._postings[term]
            ids = np.fromiter(posting.keys(), dtype=np.int64, count=len(posting))
            impacts = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
            order = np.argsort(ids, kind="stable")
            found = (ids[order], impacts[order])
            self._np_postings[term] = found
        return found

    def _best_array(self, term: str) -> np.ndarray:
        found = self._np_best.get(term)
        if found is None:
            found = np.asarray(self._best_postings(term), dtype=np.int64)
            self._np_best[term] = found
        return found

    def _idf(self, term: str, n_docs: int) -> float:
        df = len(self._postings[term])
        return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))

    def _best_postings(self, term: str) -> list[int]:
        """A term's resources by impact, best first (the top `_TOP_POSTINGS`), cached."""
        posting = self._postings[term]
        top = self._top_postings.get(term)
        if top is None:
            top = heapq.nlargest(_TOP_POSTINGS, posting, key=posting.__getitem__)
            self._top_postings[term] = top
        return top

    def _membership(self, topic_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A topic's members as sorted indexes with their tiers and static keys (arrays)."""
        found = self._np_members.get(topic_id)
        if found is None:
            members = self._members.get(topic_id, {})
            ids = np.fromiter(sorted(members), dtype=np.int64, count=len(members))
            tiers = np.array([members[i][0] for i in ids.tolist()], dtype=np.float64)
            keys = np.array([members[i][1] for i in ids.tolist()], dtype=np.float64)
            found = (ids, tiers, keys)
            self._np_members[topic_id] = found
        return found

    def _flags(self) -> np.ndarray:
        if self._np_learning is None or len(self._np_learning) != len(self._learning):
            self._np_learning = np.array(self._learning, dtype=bool)
        return self._np_learning

    def _ranked(
        self,
        understood: list[tuple[str, float]],
        relevance: _Hits,
        skip: set[int],
    ) -> dict[bool, Iterator[tuple[int, float]]]:
        """Learning resources and tools, each best first, as (index, score).

        Text hits are scored together as arrays and sorted once in C; every other topic
        member keeps its precomputed order, so a page costs little past the hits. A member
        of two understood topics that matches no query word is ranked by its better topic
        alone: a weak signal not worth a scan.
        """
        ids, rel = relevance.ids, relevance.scores
        size = len(self._docs)
        exact = relevance.as_mask(size)
        if skip:
            skipped = np.zeros(size, dtype=bool)
            skipped[list(skip)] = True
            keep = ~skipped[ids]
            ids, rel_kept = ids[keep], rel[keep]
        else:
            rel_kept = rel
        scale = _REL_WEIGHT / (float(rel.max()) if len(rel) else 1.0)
        score = rel_kept * scale
        if understood:
            bonus = np.zeros(len(ids))
            best_key = np.zeros(len(ids))
            for topic_id, strength in understood:
                members, tiers, keys = self._membership(topic_id)
                if not len(members) or not len(ids):
                    continue
                pos = np.searchsorted(members, ids)
                pos[pos >= len(members)] = 0
                inside = members[pos] == ids
                bonus += np.where(inside, strength * tiers[pos], 0.0)
                best_key = np.maximum(best_key, np.where(inside, keys[pos], 0.0))
            score = score + (bonus + best_key)
        flags = self._flags()[ids] if len(ids) else np.zeros(0, dtype=bool)
        out = {}
        for learning in (True, False):
            group = flags if learning else ~flags
            g_ids, g_score = ids[group], score[group]
            lazy = []
            for topic_id, strength in understood:
                for primary in (True, False):
                    entries = self._lists.get((topic_id, primary, learning))
                    if entries:
                        # Its best entry bounds what the list can yield: it is only filtered
                        # (text hits taken out) once the merge reaches that bound.
                        bound = entries[0][0] - strength * (2 if primary else 1)
                        lazy.append(
                            (
                                bound,
                                functools.partial(
                                    self._static, topic_id, strength, primary, learning, exact
                                ),
                            )
                        )
            head = _best_first(-g_score, g_ids)
            out[learning] = self._dedupe(_lazy_merge(head, lazy), skip)
        return out

    def _dedupe(
        self, merged: Iterator[tuple[float, int]], skip: set[int]
    ) -> Iterator[tuple[int, float]]:
        seen = set(skip)
        for neg, idx in merged:
            if idx not in seen and self._docs[idx] is not None:
                seen.add(idx)
                yield idx, -neg

    def _static(
        self, topic_id: str, strength: float, primary: bool, learning: bool, exclude: np.ndarray
    ) -> Iterator[tuple[float, int]]:
        """A topic group's members in static order, text hits left out (they are scored)."""
        shift = strength * (2 if primary else 1)
        key = (topic_id, primary, learning)
        arrays = self._np_lists.get(key)
        if arrays is None:
            entries = self._lists.get(key, ())
            arrays = (
                np.array([k for k, _ in entries], dtype=np.float64),
                np.array([i for _, i in entries], dtype=np.int64),
            )
            self._np_lists[key] = arrays
        keys, ids = arrays
        if not len(ids):
            return iter(())
        keep = ~exclude[ids]
        return _sorted_pairs(keys[keep] - shift, ids[keep])

    def _suggest(self, text: str) -> tuple[str, ...]:
        """Topic names (and catalog words) close to a query that found nothing."""
        out: list[str] = []
        latin = " ".join(w for w in words(text) if not is_cjk(w))
        if latin and self._phrase_texts:
            texts, names = self._latin_choices()
            # The whole text against whole phrases, then each longer word against the words
            # of topic phrases ("zzqx monitorin"): two cheap passes instead of WRatio's many.
            for _, _, pos in process.extract(
                latin, texts, scorer=fuzz.QRatio, score_cutoff=70, limit=10
            ):
                out.append(names[pos])
            vocab, owners = self._topic_words()
            for word in words(latin)[:3]:
                if len(word) >= 4 and not self._lexicon.knows(word):
                    found = process.extractOne(word, vocab, scorer=fuzz.ratio, score_cutoff=75)
                    if found:
                        out.append(owners[found[2]])
            for word in words(latin)[:3] if not out else ():
                if self._lexicon.knows(word):
                    continue  # "lunch" is not a misspelt "launch"
                if len(word) >= 4 and (close := self._closest_word(word, cutoff=70)):
                    out.append(close)
        # Pad with the biggest topics so there is always somewhere to go next.
        if self._biggest is None:
            sizes = sorted(self._topics, key=lambda t: (-len(self._members[t]), t))
            self._biggest = [self._topics[t].name for t in sizes[:3]]
        out += self._biggest
        return tuple(dict.fromkeys(out))[:3]


def _lazy_merge(
    head: Iterator[tuple[float, int]],
    lazies: Sequence[tuple[float, Callable[[], Iterator[tuple[float, int]]]]],
) -> Iterator[tuple[float, int]]:
    """`heapq.merge(head, *streams)` where each stream is made only when the merge reaches
    its bound (a value no item of it can beat): most pages never need a topic's static list.
    Equal items come out in stream order, as `heapq.merge` gives them."""
    heap: list[
        tuple[
            tuple[float, int],
            int,
            Iterator[tuple[float, int]] | None,
            Callable[[], Iterator[tuple[float, int]]] | None,
        ]
    ] = []
    first = next(head, None)
    if first is not None:
        heap.append((first, 0, head, None))
    for n, (bound, factory) in enumerate(lazies, 1):
        heap.append(((bound, -1), n, None, factory))
    heapq.heapify(heap)
    while heap:
        item, order, stream, make = heap[0]
        if make is not None:
            stream = make()
        else:
            yield item
        assert stream is not None
        nxt = next(stream, None)
        if nxt is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (nxt, order, stream, None))


def _is_cjk_word(word: str) -> bool:
    """For a word from `words`: CJK runs and latin words never mix, so the first character
    tells (the ranges of `bot.core.terms`: kana, CJK ideographs, Hangul)."""
    c = word[0]
    return (
        "\u3040" <= c <= "\u30ff"
        or "\u3400" <= c <= "\u9fff"
        or "\uac00" <= c <= "\ud7af"
        or "\uf900" <= c <= "\ufaff"
    )


def _sorted_pairs(
    negs: np.ndarray, ids: np.ndarray, chunk: int = 16
) -> Iterator[tuple[float, int]]:
    """(negated score, index) pairs from sorted arrays, converted a chunk at a time."""
    for start in range(0, len(ids), chunk):
        yield from zip(
            negs[start : start + chunk].tolist(), ids[start : start + chunk].tolist(), strict=True
        )


def _best_first(negs: np.ndarray, ids: np.ndarray, head: int = 64) -> Iterator[tuple[float, int]]:
    """(negated score, index) ascending, ties by index; only the head is sorted up front.

    A page needs a handful of hits; the rest are sorted only if somebody pages that far.
    `ids` must be ascending, so a stable sort keeps lower indexes first among equal scores.
    """
    if len(ids) <= 4 * head:
        order = np.argsort(negs, kind="stable")
        yield from _sorted_pairs(negs[order], ids[order])
        return
    cut = np.partition(negs, head)[head]
    first = np.flatnonzero(negs <= cut)
    order = first[np.argsort(negs[first], kind="stable")]
    yield from _sorted_pairs(negs[order], ids[order])
    rest = np.flatnonzero(negs > cut)
    order = rest[np.argsort(negs[rest], kind="stable")]
    yield from _sorted_pairs(negs[order], ids[order])


class _Hits:
    """Text hits of a query: resource indexes (ascending) and their raw BM25F scores."""

    __slots__ = ("ids", "mask", "scores")

    def __init__(self, ids: np.ndarray, scores: np.ndarray, mask: np.ndarray | None = None) -> None:
        self.ids = ids
        self.scores = scores
        self.mask = mask  # the hits as a boolean array over every index, when one was made

    def as_mask(self, size: int) -> np.ndarray:
        if self.mask is not None and len(self.mask) == size:
            return self.mask
        mask = np.zeros(size, dtype=bool)
        mask[self.ids] = True
        return mask

    @classmethod
    def none(cls) -> _Hits:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    def __len__(self) -> int:
        return len(self.ids)

    def top(self, k: int) -> list[int]:
        """The k best-scoring indexes, best first (ties: lower index first)."""
        if not len(self.ids):
            return []
        if len(self.ids) > 4 * k:
            # Only the k best need sorting: partition first (ties keep the lower index).
            part = np.argpartition(-self.scores, k)[: k + 1]
            cut = self.scores[part].min()
            part = np.flatnonzero(self.scores >= cut)
            order = part[np.argsort(-self.scores[part], kind="stable")][:k]
        else:
            order = np.argsort(-self.scores, kind="stable")[:k]
        return self.ids[order].tolist()


def compose_page(ranking: _Ranking, limit: int, offset: int) -> list[tuple[int, float]]:
    """Cut one page: named picks, then per block of `limit` learning first, tools after.

    Every block of `limit` results holds ``limit - 2 * limit // 5`` learning items (3 of 5, 6
    of 10) then the rest as tools to explore; when one group runs out the other fills the block.
    Named picks open the first block and use up their own group's share. Blocks are anchored at
    offset 0, so successive pages with the same `limit` never repeat or skip a result.
    """
    page = ranking.pages.get(limit)
    if page is None:
        page = ranking.pages[limit] = _Pages()
    while len(page.sequence) < offset + limit and page.extend(ranking, limit):
        pass
    return page.sequence[offset : offset + limit]


@dataclass
class _Pages:
    """The display order for one page size, grown a block at a time."""

    sequence: list[tuple[int, float]] = field(default_factory=list)
    used: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})

    def extend(self, ranking: _Ranking, limit: int) -> bool:
        """Append one block; False once both streams are exhausted."""
        learn_quota = limit - 2 * limit // 5
        tool_quota = limit - learn_quota
        block: list[tuple[int, float]] = []
        if not self.sequence:
            pins = ranking.pinned[:limit]
            block = [(i, score) for i, score, _ in pins]
            pinned_learning = sum(1 for *_, learning in pins if learning)
            room = limit - len(block)
            learn_quota = min(room, max(0, learn_quota - pinned_learning))
            tool_quota = min(room - learn_quota, max(0, tool_quota - len(pins) + pinned_learning))
        streams = {True: ranking.learning, False: ranking.tools}
        learned = self._take(streams, True, learn_quota)
        tooled = self._take(streams, False, tool_quota)
        # A short block is filled from whichever group still has items.
        learned += self._take(streams, True, limit - len(block) - len(learned) - len(tooled))
        tooled += self._take(streams, False, limit - len(block) - len(learned) - len(tooled))
        block += learned + tooled
        self.sequence.extend(block)
        return bool(block)

    def _take(
        self, streams: dict[bool, _Stream], learning: bool, count: int
    ) -> list[tuple[int, float]]:
        out = []
        for _ in range(max(0, count)):
            item = streams[learning].get(self.used[learning])
            if item is None:
                break
            self.used[learning] += 1
            out.append(item)
        return out
