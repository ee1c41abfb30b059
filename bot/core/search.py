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
import heapq
import itertools
import math
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.core.catalog import Catalog
from bot.core.models import Resource, Topic
from bot.core.text import (
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
_TITLE_HEAD = re.compile(r"\s*(?:[:(\[|]|\s[-–—]\s).*$")
_VENDOR = re.compile(r"^(?:apache|nvidia|google|microsoft|aws|amazon|azure|meta|facebook)\s+")


@dataclass(frozen=True)
class Hit:
    resource: Resource
    # Ordering key within its group (learning or tools); named and start_here picks carry fixed
    # high scores. Not comparable across queries.
    score: float


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int
    topics: tuple[Topic, ...]
    suggestions: tuple[str, ...]

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class _Phrase:
    topic: str
    terms: frozenset[str]
    cjk: tuple[str, ...]
    official: bool


@dataclass
class _Understanding:
    topics: list[tuple[str, float]]  # (topic id, share of the query it explains), best first
    clear: str | None  # the topic whose own name explains the query, if one does
    covered: set[str]  # query terms explained by some topic phrase


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

    @property
    def total_weight(self) -> float:
        cjk = sum(len(r) for r in self.cjk_runs) * _CJK_CHAR_WEIGHT
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
        self._avgdl = 1.0
        self._vocab: dict[str, str] = {}
        self._by_len: dict[int, list[str]] | None = None
        self._corrections: dict[str, str | None] = {}
        self._phrases: list[_Phrase] = []
        self._phrase_by_term: dict[str, list[int]] = defaultdict(list)
        self._cjk_phrases: list[int] = []
        self._official_keys: set[frozenset[str]] = set()
        self._phrase_texts: list[tuple[str, str]] = []
        self._topic_terms: dict[str, frozenset[str]] = {}
        self._titles: dict[str, list[int]] = defaultdict(list)
        self._tool_names: dict[str, list[int]] = defaultdict(list)
        self._tool_tags: dict[str, list[int]] = defaultdict(list)
        # (topic, primary, learning) -> [(-static key, index)] ascending, i.e. best first.
        self._lists: dict[tuple[str, bool, bool], list[tuple[float, int]]] = defaultdict(list)
        # topic -> index -> (tier, static key)
        self._members: dict[str, dict[int, tuple[int, float]]] = defaultdict(dict)
        self._cache: OrderedDict[str, _Ranking] = OrderedDict()

    # ----------------------------------------------------------------------------- building

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        """Index every topic and resource of a catalog."""
        index = cls()
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
        fields = self._fields(resource)
        self._index(resource, fields, keep_sorted=True)
        for term in itertools.chain(*fields):
            self._top_postings.pop(term, None)
        self._cache.clear()
        self._corrections.clear()
        self._by_len = None

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
            self._learn_words(latin)
            terms = frozenset(
                stem(w) for w in latin if w not in STOPWORDS and (len(w) > 1 or w.isdigit())
            )
            cjk = tuple(w for w in words(folded) if is_cjk(w))
            if not terms and not cjk:
                continue
            phrase = _Phrase(topic.id, terms, cjk, official)
            pid = len(self._phrases)
            self._phrases.append(phrase)
            if official:
                self._official_keys.add(terms)
            for term in terms:
                self._phrase_by_term[term].append(pid)
            if not terms:
                self._cjk_phrases.append(pid)
            terms_seen |= terms
            self._phrase_texts.append((folded.strip(), topic.name))
        self._topic_terms[topic.id] = frozenset(terms_seen - GENERIC)

    def _fields(self, resource: Resource) -> tuple[list[str], list[str], list[str]]:
        tags = " ".join(resource.tags).replace("-", " ")
        texts = (resource.title, tags, resource.summary)
        for text in texts:
            self._learn_words(w for w in words(normalise(text)) if not is_cjk(w))
        title, tag_terms, summary = (index_terms(t) for t in texts)
        return title, tag_terms, summary

    @staticmethod
    def _length(fields: tuple[list[str], list[str], list[str]]) -> float:
        return sum(w * len(f) for w, f in zip(_FIELD_WEIGHTS, fields, strict=True))

    def _learn_words(self, found: Iterable[str]) -> None:
        for word in found:
            if len(word) >= 3 and word.isalpha() and word not in self._vocab:
                self._vocab[word] = stem(word)

    def _index(
        self,
        resource: Resource,
        fields: tuple[list[str], list[str], list[str]],
        keep_sorted: bool = False,
    ) -> None:
        idx = len(self._docs)
        self._docs.append(resource)
        self._learning.append(resource.kind.is_learning)
        self._by_id[resource.id] = idx
        weighted: dict[str, float] = defaultdict(float)
        for weight, terms in zip(_FIELD_WEIGHTS, fields, strict=True):
            for term in terms:
                weighted[term] += weight
        norm = _K1 * (1 - _B + _B * self._length(fields) / self._avgdl)
        for term, tf in weighted.items():
            self._postings.setdefault(term, {})[idx] = tf * (_K1 + 1) / (tf + norm)
        self._titles[title_key(resource.title)].append(idx)
        if resource.kind == "tool":
            for key in self._tool_keys(resource):
                self._tool_names[key].append(idx)
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
        for table in (self._titles, self._tool_names, self._tool_tags):
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
            self._cache[text] = ranking
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        picked = compose_page(ranking, limit, offset)
        hits = tuple(Hit(r, score) for i, score in picked if (r := self._docs[i]) is not None)
        suggestions = self._suggest(text) if ranking.total == 0 else ()
        return SearchResults(
            query=text,
            hits=hits,
            total=ranking.total,
            offset=offset,
            topics=tuple(self._topics[t] for t in ranking.topics),
            suggestions=suggestions,
        )

    def _rank(self, text: str) -> _Ranking:
        query = self._parse(text)
        understanding = self._understand(query)
        understood, clear = understanding.topics, understanding.clear
        named, whole = self._named(query, understanding)
        if named and clear is None and (whole or not understood):
            # "feast" and "weights and biases" are about the tool's topic, whatever the words.
            primary = self._docs[named[0]]
            if primary is not None and primary.primary_topic in self._topics:
                understood = [(primary.primary_topic, 0.5)]
        relevance = self._relevance(query)
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
        matched = set(relevance) | set(named) | set(start)
        for topic_id, _ in understood:
            matched.update(self._members[topic_id])
        return _Ranking(
            pinned=pinned,
            learning=streams[0],
            tools=streams[1],
            total=len(matched),
            topics=tuple(t for t, _ in understood),
        )

    def _is_learning(self, idx: int) -> bool:
        return self._learning[idx]

    def _parse(self, text: str) -> _Query:
        terms: list[str] = []
        key: list[str] = []
        full: list[str] = []
        unknown = 0.0
        cjk_runs: list[str] = []
        for word in words(text)[:_MAX_WORDS]:
            if is_cjk(word):
                cjk_runs.append(word)
                full.append(word)
                continue
            if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
                full.append(stem(word))
                continue
            term = self._term_for(word)
            full.append(term or stem(word))
            key.append(term or stem(word))
            if term is None:
                unknown += 1.0
            elif term not in terms:
                terms.append(term)
        only_generic = all(t in GENERIC for t in terms)
        weights = {t: 1.0 if only_generic or t not in GENERIC else _GENERIC_WEIGHT for t in terms}
        cjk_terms = [b for run in cjk_runs for b in bigrams(run) if b in self._postings]
        return _Query(
            text, terms, " ".join(key), weights, unknown, cjk_runs, cjk_terms, " ".join(full)
        )

    def _term_for(self, word: str) -> str | None:
        """The index term a typed word stands for, correcting typos against the vocabulary."""
        known = self._vocab.get(word)
        if known is not None:
            return known
        if word in self._corrections:
            return self._corrections[word]
        term: str | None = None
        if len(word) >= 4 and word.isalpha() and word.isascii():
            fixed = self._closest_word(word)
            term = self._vocab[fixed] if fixed else None
        if term is None:
            candidate = stem(word)
            if candidate in self._postings or candidate in self._phrase_by_term:
                term = candidate
        if len(self._corrections) > 10_000:
            self._corrections.clear()
        self._corrections[word] = term
        return term

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
        candidates = {p for t in query.terms for p in self._phrase_by_term.get(t, ())}
        if query.cjk_runs:
            candidates.update(self._cjk_phrases)
        present = set(query.terms)
        covered: dict[str, set[str]] = defaultdict(set)
        official: dict[str, set[str]] = defaultdict(set)
        cjk_covered: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        for pid in candidates:
            phrase = self._phrases[pid]
            if not phrase.terms <= present:
                continue
            if has_specific and phrase.terms and phrase.terms <= GENERIC and not phrase.cjk:
                continue
            spans = self._cjk_spans(phrase, query.cjk_runs)
            if spans is None:
                continue
            covered[phrase.topic] |= phrase.terms
            if phrase.official:
                official[phrase.topic] |= phrase.terms
            for run, positions in spans:
                cjk_covered[phrase.topic][run] |= positions
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
            return _Understanding(self._fuzzy_topic(query), None, set())
        shares.sort(key=lambda s: (-s[1], -s[2], s[0]))
        by_name = sorted(shares, key=lambda s: -s[2])
        clear = None
        if by_name[0][2] >= _CLEAR_TOPIC and (len(by_name) == 1 or by_name[1][2] < by_name[0][2]):
            clear = by_name[0][0]
        explained = set().union(*covered.values()) if covered else set()
        return _Understanding([(t, s) for t, s, _ in shares], clear, explained)

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
        latin = " ".join(w for w in words(query.text) if not is_cjk(w))
        if len(latin) < 4 or not self._phrase_texts:
            return []
        choices = [t for t, _ in self._phrase_texts]
        found = process.extractOne(latin, choices, scorer=fuzz.ratio, score_cutoff=85)
        if not found:
            return []
        name = self._phrase_texts[found[2]][1]
        topic_id = next(t.id for t in self._topics.values() if t.name == name)
        return [(topic_id, 0.8)]

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
        if not found and whole and not understanding.covered:
            # A nickname kept as a tag ("wandb") names the tool when few tools carry it.
            tagged = self._live(self._tool_tags.get(query.key, ()))
            found = tagged if len(tagged) <= 2 else []
        if found:
            return self._pins(found), True
        if not 2 <= len(terms) <= 4:
            return [], False
        for n in (3, 2, 1):
            for start in range(len(terms) - n + 1):
                gram = terms[start : start + n]
                # "vector" inside "vector database" is part of a topic phrase, not a tool.
                if set(gram) & understanding.covered or set(gram) <= GENERIC:
                    continue
                if n == 1 and len(self._postings.get(gram[0], ())) > rare:
                    continue
                tools = self._live(self._tool_names.get(" ".join(gram), ()))
                rest = terms[:start] + terms[start + n :]
                if tools and all(t in understanding.covered or t in GENERIC for t in rest):
                    found += tools
        return self._pins(found), False

    def _pins(self, found: list[int]) -> list[int]:
        # Tools first: a title shared by a tool and an article names the tool.
        return sorted(dict.fromkeys(found), key=lambda i: (self._is_learning(i), i))[:_MAX_PINS]

    def _live(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if self._docs[i] is not None]

    def _relevance(self, query: _Query) -> dict[int, float]:
        """BM25F over title, tags and summary; scores are raw (see `_ranked` for scaling).

        Each term seeds at most its `_TOP_POSTINGS` best resources, and terms found in more
        than a tenth of the catalog only seed when nothing rarer was asked: past that, a
        query costs the same at 100,000 resources as at 10,000.
        """
        weighted = [(t, query.weights[t]) for t in query.terms if t in self._postings]
        weighted += [(t, 1.0) for t in dict.fromkeys(query.cjk_terms)]
        if not weighted:
            return {}
        n_docs = max(1, len(self._by_id))
        common_df = max(50, _COMMON_SHARE * n_docs)
        scores: dict[int, float] = defaultdict(float)
        later = []
        for term, weight in weighted:
            posting = self._postings[term]
            if len(posting) <= min(common_df, _TOP_POSTINGS):
                factor = weight * self._idf(term, n_docs)
                if not scores:  # the first term fills the dict in one C-level pass
                    scores.update({idx: factor * impact for idx, impact in posting.items()})
                    continue
                for idx, impact in posting.items():
                    scores[idx] += factor * impact
            else:
                later.append((term, weight))
        seeding = [t for t, _ in later if len(self._postings[t]) <= common_df]
        if not scores and not seeding:
            seeding = [t for t, _ in later]
            cap = _COMMON_SEEDS
        else:
            cap = _TOP_POSTINGS
        for term in seeding:
            for idx in itertools.islice(self._best_postings(term), cap):
                scores.setdefault(idx, 0.0)
        for term, weight in later:
            factor = weight * self._idf(term, n_docs)
            posting = self._postings[term]
            # A common term's posting is larger than the candidates: intersect in C, then
            # add only where it occurs.
            for idx in scores.keys() & posting.keys():
                scores[idx] += factor * posting[idx]
        return {i: v for i, v in scores.items() if v > 0}

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

    def _ranked(
        self,
        understood: list[tuple[str, float]],
        relevance: dict[int, float],
        skip: set[int],
    ) -> dict[bool, Iterator[tuple[int, float]]]:
        """Learning resources and tools, each best first, as (index, score).

        Text hits are scored one by one; every other topic member keeps its precomputed order,
        so a page costs little past the hits. A member of two understood topics that matches
        no query word is ranked by its better topic alone: a weak signal not worth a scan.
        """
        exact = relevance.keys() - skip
        flags = self._learning
        scale = _REL_WEIGHT / max(relevance.values(), default=1.0)
        scored: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
        # This loop runs once per text hit (thousands for common words in a large catalog):
        # bound methods and no branch per hit that the query already decides.
        add = (scored[False].append, scored[True].append)
        kept = dict(relevance) if skip else relevance
        for idx in skip:
            kept.pop(idx, None)
        hits = kept.items()
        if not understood:
            for idx, rel in hits:
                add[flags[idx]]((-(rel * scale), idx))
        elif len(understood) == 1:
            # The common case, kept to one dictionary lookup per hit.
            (topic_id, strength), members = understood[0], self._members[understood[0][0]]
            member_of = members.get
            for idx, rel in hits:
                member = member_of(idx)
                bonus = strength * member[0] + member[1] if member else 0.0
                add[flags[idx]]((-(rel * scale + bonus), idx))
        else:
            strengths, doc_topics = dict(understood), self._doc_topics
            # Only members of an understood topic get a bonus; the rest score by text alone.
            in_topics = set().union(*(self._members[t].keys() for t, _ in understood))
            for idx, rel in hits:
                if idx not in in_topics:
                    add[flags[idx]]((-(rel * scale), idx))
                    continue
                score, best_key = rel * scale, 0.0
                for topic_id, tier, key in doc_topics[idx]:
                    weight = strengths.get(topic_id)
                    if weight:
                        score += weight * tier
                        best_key = max(best_key, key)
                add[flags[idx]]((-(score + best_key), idx))
        out = {}
        for learning, heap in scored.items():
            heapq.heapify(heap)
            lazy = [
                self._static(topic_id, strength, primary, learning, exact)
                for topic_id, strength in understood
                for primary in (True, False)
            ]
            out[learning] = self._dedupe(heapq.merge(_drain(heap), *lazy), skip)
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
        self, topic_id: str, strength: float, primary: bool, learning: bool, exclude: set[int]
    ) -> Iterator[tuple[float, int]]:
        shift = strength * (2 if primary else 1)
        for key, idx in self._lists.get((topic_id, primary, learning), ()):
            if idx not in exclude:
                yield key - shift, idx

    def _suggest(self, text: str) -> tuple[str, ...]:
        """Topic names (and catalog words) close to a query that found nothing."""
        out: list[str] = []
        latin = " ".join(w for w in words(text) if not is_cjk(w))
        if latin and self._phrase_texts:
            choices = [t for t, _ in self._phrase_texts]
            for _, _, pos in process.extract(
                latin, choices, scorer=fuzz.WRatio, score_cutoff=70, limit=10
            ):
                out.append(self._phrase_texts[pos][1])
            for word in words(latin)[:3]:
                if len(word) >= 4 and (close := self._closest_word(word, cutoff=70)):
                    out.append(close)
        # Pad with the biggest topics so there is always somewhere to go next.
        sizes = sorted(self._topics, key=lambda t: (-len(self._members[t]), t))
        out += [self._topics[t].name for t in sizes]
        return tuple(dict.fromkeys(out))[:3]


def _drain(heap: list[tuple[float, int]]) -> Iterator[tuple[float, int]]:
    while heap:
        yield heapq.heappop(heap)


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
