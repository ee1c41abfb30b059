"""Block Kit for `/mlops <query>`, help and topics."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from bot import texts
from bot.blocks import (
    MAX_BLOCKS,
    Block,
    button,
    context,
    echo,
    escape,
    fallback,
    link,
    section,
)
from bot.core.models import Resource, Topic
from bot.core.search import (
    INTENT_HELP,
    INTENT_OUT_OF_SCOPE,
    INTENT_UNSUPPORTED_SCRIPT,
    SearchResults,
)

ACTION_SHARE = "mlops_share"
ACTION_MORE = "mlops_more"

KIND_LABELS = {
    "course": "course",
    "book": "book",
    "paper": "paper",
    "article": "article",
    "talk": "talk",
    "video": "video",
    "list": "curated list",
    "newsletter": "newsletter",
    "podcast": "podcast",
    "tool": "tool",
}


# What the no-match page says when the search knows why nothing fits.
OUT_OF_SCOPE = (
    "“{query}” is general machine learning; this catalog is about running ML in production"
    " (serving, monitoring, pipelines, data, teams). The closest topics:"
)
UNSUPPORTED_SCRIPT = (
    "I can't read {script} text yet: topics and resources are in English, with topic names"
    " in Chinese, Japanese, Korean, Spanish, German, French and Portuguese. Try a topic:"
)
LEVEL_LABELS = {"intro": "intro", "intermediate": "intermediate", "advanced": "advanced"}


def resource_line(resource: Resource, topics: Mapping[str, Topic]) -> str:
    """One resource as mrkdwn: linked title, kind, level and year where known, why it helps,
    its topics."""
    kind = KIND_LABELS.get(resource.kind.value, resource.kind.value)
    names = [topics[t].name for t in resource.topics if t in topics]
    marks = f"  ·  _{kind}_"
    level = getattr(resource, "level", None)
    if level is not None:
        marks += f"  ·  _{LEVEL_LABELS.get(level.value, level.value)}_"
    year = getattr(resource, "year", None)
    if year:
        marks += f"  ·  {int(year)}"
    if resource.community:
        marks += f"  ·  _{texts.COMMUNITY_MARK}_"
    lines = [f"*{link(resource.url, resource.title)}*{marks}", escape(resource.summary)]
    if names:
        lines.append("Topics: " + escape(" · ".join(names)))
    return "\n".join(lines)


def search_state(query: str, offset: int) -> str:
    """The value a Share/More button carries, to rebuild the same answer on click."""
    return json.dumps({"q": query[:400], "o": offset}, ensure_ascii=False)


def read_search_state(value: str | None) -> tuple[str, int] | None:
    try:
        data = json.loads(value or "")
        query, offset = str(data["q"]), int(data["o"])
    except (ValueError, KeyError, TypeError):
        return None
    return (query, offset) if offset >= 0 else None


def build_recommendations(
    results: SearchResults,
    topics: Mapping[str, Topic],
    *,
    share: bool = True,
    shared_by: str | None = None,
) -> list[Block]:
    """The answer to `/mlops <query>`: learning material first, then tools to explore."""
    understood = ", ".join(t.name for t in results.topics[:3])
    title = f"Resources for “{echo(results.query)}”"
    if understood:
        title += f"  —  {escape(understood)}"
    start = results.offset + 1
    end = results.offset + len(results.hits)
    blocks: list[Block] = [
        section(f"*{title}*"),
    ]
    if results.note:
        blocks.append(context(escape(results.note)))
    in_tools = False
    for i, hit in enumerate(results.hits):
        is_tool = not hit.resource.kind.is_learning
        if is_tool and not in_tools:
            blocks.append(context(texts.TOOLS_HEADING))
            in_tools = True
        elif i == 0 and not is_tool:
            blocks.append(context(texts.LEARNING_HEADING))
        blocks.append(section(resource_line(hit.resource, topics)))
    blocks.append(context(f"{start}–{end} of {results.total}"))
    if shared_by:
        blocks.append(context(texts.SHARED_BY.format(user=shared_by, query=echo(results.query))))
    actions = []
    if share:
        state = search_state(results.query, results.offset)
        actions.append(button(texts.SHARE_BUTTON, ACTION_SHARE, state, style="primary"))
    if results.has_more and shared_by is None:
        nxt = search_state(results.query, results.offset + len(results.hits))
        actions.append(button(texts.MORE_BUTTON, ACTION_MORE, nxt))
    if actions:
        blocks.append({"type": "actions", "elements": actions})
    return blocks[:MAX_BLOCKS]


def recommendations_text(results: SearchResults) -> str:
    titles = "; ".join(h.resource.title for h in results.hits)
    return fallback(f"Resources for “{echo(results.query)}”: {escape(titles)}")


def build_no_match(
    query: str,
    suggestions: Iterable[str],
    topics: Mapping[str, Topic],
    *,
    intent: str | None = None,
    script: str | None = None,
) -> list[Block]:
    """Never an empty reply: why nothing fits (when known), did-you-mean and the topics."""
    if intent == INTENT_OUT_OF_SCOPE:
        blocks = [section(OUT_OF_SCOPE.format(query=echo(query)))]
    elif intent == INTENT_UNSUPPORTED_SCRIPT:
        blocks = [section(UNSUPPORTED_SCRIPT.format(script=escape(script or "this")))]
    else:
        blocks = [section(texts.NO_MATCH.format(query=echo(query)))]
    options = [f"`{escape(s)}`" for s in list(suggestions)[:5]]
    if options:
        blocks.append(section(texts.DID_YOU_MEAN.format(options=", ".join(options))))
    names = ", ".join(f"`{escape(t.id)}`" for t in topics.values())
    blocks.append(section(f"{texts.BROWSE_TOPICS} {names}"))
    return blocks


def build_answer(
    results: SearchResults,
    topics: Mapping[str, Topic],
    *,
    share: bool = True,
    shared_by: str | None = None,
) -> list[Block]:
    """The whole answer for one page of results, whatever `results.intent` says it is:
    help for greetings and questions about the bot, the no-match page (with the reason for
    general ML and unreadable scripts) when there are no links, else the recommendations."""
    if results.intent == INTENT_HELP:
        return build_help()
    if not results.hits:
        return build_no_match(
            results.query,
            results.suggestions,
            topics,
            intent=results.intent,
            script=results.script,
        )
    return build_recommendations(results, topics, share=share, shared_by=shared_by)


def build_help() -> list[Block]:
    lines = [f"`{escape(cmd)}`  {escape(what)}" for cmd, what in texts.HELP_EXAMPLES]
    return [
        section(texts.HELP_INTRO),
        section("\n".join(lines)),
        context(texts.HELP_FOOTER),
    ]


def help_text() -> str:
    return fallback(f"Usage: {texts.COMMAND} &lt;topic or question&gt; — try `/mlops serving`.")


def build_topics(topics: Mapping[str, Topic], counts: Mapping[str, int]) -> list[Block]:
    """Every topic with its resource count, in one compact section per ~25 topics."""
    lines = [
        f"`{escape(t.id)}`  {escape(t.name)}  ({counts.get(t.id, 0)})" for t in topics.values()
    ]
    blocks = [section(f"*{len(lines)} topics*  ·  try `/mlops &lt;topic&gt;`")]
    for i in range(0, len(lines), 25):
        blocks.append(section("\n".join(lines[i : i + 25])))
    return blocks
