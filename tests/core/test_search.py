"""Search on a small hand-made catalog: ranking rules, paging, typos, Chinese, odd input."""

from __future__ import annotations

import random

import pytest

from bot.core.catalog import Catalog
from bot.core.models import Kind, Resource, Topic
from bot.core.search import SearchIndex, SearchResults
from bot.core.terms import MAX_QUERY_CHARS, clean_query, index_terms, stem

TOPICS = [
    Topic(
        id="serving",
        name="Model serving & inference",
        description="Serving predictions.",
        aliases=("model serving", "inference", "online inference", "模型服务", "模型推理"),
        start_here=("serving-course", "bentoml", "serving-article"),
    ),
    Topic(
        id="monitoring",
        name="Monitoring & observability",
        description="Watching models in production.",
        aliases=("observability", "model monitoring", "模型监控"),
        start_here=("monitoring-book",),
    ),
    Topic(
        id="labeling",
        name="Labeling, annotation & training data",
        description="Getting labels.",
        aliases=("annotation", "data labeling", "数据标注"),
        start_here=("labeling-guide",),
    ),
    Topic(
        id="feature-store",
        name="Feature engineering & feature stores",
        description="Features.",
        aliases=("feature store",),
    ),
    Topic(
        id="experiment-tracking",
        name="Experiment tracking",
        description="Tracking runs.",
        aliases=("experiment management",),
    ),
    Topic(
        id="deployment",
        name="Model deployment",
        description="Shipping models.",
        aliases=("deploy a model", "kubernetes"),
    ),
]


def res(rid: str, title: str, kind: Kind, topics: tuple[str, ...], summary: str, **kw) -> Resource:
    return Resource(
        id=rid,
        title=title,
        url=f"https://example.com/{rid}",
        kind=kind,
        topics=topics,
        summary=summary,
        **kw,
    )


C, A, B, T, L = Kind.COURSE, Kind.ARTICLE, Kind.BOOK, Kind.TOOL, Kind.LIST
RESOURCES = [
    res("serving-course", "Serving lesson", C, ("serving",), "Wrap a model in an API."),
    res("serving-article", "Batch vs online", A, ("serving",), "When to precompute predictions."),
    res("serving-talk", "Serving at scale", Kind.TALK, ("serving",), "Latency and throughput."),
    res("serving-paper", "Clipper", Kind.PAPER, ("serving",), "A low-latency prediction system."),
    res("bentoml", "BentoML", T, ("serving",), "Framework to package and serve models."),
    res("kserve", "KServe", T, ("serving", "deployment"), "Model inference on Kubernetes."),
    res("triton", "Triton Inference Server", T, ("serving",), "NVIDIA inference server."),
    res(
        "deploy-serving-article",
        "Deploying models behind an inference API",
        A,
        ("deployment", "serving"),
        "Step by step deployment of a model server.",
    ),
    res("monitoring-book", "Designing ML Systems", B, ("monitoring",), "Chapter on monitoring."),
    res(
        "monitoring-article",
        "Monitoring ML models in production",
        A,
        ("monitoring",),
        "What to watch once a model is live.",
    ),
    res("evidently", "Evidently", T, ("monitoring",), "Open-source model monitoring reports."),
    res("whylogs", "whylogs", T, ("monitoring",), "Data logging for observability."),
    res("labeling-guide", "A guide to data labeling", A, ("labeling",), "How to label data well."),
    res("label-studio", "Label Studio", T, ("labeling",), "Annotation tool for many data types."),
    res("weak-sup", "Weak supervision", A, ("labeling",), "Programmatic labels with Snorkel."),
    res("feast", "Feast", T, ("feature-store",), "Open-source feature store."),
    res(
        "feast-intro",
        "Introducing Feast",
        A,
        ("feature-store",),
        "Why Gojek and Google built an open-source feature store.",
        tags=("feast",),
    ),
    res(
        "fs-article", "What is a feature store", A, ("feature-store",), "Feature stores explained."
    ),
    res("mlflow", "MLflow", T, ("experiment-tracking",), "Track experiments and models."),
    res(
        "tracking-article",
        "Experiment tracking for ML",
        A,
        ("experiment-tracking",),
        "Log parameters, metrics and artifacts of every run.",
        tags=("mlflow",),
    ),
    res("deploy-course", "Model deployment course", C, ("deployment",), "Deploy a model."),
    res("k8s-list", "Awesome Kubernetes ML", L, ("deployment",), "Links about kubernetes."),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(TOPICS, RESOURCES)


@pytest.fixture
def index(catalog: Catalog) -> SearchIndex:
    return SearchIndex.build(catalog)


def ids(results: SearchResults) -> list[str]:
    return [h.resource.id for h in results.hits]


def topic_ids(results: SearchResults) -> list[str]:
    return [t.id for t in results.topics]


# ------------------------------------------------------------------------------ ranking rules


def test_topic_query_puts_start_here_first_in_curated_order(index: SearchIndex) -> None:
    results = index.search("serving")
    assert topic_ids(results)[0] == "serving"
    learning = [h.resource.id for h in results.hits if h.resource.kind.is_learning]
    tools = [h.resource.id for h in results.hits if not h.resource.kind.is_learning]
    assert learning[:2] == ["serving-course", "serving-article"]
    assert tools[0] == "bentoml"


def test_page_shows_three_learning_then_two_tools(index: SearchIndex) -> None:
    results = index.search("serving", limit=5)
    kinds = [h.resource.kind.is_learning for h in results.hits]
    assert kinds == [True, True, True, False, False]


def test_short_group_is_filled_from_the_other(index: SearchIndex) -> None:
    # Monitoring has two learning items and two tools: a page of 4 holds all of them.
    results = index.search("monitoring", limit=4)
    assert sorted(ids(results)) == sorted(
        ["monitoring-book", "monitoring-article", "evidently", "whylogs"]
    )
    assert [h.resource.kind.is_learning for h in results.hits] == [True, True, False, False]


def test_primary_topic_beats_secondary() -> None:
    twins = [
        res("first", "Canary rollouts", A, ("deployment", "serving"), "Roll out a model."),
        res("second", "Canary rollouts", A, ("serving", "deployment"), "Roll out a model."),
        res("third", "Shadow traffic", A, ("serving",), "Mirror requests to a new model."),
    ]
    index = SearchIndex.build(Catalog(TOPICS, twins))
    assert ids(index.search("serving canary rollouts"))[:2] == ["second", "first"]
    assert ids(index.search("deployment canary rollouts"))[:2] == ["first", "second"]


def test_strong_text_match_lifts_a_secondary_resource(index: SearchIndex) -> None:
    # Secondary to serving, but about exactly what was asked: it outranks a primary resource
    # that does not mention it at all.
    order = ids(index.search("model server", limit=20))
    assert order.index("deploy-serving-article") < order.index("serving-paper")


def test_named_tool_comes_first(index: SearchIndex) -> None:
    results = index.search("feast")
    assert ids(results)[0] == "feast"
    assert "feast-intro" in ids(results)
    assert topic_ids(results) == ["feature-store"]


def test_named_tool_comes_first_even_with_a_clear_topic(index: SearchIndex) -> None:
    results = index.search("mlflow")
    assert ids(results)[0] == "mlflow"
    assert "tracking-article" in ids(results)


def test_tool_named_inside_a_question_is_pinned(index: SearchIndex) -> None:
    assert ids(index.search("how to use kserve for inference"))[0] == "kserve"


def test_multiword_tool_name(index: SearchIndex) -> None:
    assert ids(index.search("label studio"))[0] == "label-studio"


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("model serving", "serving"),
        ("inference", "serving"),
        ("observability", "monitoring"),
        ("annotation", "labeling"),
        ("feature store", "feature-store"),
        ("feature stores", "feature-store"),
        ("how do I deploy a model", "deployment"),
        ("Experiment Tracking", "experiment-tracking"),
    ],
)
def test_aliases_and_names_find_the_topic(index: SearchIndex, query: str, topic: str) -> None:
    results = index.search(query)
    assert topic_ids(results)[0] == topic
    assert results.hits[0].resource.topics[0] == topic


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("servng", "serving"),
        ("monitorng", "monitoring"),
        ("expirement tracking", "experiment-tracking"),
        ("kubernets", "deployment"),
        ("obsevability", "monitoring"),
    ],
)
def test_typos_are_corrected(index: SearchIndex, query: str, topic: str) -> None:
    results = index.search(query)
    assert topic_ids(results)[:1] == [topic]
    assert results.total > 0


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("模型服务", "serving"),
        ("模型监控", "monitoring"),
        ("数据标注", "labeling"),
        ("如何做数据标注", "labeling"),  # alias inside a longer sentence
        ("标注", "labeling"),  # part of an alias
    ],
)
def test_chinese_queries_match_topic_aliases(index: SearchIndex, query: str, topic: str) -> None:
    results = index.search(query)
    assert topic_ids(results)[0] == topic
    assert results.hits[0].resource.topics[0] == topic


def test_off_topic_query_suggests_instead(index: SearchIndex) -> None:
    results = index.search("pizza")
    assert results.hits == () and results.total == 0 and not results.has_more
    assert results.topics == ()
    assert 1 <= len(results.suggestions) <= 3
    # Every suggestion leads somewhere.
    for suggestion in results.suggestions:
        assert index.search(suggestion).total > 0


def test_unknown_words_do_not_hide_a_known_topic(index: SearchIndex) -> None:
    results = index.search("zzqx observabilityy")
    assert topic_ids(results) == ["monitoring"]
    assert results.hits[0].resource.id == "monitoring-book"


def test_near_miss_suggests_the_close_topic(index: SearchIndex) -> None:
    results = index.search("zzqx monitorin")
    assert topic_ids(results) == ["monitoring"]
    results = index.search("qwxz")
    assert results.total == 0 and results.suggestions


def test_suggestions_empty_when_something_matched(index: SearchIndex) -> None:
    assert index.search("serving").suggestions == ()


def test_free_text_without_a_topic_uses_text_relevance(index: SearchIndex) -> None:
    results = index.search("snorkel programmatic")
    assert ids(results)[0] == "weak-sup"
    assert results.total == 1


# ------------------------------------------------------------------------------ paging


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7])
def test_pages_continue_without_repeats_or_gaps(index: SearchIndex, limit: int) -> None:
    everything = ids(index.search("serving", limit=50))
    seen: list[str] = []
    offset = 0
    while True:
        page = index.search("serving", limit=limit, offset=offset)
        assert page.offset == offset and page.total == len(everything)
        seen += ids(page)
        if not page.has_more:
            break
        assert len(page.hits) == limit
        offset += limit
    assert len(seen) == len(set(seen)) == len(everything)
    assert set(seen) == set(everything)


def test_paging_past_the_end_is_empty(index: SearchIndex) -> None:
    results = index.search("serving", offset=500)
    assert results.hits == () and not results.has_more and results.total > 0


def test_odd_limit_and_offset_are_clamped(index: SearchIndex) -> None:
    assert len(index.search("serving", limit=0).hits) == 1
    assert index.search("serving", offset=-3).offset == 0
    assert len(index.search("serving", limit=10_000).hits) <= 50


# ------------------------------------------------------------------------------ odd input


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   \n\t ",
        "\x00\x01\x1b[31m",
        "🚀🔥🤖",
        "x" * 5000,
        "serving " * 1000,
        "<!channel> <@U123> <#C999|general>",
        "&lt;&gt;&amp;&amp;lt;",
        "<https://example.com|>",
        "'; DROP TABLE resources; --",
        "\u202emodel\u202c serving\u200b",
        "𝓈𝑒𝓇𝓋𝒾𝓃𝑔",
        "a" * 200 + "模型" * 300,
    ],
)
def test_any_input_is_answered(index: SearchIndex, raw: str) -> None:
    results = index.search(raw)
    assert len(results.query) <= MAX_QUERY_CHARS
    assert len(results.hits) <= 5
    assert results.total >= len(results.hits)


def test_slack_markup_is_stripped(index: SearchIndex) -> None:
    marked = index.search("<!channel> <@U123|bob> what about <https://feast.dev|feast>?")
    assert ids(marked)[0] == "feast"
    assert "channel" not in marked.query and "u123" not in marked.query
    assert ids(index.search("<@U1> serving :rocket:")) == ids(index.search("serving"))


def test_fullwidth_and_case_fold_to_the_same_query(index: SearchIndex) -> None:
    assert ids(index.search("ＳＥＲＶＩＮＧ")) == ids(index.search("serving"))


def test_clean_query_examples() -> None:
    assert clean_query("<https://x.io|Great Docs> &lt;b&gt; &amp; <!here>") == "great docs b &"
    assert clean_query("A/B testing") == "ab testing"
    assert clean_query("Ｍｏｄｅｌ\x00serving 🚀") == "model serving"
    assert clean_query("word " * 100).endswith("word")
    assert len(clean_query("word " * 100)) <= MAX_QUERY_CHARS


def test_stems_meet_across_inflections() -> None:
    assert stem("deployment") == stem("deploying") == stem("deploy")
    assert stem("labelling") == stem("labeling") == stem("labels")
    assert stem("experimentation") == stem("experiments")
    assert stem("registries") == stem("registry")
    assert stem("production") != stem("product")
    assert index_terms("数据标注") == ["数据", "据标", "标注"]


# ------------------------------------------------------------------------------ add()


def test_added_resource_is_searchable_at_once(index: SearchIndex) -> None:
    before = index.search("serving", limit=50)
    assert index.search("quokka").total == 0
    index.add(
        res(
            "quokka-serving",
            "Quokka: serving models on Raspberry Pi",
            A,
            ("serving",),
            "A community write-up.",
            community=True,
        )
    )
    assert ids(index.search("quokka")) == ["quokka-serving"]
    after = index.search("serving", limit=50)
    assert after.total == before.total + 1
    assert "quokka-serving" in ids(after)
    # Start-here picks keep their places.
    assert ids(after)[:2] == ids(before)[:2]


def test_added_tool_is_named_first(index: SearchIndex) -> None:
    index.add(res("seldon", "Seldon Core", T, ("serving",), "Deploy models on Kubernetes."))
    assert ids(index.search("seldon core"))[0] == "seldon"
    assert ids(index.search("seldn core"))[0] == "seldon"


def test_re_adding_an_id_replaces_it(index: SearchIndex) -> None:
    index.add(res("feast", "Feast", T, ("feature-store",), "Feature store, new summary zebra."))
    assert ids(index.search("zebra")) == ["feast"]
    assert ids(index.search("feast")).count("feast") == 1


def test_build_on_an_empty_catalog() -> None:
    empty = SearchIndex.build(Catalog([], []))
    results = empty.search("serving")
    assert results.total == 0 and results.hits == () and results.suggestions == ()


def test_random_garbage_never_raises(index: SearchIndex) -> None:
    rng = random.Random(7)
    alphabet = "ab serving监控数据<>@!|&;#:\x00\x1f\u200b\u202e🚀é𝔰ＡＢ-/_'\"\\\n\t"
    for _ in range(300):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        results = index.search(raw, limit=rng.randint(1, 10), offset=rng.randint(0, 20))
        assert len(results.query) <= MAX_QUERY_CHARS
        assert results.total >= results.offset + len(results.hits) or not results.hits


def test_named_tool_takes_a_tool_slot_on_the_first_page(index: SearchIndex) -> None:
    hits = index.search("feast", limit=5).hits
    assert hits[0].resource.id == "feast"
    # Feast plus the learning share; the group that runs short is filled from the other.
    assert [h.resource.kind.is_learning for h in hits[1:3]] == [True, True]


def test_tool_nickname_in_tags_names_the_tool() -> None:
    tools = [
        res("wb", "Weights & Biases", T, ("experiment-tracking",), "Track runs.", tags=("wandb",)),
        res("wb-post", "Sweeps with wandb", A, ("experiment-tracking",), "Tune runs with wandb."),
    ]
    index = SearchIndex.build(Catalog(TOPICS, tools))
    assert ids(index.search("wandb"))[0] == "wb"
    assert ids(index.search("weights and biases"))[0] == "wb"
