"""One command path for Slack slash commands, mentions and the console.

Listeners turn a payload into a CommandRequest, the router picks the handler by reserved word
(falling back to search), and the handler returns a Reply the caller renders.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot import blocks, texts
from bot.core.commands import SEARCH, parse

logger = logging.getLogger(__name__)

Source = Literal["slash", "mention", "console"]


@dataclass(frozen=True)
class CommandRequest:
    text: str
    team_id: str = "T0CONSOLE"
    channel_id: str = "C0CONSOLE"
    user_id: str = "U0CONSOLE"
    source: Source = "slash"
    thread_ts: str | None = None
    is_dm: bool = False


@dataclass
class Reply:
    """What to show. Ephemeral unless `public`; `followup` runs after the acknowledgement."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    public: bool = False
    followup: Callable[[], Awaitable[Reply | None]] | None = field(default=None, repr=False)


class UserError(Exception):
    """A problem with the user's input; its message (mrkdwn, already escaped) is shown as is."""


Handler = Callable[[CommandRequest, str], Awaitable[Reply]]


def notice(text: str) -> Reply:
    """An ephemeral one-section message; `text` must already be escaped."""
    return Reply(text=blocks.fallback(text), blocks=blocks.build_message(text))


class Router:
    """Maps reserved words to handlers; everything else is a search."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        self._handlers[name.casefold()] = handler

    @property
    def reserved(self) -> frozenset[str]:
        return frozenset(name for name in self._handlers if name != SEARCH)

    async def dispatch(self, request: CommandRequest) -> Reply:
        command = parse(request.text, self.reserved)
        handler = self._handlers.get(command.name) or self._handlers[SEARCH]
        try:
            return await handler(request, command.args)
        except UserError as exc:
            return notice(str(exc))
        except Exception:  # a bug must become a friendly answer, never a stack trace in Slack
            logger.exception("command %r failed", command.name)
            return notice(texts.GENERIC_ERROR)
