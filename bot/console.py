"""`mlops-bot console`: the same handlers in a terminal, no Slack credentials or network needed.

In the spirit of Hubot's shell adapter: type `/mlops serving`, read the answer as text.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from bot.blocks import search as search_kit
from bot.features import build_router
from bot.router import CommandRequest, Reply
from bot.services import Services

PROMPT = "mlops> "
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_BARE = re.compile(r"<([^|>]+)>")


def mrkdwn_to_text(text: str) -> str:
    """Slack links become `label (url)`; entities are unescaped for the terminal."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE.sub(lambda m: m.group(1), text)
    return html.unescape(text)


def _element_text(element: dict[str, Any]) -> str:
    text = element.get("text")
    if isinstance(text, dict):
        text = text.get("text", "")
    return mrkdwn_to_text(str(text or ""))


def render(blocks: Iterable[dict[str, Any]] | None, fallback: str = "") -> str:
    """Block Kit as readable plain text."""
    lines: list[str] = []
    for block in blocks or ():
        kind = block.get("type")
        if kind in ("section", "header"):
            lines.append(_element_text(block))
        elif kind == "context":
            lines.append("  " + "  ".join(_element_text(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                label = _element_text(element)
                if element.get("action_id") == search_kit.ACTION_MORE:
                    label += ": type `more`"
                labels.append(f"[{label}]")
            lines.append(" ".join(labels))
        lines.append("")
    return "\n".join(lines).strip() or mrkdwn_to_text(fallback)


class Console:
    """Reads commands, dispatches them like Slack would, prints the rendered replies."""

    def __init__(self, services: Services, out: TextIO = sys.stdout) -> None:
        self.services = services
        self.router = build_router(services)
        self.out = out
        self._last_more: str | None = None

    async def handle(self, line: str) -> str:
        line = line.strip()
        if line.casefold() == "more" and self._last_more:
            state = search_kit.read_search_state(self._last_more)
            if state:
                from bot.features.search import answer

                return self._show(answer(self.services, state[0], state[1]))
        request = CommandRequest(text=line, source="console")
        reply = await self.router.dispatch(request)
        text = self._show(reply)
        if reply.followup:
            follow = await reply.followup()
            if follow:
                text += "\n\n" + self._show(follow)
        return text

    def _show(self, reply: Reply) -> str:
        self._last_more = None
        for block in reply.blocks or ():
            for element in block.get("elements", []) if block.get("type") == "actions" else ():
                if element.get("action_id") == search_kit.ACTION_MORE:
                    self._last_more = element.get("value")
        return render(reply.blocks, reply.text)

    async def run(self, lines: TextIO = sys.stdin) -> None:
        interactive = lines.isatty()
        if interactive:
            self.out.write("mlops-bot console. Try `/mlops serving`, `help`, or `quit`.\n")
        while True:
            if interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = lines.readline()
            if not line or line.strip().casefold() in ("quit", "exit", "/quit"):
                break
            if not line.strip():
                continue
            self.out.write(await self.handle(line) + "\n\n")
            self.out.flush()
