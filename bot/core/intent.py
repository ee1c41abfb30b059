"""What a query asks for besides its topic: help, a kind of resource, a level, a comparison.

Pure functions over the cleaned (folded) query text; `bot.core.search` uses them before it
ranks anything. Nothing here knows the catalog except through the arguments it is given.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.core.models import Kind, Level

# Greetings, thanks and questions about the bot itself: answered with help, not links.
_GREETING = (
    r"(?:hi|hello|hey|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening|day)|"
    r"thanks?(?: you)?|thank u|thx|ty|tysm|cheers|ok(?:ay)?|cool|nice|perfect|"
    r"bye|goodbye|see you|help(?: me)?|usage|commands?|menu|\?+)"
)
_FILLER = r"(?:there|all|everyone|folks|team|bot|mlops|mlops bot|so much|a lot|again|much|you)"
_HELP = re.compile(
    rf"^(?:{_GREETING}(?: (?:{_GREETING}|{_FILLER}))*|"
    r"(?:what|how) (?:can|do|does|should) (?:you|i|this|it|the bot|this bot|mlops)"
    r"(?: bot)? (?:do|work|use (?:you|it|this)|ask(?: you)?|help(?: me)?)(?: for me)?(?: here)?|"
    r"how (?:does|do) (?:this|it|the bot|this bot|you) work|"
    r"who are you|what are you|what is this(?: bot)?|are you a bot|"
    r"what (?:do|can) you know|what (?:topics|commands) (?:do you have|are there)|"
    r"how (?:do|can) i use (?:this|it|you|the bot|this bot|mlops)(?: bot)?)"
    r"[ !?.]*$"
)
# Chinese and Japanese function words around a topic ("怎么…", "…について"): not content.
CJK_FILLER = re.compile(
    r"怎么样|怎么|怎样|如何|什么是|什么|为什么|哪些|有哪些|一些|推荐|关于|请问|请|的|吗|呢|是|我|"
    r"について|とは|する|方法|を|は|が|の|に|で|と"
)


def is_help(text: str) -> bool:
    """Greetings and meta questions ("hi", "thanks", "what can you do", "how does this work")."""
    return bool(_HELP.match(text.strip(" !?.")) or _HELP.match(text))


# Scripts the catalog's words and aliases are written in.
_COVERED_SCRIPTS = ("LATIN", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "DIGIT", "FULLWIDTH")


def uncovered_script(text: str) -> str | None:
    """The script of a query none of whose letters the catalog covers (Thai, Arabic...)."""
    scripts: set[str] = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith(_COVERED_SCRIPTS) or ch.isascii():
            return None
        scripts.add(name.split(" ")[0].title() if name else "Unknown")
    if not scripts:
        return None
    return sorted(scripts)[0]


# Kind words: "serving books" wants books first. Tutorial means a course or an article.
_KIND_WORDS: dict[str, tuple[Kind, ...]] = {
    "book": (Kind.BOOK,),
    "books": (Kind.BOOK,),
    "ebook": (Kind.BOOK,),
    "ebooks": (Kind.BOOK,),
    "course": (Kind.COURSE,),
    "courses": (Kind.COURSE,),
    "paper": (Kind.PAPER,),
    "papers": (Kind.PAPER,),
    "talk": (Kind.TALK, Kind.VIDEO),
    "talks": (Kind.TALK, Kind.VIDEO),
    "video": (Kind.VIDEO, Kind.TALK),
    "videos": (Kind.VIDEO, Kind.TALK),
    "youtube": (Kind.VIDEO, Kind.TALK),
    "podcast": (Kind.PODCAST,),
    "podcasts": (Kind.PODCAST,),
    "newsletter": (Kind.NEWSLETTER,),
    "newsletters": (Kind.NEWSLETTER,),
    "list": (Kind.LIST,),
    "lists": (Kind.LIST,),
    "tool": (Kind.TOOL,),
    "tools": (Kind.TOOL,),
    "library": (Kind.TOOL,),
    "libraries": (Kind.TOOL,),
    "framework": (Kind.TOOL,),
    "frameworks": (Kind.TOOL,),
    "tutorial": (Kind.COURSE, Kind.ARTICLE),
    "tutorials": (Kind.COURSE, Kind.ARTICLE),
    "article": (Kind.ARTICLE,),
    "articles": (Kind.ARTICLE,),
    "blog": (Kind.ARTICLE,),
    "blogs": (Kind.ARTICLE,),
}
# Phrases that name a kind and must not be read word by word.
_KIND_PHRASES = (
    (re.compile(r"\bawesome lists?\b"), (Kind.LIST,)),
    (re.compile(r"\breading lists?\b"), (Kind.LIST,)),
    (re.compile(r"\bcurated lists?\b"), (Kind.LIST,)),
    (re.compile(r"\bopen[- ]source (?:tools?|librar(?:y|ies)|frameworks?)\b"), (Kind.TOOL,)),
)
_LEVEL_WORDS: dict[str, Level] = {
    "beginner": Level.INTRO,
    "beginners": Level.INTRO,
    "beginner's": Level.INTRO,
    "intro": Level.INTRO,
    "introduction": Level.INTRO,
    "introductory": Level.INTRO,
    "basics": Level.INTRO,
    "basic": Level.INTRO,
    "101": Level.INTRO,
    "newbie": Level.INTRO,
    "novice": Level.INTRO,
    "started": Level.INTRO,
    "starting": Level.INTRO,
    "gentle": Level.INTRO,
    "intermediate": Level.INTERMEDIATE,
    "advanced": Level.ADVANCED,
    "expert": Level.ADVANCED,
    "experts": Level.ADVANCED,
    "deep-dive": Level.ADVANCED,
    "in-depth": Level.ADVANCED,
}
_PHRASE_CUES = re.compile(r"\b(?:awesome|reading|curated|open|getting|new to|dummies|deep|depth)\b")
_LEVEL_PHRASES = (
    (re.compile(r"\bgetting started(?: with)?\b"), Level.INTRO),
    (re.compile(r"\bnew to\b"), Level.INTRO),
    (re.compile(r"\bfor dummies\b"), Level.INTRO),
    (re.compile(r"\bdeep dive\b"), Level.ADVANCED),
    (re.compile(r"\bin depth\b"), Level.ADVANCED),
)

# Ways people name the seed resources, rewritten to the words their titles use.
_SEED_NAMES = (
    (re.compile(r"\bfull[- ]?stack (?:deep learning|dl)(?= (?:lec|lab|20\d\d))"), "fsdl"),
    (re.compile(r"\bmade ?with ?ml\b"), "made with ml"),
    (
        re.compile(r"\bdesigning (?:ml|machine learning) systems\b"),
        "designing machine learning systems",
    ),
    (re.compile(r"\b(?:dmls|chip huyen'?s? book)\b"), "designing machine learning systems"),
    (re.compile(r"\bburkov'?s? books?\b"), "burkov book"),
    (
        re.compile(r"\b(?:100|hundred)[- ]page (?:ml|machine learning) book\b"),
        "hundred page machine learning book",
    ),
    (
        re.compile(r"\b(?:the )?(?:ml |machine learning )?technical debt paper\b"),
        "hidden technical debt machine learning systems",
    ),
    (re.compile(r"\bsculley(?: et al\.?)?(?: paper)?\b"), "hidden technical debt sculley"),
    (re.compile(r"\blec(?:ture)? ?(\d+)\b"), r"lecture \1"),
    (re.compile(r"\blab ?(\d+)\b"), r"lab \1"),
    (re.compile(r"\bw ?& ?b\b|\bw and b\b"), "wandb"),
)


_SEED_ANY = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _SEED_NAMES))


def rewrite_names(text: str) -> str:
    if not _SEED_ANY.search(text):
        return text
    for pattern, replacement in _SEED_NAMES:
        text = pattern.sub(replacement, text)
    return text


# Named things with a second, non-MLOps meaning: (word, resource id meant, note).
AMBIGUOUS: dict[str, tuple[str, str]] = {
    "triton": (
        "triton-inference-server",
        "“Triton” here is NVIDIA's Triton Inference Server; for OpenAI's Triton, the language"
        " for writing GPU kernels, try `/mlops openai triton`.",
    ),
}

_COMPARE = re.compile(
    r"^(?:(?:what is|what's|whats) the )?(?:difference between |compare |comparing )?"
    r"(?P<a>.+?)\s+(?:vs\.?|versus|or|compared to|compared with|against|and)\s+(?P<b>.+?)"
    r"(?:\s*\?)?$"
)
_COMPARE_CUE = re.compile(r"\b(?:vs\.?|versus|compared? (?:to|with)|difference between|compare)\b")


def comparison(text: str) -> tuple[str, str] | None:
    """The two things of "x vs y" / "x or y" / "difference between x and y", if it is one."""
    match = _COMPARE.match(text)
    if not match:
        return None
    a, b = match.group("a").strip(), match.group("b").strip()
    if not a or not b:
        return None
    # "and" joins two things only in an explicit comparison ("difference between x and y").
    joined_by_and = re.search(r"\s+and\s+", text[match.start("a") : match.end("b")]) and not (
        re.search(r"\s(?:vs\.?|versus|or|compared|against)\s", text)
    )
    if joined_by_and and not _COMPARE_CUE.search(text):
        return None
    return a, b


# General machine learning outside running ML in production: the catalog says so honestly
# unless it holds a resource whose title is about exactly that.
GENERAL_ML = frozenset(
    {
        "gradient boosting", "boosting", "dropout", "backpropagation", "backprop",
        "convolutional", "convolution", "cnn", "cnns", "rnn", "rnns", "lstm", "lstms", "gru",
        "linear regression", "logistic regression", "regression", "random forest",
        "random forests", "decision tree", "decision trees", "svm", "svms",
        "support vector machine", "k-means", "kmeans", "clustering", "naive bayes",
        "batch normalization", "batchnorm", "layer normalization", "activation function",
        "relu", "sigmoid", "softmax", "gradient descent", "sgd", "adam optimizer",
        "learning rate", "learning rate schedule", "weight decay", "regularization",
        "cross entropy", "loss function", "attention mechanism", "self attention",
        "word2vec", "word embeddings", "pca", "principal component analysis", "t-sne", "tsne",
        "bias variance", "bias-variance tradeoff", "vanishing gradient", "vanishing gradients",
        "neural network", "neural networks", "perceptron", "gan", "gans",
        "generative adversarial network", "diffusion model", "diffusion models",
        "reinforcement learning", "q-learning", "bayesian inference", "markov chain",
        "knn", "nearest neighbors", "ensemble methods", "bagging", "autoencoder",
        "autoencoders", "transformer architecture", "image classification",
        "object detection", "sentiment analysis", "linear algebra", "calculus", "statistics",
    }
)  # fmt: skip
_GENERAL_ML_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted((re.escape(p) for p in GENERAL_ML), key=len, reverse=True)) + r")\b"
)


_GENERAL_WORDS = frozenset(w for p in GENERAL_ML for w in p.split())


def general_ml(text: str, content_words: list[str]) -> tuple[float, list[str]]:
    """The share of a query's content words that name general ML ideas, and those words."""
    if not content_words or _GENERAL_WORDS.isdisjoint(content_words):
        return 0.0, []
    found = " ".join(_GENERAL_ML_WORDS.findall(text)).split()
    hits = [w for w in content_words if w in found]
    return len(hits) / len(content_words), hits


@dataclass
class Intent:
    """What the words around the topic ask for."""

    text: str  # the query with intent words taken out (what is matched against the catalog)
    kinds: tuple[Kind, ...] = ()
    level: Level | None = None
    dropped: list[str] = field(default_factory=list)


def read_intent(text: str) -> Intent:
    """Take kind and level words out of a query, remembering what they asked for."""
    kinds: list[Kind] = []
    level: Level | None = None
    dropped: list[str] = []
    rest = text
    if not _PHRASE_CUES.search(text):
        return _intent_words(text, kinds, level, dropped)
    for pattern, wanted in _KIND_PHRASES:
        if pattern.search(rest):
            kinds.extend(wanted)
            dropped.append(pattern.search(rest).group(0))  # type: ignore[union-attr]
            rest = pattern.sub(" ", rest)
    for pattern, wanted_level in _LEVEL_PHRASES:
        if pattern.search(rest):
            level = level or wanted_level
            rest = pattern.sub(" ", rest)
    return _intent_words(rest, kinds, level, dropped, original=text)


def _intent_words(
    rest: str,
    kinds: list[Kind],
    level: Level | None,
    dropped: list[str],
    original: str | None = None,
) -> Intent:
    text = rest if original is None else original
    out: list[str] = []
    for word in rest.split():
        bare = word.strip("?!.,;:")
        if bare in _KIND_WORDS:
            kinds.extend(_KIND_WORDS[bare])
            dropped.append(bare)
            continue
        if bare in _LEVEL_WORDS:
            level = level or _LEVEL_WORDS[bare]
            dropped.append(bare)
            continue
        out.append(word)
    remaining = " ".join(out).strip()
    if not re.search(r"[^\W_]", remaining):
        # Nothing but intent words ("books", "intro"): they are the query.
        return Intent(text)
    return Intent(remaining, tuple(dict.fromkeys(kinds)), level, dropped)
