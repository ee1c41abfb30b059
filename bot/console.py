"""`mlops-bot console`: the same router and handlers in a terminal, no Slack or network needed.

In the spirit of Hubot's shell adapter: type `/mlops serving`, read the answer as text. Every
button in an answer is numbered (`[1 Approve] [2 Reject]`); `press 1` presses it, exactly as a
click in Slack would. A modal asks for each of its inputs on its own line, then submits.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.app import Bot
from bot.router import ActionRequest, CommandRequest, Reply, ViewRequest

PROMPT = "mlops> "
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_BARE = re.compile(r"<([^|>]+)>")
_PRESS = re.compile(r"^press\s+(\S+)$", re.IGNORECASE)


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


def _buttons(blocks: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    found = []
    for block in blocks or ():
        if block.get("type") == "actions":
            found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        accessory = block.get("accessory") if block.get("type") == "section" else None
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            found.append(accessory)
    return found


def render(blocks: Iterable[dict[str, Any]] | None, fallback: str = "") -> str:
    """Block Kit as readable plain text, buttons numbered in order of appearance."""
    lines: list[str] = []
    number = 0
    for block in blocks or ():
        kind = block.get("type")
        if kind in ("section", "header"):
            text = _element_text(block)
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                number += 1
                text += f"  [{number} {_element_text(accessory)}]"
            lines.append(text)
        elif kind == "context":
            lines.append("  " + "  ".join(_element_text(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    number += 1
                    labels.append(f"[{number} {_element_text(element)}]")
            lines.append(" ".join(labels))
        elif kind == "input":
            lines.append(f"{_element_text({'text': block.get('label')})}: …")
        lines.append("")
    return "\n".join(lines).strip() or mrkdwn_to_text(fallback)


@dataclass
class _OpenModal:
    """A modal being filled in: one input per line typed."""

    view: dict[str, Any]
    inputs: list[dict[str, Any]]
    values: dict[str, str] = field(default_factory=dict)

    def prompt(self) -> str:
        block = self.inputs[len(self.values)]
        label = _element_text({"text": block.get("label")})
        element = block.get("element") or {}
        options = element.get("options") or []
        hint = ""
        if options:
            hint = " (" + ", ".join(str(o.get("value")) for o in options[:12]) + ")"
        elif element.get("type") == "timepicker":
            hint = " (HH:MM)"
        optional = " — optional, empty line to skip" if block.get("optional") else ""
        return f"{label}{hint}{optional}:"


class Console:
    """Reads commands, dispatches them through the router, prints the rendered replies."""

    def __init__(self, bot: Bot, out: TextIO = sys.stdout, user_id: str | None = None) -> None:
        self.bot = bot
        self.router = bot.router
        self.out = out
        self.user_id = user_id or CommandRequest(text="").user_id
        self._buttons: list[dict[str, Any]] = []
        self._modal: _OpenModal | None = None

    async def handle(self, line: str) -> str:
        line = line.strip()
        if self._modal is not None:
            return await self._fill(line)
        pressed = _PRESS.match(line)
        if pressed:
            return await self.press(pressed.group(1))
        if line.casefold() == "more":
            more = [b for b in self._buttons if b.get("action_id", "").endswith("more")]
            if more:
                return await self.press(str(self._buttons.index(more[0]) + 1))
        request = CommandRequest(text=line, source="console", user_id=self.user_id)
        reply = await self.router.dispatch(request)
        text = self._show(reply)
        if reply.followup:
            follow = await self.router.run_followup(reply.followup)
            if follow:
                text += "\n\n" + self._show(follow)
        return text

    async def press(self, which: str) -> str:
        """Press button `which` (its number) of the last answer, as a click in Slack."""
        if not which.isdigit() or not 1 <= int(which) <= len(self._buttons):
            count = len(self._buttons)
            return (
                f"There's no button {which}: the last answer has {count}."
                if count
                else "The last answer has no buttons."
            )
        button = self._buttons[int(which) - 1]
        if button.get("url") and not button.get("value"):
            return f"That button opens {button['url']}"
        request = ActionRequest(
            action_id=str(button.get("action_id") or ""),
            value=str(button.get("value") or ""),
            user_id=self.user_id,
            channel_id=CommandRequest(text="").channel_id,
            container="console",
        )
        reply = await self.router.dispatch_action(request)
        if reply is None:
            return "Done."
        if reply.modal is not None:
            return self._open(reply.modal)
        return self._show(reply)

    def _open(self, view: dict[str, Any]) -> str:
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        shown = render([b for b in view.get("blocks", []) if b.get("type") != "input"])
        title = _element_text({"text": view.get("title")})
        if not inputs:
            return f"== {title} ==\n{shown}"
        self._modal = _OpenModal(view, inputs)
        return f"== {title} ==\n{shown}\n\n{self._modal.prompt()}".replace("\n\n\n", "\n\n")

    async def _fill(self, line: str) -> str:
        modal = self._modal
        assert modal is not None
        block = modal.inputs[len(modal.values)]
        if line.casefold() in ("cancel", "/cancel"):
            self._modal = None
            return "Cancelled."
        if not line and not block.get("optional"):
            return "This one is needed. " + modal.prompt()
        modal.values[str(block.get("block_id"))] = line
        if len(modal.values) < len(modal.inputs):
            return modal.prompt()
        self._modal = None
        result = await self.router.dispatch_view(
            ViewRequest(
                callback_id=str(modal.view.get("callback_id") or ""),
                values=modal.values,
                private_metadata=str(modal.view.get("private_metadata") or ""),
                user_id=self.user_id,
            )
        )
        if result.errors:
            problems = "\n".join(f"• {message}" for message in result.errors.values())
            reopened = self._open(modal.view)
            return f"Please fix:\n{problems}\n\n{reopened}"
        if result.update is not None:
            return self._open(result.update)
        if result.after is not None:
            follow = await self.router.run_followup(result.after)
            if follow is not None:
                return self._show(follow)
        return "Done."

    def _show(self, reply: Reply) -> str:
        self._buttons = _buttons(reply.blocks)
        return render(reply.blocks, reply.text)

    async def run(self, lines: TextIO = sys.stdin) -> None:
        interactive = lines.isatty()
        if interactive:
            self.out.write(
                "mlops-bot console. Try `/mlops serving`, `help`, `press 1` for a button,"
                " or `quit`.\n"
            )
        while True:
            if interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = lines.readline()
            if not line or line.strip().casefold() in ("quit", "exit", "/quit"):
                break
            if not line.strip() and self._modal is None:
                continue
            self.out.write(await self.handle(line) + "\n\n")
            self.out.flush()
