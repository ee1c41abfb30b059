"""Command handlers, one module per domain concept; each exposes register(router, services)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.features import lessons, search, suggestions
from bot.router import Router
from bot.services import Services
from bot.store import events

FEATURES = [search, suggestions, lessons]


async def forget_old_events(services: Services) -> None:
    """Drop mention event ids older than Slack's retry window (they are never re-delivered)."""
    if services.engine is not None:
        await events.forget_old_events(services.engine, services.clock())


# Coroutines run once at start with the services (e.g. load approved community resources).
STARTUP_HOOKS: list[Callable[[Services], Awaitable[None]]] = [
    suggestions.load_approved,
    forget_old_events,
]

# Async context managers that run beside `serve` (e.g. the lesson scheduler).
BACKGROUND: list[Callable[[Services], AbstractAsyncContextManager[object]]] = [
    lessons.background,
    suggestions.community_refresh,
]

# Functions that add subcommands to the CLI: add(subparsers).
CLI_COMMANDS: list[Callable[[Any], None]] = [suggestions.add_cli, lessons.add_cli]


def build_router(services: Services) -> Router:
    """A router with every feature's commands registered."""
    router = Router()
    for feature in FEATURES:
        feature.register(router, services)
    return router
