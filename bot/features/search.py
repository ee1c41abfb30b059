"""`/mlops <query>`, `/mlops help`, `/mlops topics`: recommendations over the catalog."""

from __future__ import annotations

from bot import blocks
from bot.blocks import search as search_blocks
from bot.core.commands import SEARCH
from bot.router import CommandRequest, Reply, Router
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
    """Search and render one page; an empty result becomes did-you-mean, never a blank reply."""
    results = services.index.search(query, limit=PAGE_SIZE, offset=offset)
    topics = services.catalog.topics
    if not results.hits:
        return Reply(
            text=blocks.fallback(f"No resources for “{blocks.echo(results.query or query)}”."),
            blocks=search_blocks.build_no_match(
                results.query or query, results.suggestions, topics
            ),
        )
    return Reply(
        text=search_blocks.recommendations_text(results),
        blocks=search_blocks.build_recommendations(
            results, topics, share=not in_thread and shared_by is None, shared_by=shared_by
        ),
        # Answers to a mention go to its (public) thread; shared answers are public by intent.
        public=in_thread or shared_by is not None,
    )


def register(router: Router, services: Services) -> None:
    async def on_search(request: CommandRequest, args: str) -> Reply:
        return answer(services, args, in_thread=request.source == "mention")

    async def on_help(request: CommandRequest, args: str) -> Reply:
        return Reply(text=search_blocks.help_text(), blocks=search_blocks.build_help())

    async def on_topics(request: CommandRequest, args: str) -> Reply:
        counts = services.catalog.topic_counts()
        return Reply(
            text=blocks.fallback(f"{len(counts)} topics"),
            blocks=search_blocks.build_topics(services.catalog.topics, counts),
        )

    router.add(SEARCH, on_search)
    router.add("help", on_help)
    router.add("topics", on_topics)
