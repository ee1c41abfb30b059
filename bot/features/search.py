"""`/mlops <query>`, `/mlops help`, `/mlops topics`: recommendations over the catalog."""

from __future__ import annotations

import bot.features.stats as stats
from bot import blocks, texts
from bot.blocks import search as search_blocks
from bot.core.commands import SEARCH
from bot.core.search import INTENT_HELP
from bot.router import ActionRequest, CommandRequest, Feature, Reply, notice
from bot.services import Services

PAGE_SIZE = 5


def answer(
    services: Services,
    query: str,
    offset: int = 0,
    *,
    in_thread: bool = False,
    shared_by: str | None = None,
) -> Reply:
    """Search and render one page: links only with evidence; greetings get help, off-topic
    text the no-match page (saying why for general ML or an unreadable script)."""
    results = services.index.search(query, limit=PAGE_SIZE, offset=offset)
    topics = services.catalog.topics
    if results.intent == INTENT_HELP:
        return Reply(text=search_blocks.help_text(), blocks=search_blocks.build_help())
    if not results.hits:
        return Reply(
            text=blocks.fallback(f"No resources for “{blocks.echo(results.query or query)}”."),
            blocks=search_blocks.build_answer(results, topics),
        )
    return Reply(
        text=search_blocks.recommendations_text(results),
        blocks=search_blocks.build_answer(
            results, topics, share=not in_thread and shared_by is None, shared_by=shared_by
        ),
        # Answers to a mention go to its (public) thread; shared answers are public by intent.
        public=in_thread or shared_by is not None,
    )


async def on_search(services: Services, request: CommandRequest, args: str) -> Reply:
    reply = answer(services, args, in_thread=request.source == "mention")
    await stats.log_search(services, request.team_id, args)  # guarded: never fails a search
    return reply


async def on_help(services: Services, request: CommandRequest, args: str) -> Reply:
    return Reply(text=search_blocks.help_text(), blocks=search_blocks.build_help())


async def on_topics(services: Services, request: CommandRequest, args: str) -> Reply:
    counts = services.catalog.topic_counts()
    return Reply(
        text=blocks.fallback(f"{len(counts)} topics"),
        blocks=search_blocks.build_topics(services.catalog.topics, counts),
    )


async def on_more(services: Services, action: ActionRequest) -> Reply | None:
    """More replaces the answer with its next page."""
    state = search_blocks.read_search_state(action.value)
    if state is None:
        return notice(texts.EXPIRED)
    query, offset = state
    reply = answer(services, query, offset, in_thread=bool(action.thread_ts))
    reply.replace = True
    return reply


async def on_share(services: Services, action: ActionRequest) -> Reply | None:
    """Share posts the same page publicly, naming who shared it."""
    state = search_blocks.read_search_state(action.value)
    if state is None:
        return notice(texts.EXPIRED)
    query, offset = state
    return answer(services, query, offset, shared_by=action.user_id)


FEATURE = Feature(
    name="search",
    commands={SEARCH: on_search, "help": on_help, "topics": on_topics},
    actions={search_blocks.ACTION_MORE: on_more, search_blocks.ACTION_SHARE: on_share},
)
