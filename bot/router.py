"""One dispatch path for every Slack surface and the console.

Listeners (and the console) turn a payload into a typed request; the router finds the feature
handler — by reserved word for commands (falling back to search), by `action_id` for buttons,
by `callback_id` for modals, by type for events — runs it with one error policy and a time
budget, and returns what to show. The router knows features only through `Feature`
declarations handed to it; it imports none of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot import blocks, texts
from bot.core.commands import SEARCH, parse
from bot.errors import Unavailable
from bot.store.errors import UNAVAILABLE

if TYPE_CHECKING:
    import argparse

    from bot.services import Services

logger = logging.getLogger(__name__)

H = TypeVar("H")
Source = Literal["slash", "mention", "console"]
CONSOLE_TEAM, CONSOLE_CHANNEL, CONSOLE_USER = "T0CONSOLE", "C0CONSOLE", "U0CONSOLE"
# Past the budget, or the database down/stalled/locked: the user is told texts.DATABASE_DOWN.
DOWN: tuple[type[BaseException], ...] = (TimeoutError, *UNAVAILABLE)


@dataclass(frozen=True)
class CommandRequest:
    text: str
    team_id: str = CONSOLE_TEAM
    channel_id: str = CONSOLE_CHANNEL
    user_id: str = CONSOLE_USER
    source: Source = "slash"
    thread_ts: str | None = None
    is_dm: bool = False
    trigger_id: str = ""


@dataclass(frozen=True)
class ActionRequest:
    """A button (or select) press, from a message, an ephemeral answer, a modal or App Home."""

    action_id: str
    value: str = ""
    team_id: str = CONSOLE_TEAM
    user_id: str = CONSOLE_USER
    channel_id: str = ""
    message_ts: str = ""
    thread_ts: str = ""
    trigger_id: str = ""
    # "message" | "ephemeral" | "view" (App Home or a modal) | "console"
    container: str = "message"
    selected: str = ""  # a select menu's chosen value

    @property
    def from_console(self) -> bool:
        return self.container == "console"


@dataclass(frozen=True)
class ViewRequest:
    """A modal submission; `values` maps each input's block_id to what was entered."""

    callback_id: str
    values: Mapping[str, str] = field(default_factory=dict)
    private_metadata: str = ""
    team_id: str = CONSOLE_TEAM
    user_id: str = CONSOLE_USER


@dataclass(frozen=True)
class EventRequest:
    """An Events API event (other than mentions, which are commands)."""

    type: str
    event: Mapping[str, Any]
    team_id: str = CONSOLE_TEAM
    user_id: str = ""
    enterprise_id: str = ""


@dataclass
class Reply:
    """What to show. Ephemeral unless `public`; `followup` runs after the acknowledgement.

    For a button press, `replace` swaps the message that was clicked; `modal` asks the caller
    to open that view (Slack: views.open with the trigger; console: one prompt per input).
    """

    text: str
    blocks: list[dict[str, Any]] | None = None
    public: bool = False
    followup: Callable[[], Awaitable[Reply | None]] | None = field(default=None, repr=False)
    replace: bool = False
    modal: dict[str, Any] | None = None


@dataclass
class ViewResult:
    """The answer to a modal submission: errors keep it open, `update` swaps it, else it closes.

    `after` runs once Slack has its answer (e.g. telling people about a decision)."""

    errors: dict[str, str] | None = None
    update: dict[str, Any] | None = None
    after: Callable[[], Awaitable[Reply | None]] | None = field(default=None, repr=False)


class UserError(Exception):
    """A problem with the user's input; its message (mrkdwn, already escaped) is shown as is."""


CommandHandler = Callable[["Services", CommandRequest, str], Awaitable[Reply]]
ActionHandler = Callable[["Services", ActionRequest], Awaitable[Reply | None]]
ViewHandler = Callable[["Services", ViewRequest], Awaitable[ViewResult]]
EventHandler = Callable[["Services", EventRequest], Awaitable[None]]
Hook = Callable[["Services"], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A scheduled job of a feature: every `every(settings)` seconds, or once at start."""

    id: str
    run: Hook
    every: Callable[[Any], float] | None = None


@dataclass(frozen=True)
class CliCommand:
    """`mlops-bot <group> <name>` (`name` "": `mlops-bot <group>` itself): `configure` adds
    arguments, `run` gets an open lifespan."""

    group: str
    name: str
    help: str
    run: Callable[[argparse.Namespace, Services], Awaitable[int]]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    slack: bool = False  # needs SLACK_BOT_TOKEN (it talks to Slack)
    slack_if_configured: bool = False  # talks to Slack when SLACK_BOT_TOKEN is set


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds, declared in one place and registered from one list."""

    name: str
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)
    views: Mapping[str, ViewHandler] = field(default_factory=dict)
    events: Mapping[str, EventHandler] = field(default_factory=dict)
    jobs: Sequence[Job] = ()
    cli: Sequence[CliCommand] = ()
    on_start: Sequence[Hook] = ()
    on_stop: Sequence[Hook] = ()  # after the scheduler stopped, before the database closes


def notice(text: str) -> Reply:
    """An ephemeral one-section message; `text` must already be escaped."""
    return Reply(text=blocks.fallback(text), blocks=blocks.build_message(text))


class Router:
    """Finds the handler for a request among the features and runs it safely."""

    def __init__(self, services: Services, features: Sequence[Feature]) -> None:
        self.services = services
        self.commands: dict[str, CommandHandler] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.views: dict[str, ViewHandler] = {}
        self.events: dict[str, EventHandler] = {}
        # Handlers cancelled at the budget, still cleaning up (kept so they are not collected).
        self._abandoned: set[asyncio.Future[Any]] = set()
        for feature in features:
            commands = {name.casefold(): handler for name, handler in feature.commands.items()}
            _merge(self.commands, commands, feature.name)
            _merge(self.actions, feature.actions, feature.name)
            _merge(self.views, feature.views, feature.name)
            _merge(self.events, feature.events, feature.name)
        self.reserved = frozenset(name for name in self.commands if name != SEARCH)

    @property
    def budget(self) -> float:
        """Seconds a handler may take before the answer Slack waits for (3 s) is at risk."""
        return self.services.settings.answer_budget

    async def _guarded(self, what: str, work: Awaitable[Any], fallback: Any) -> Any:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await self._within_budget(work)
        except UserError as exc:
            outcome = "user_error"
            return fallback(str(exc))
        except Unavailable as exc:
            outcome = "timeout"
            return fallback(str(exc))
        except DOWN as exc:
            outcome = "timeout"
            logger.warning(
                "%s: the database or Slack did not answer in time (%s)", what, type(exc).__name__
            )
            return fallback(texts.DATABASE_DOWN)
        except Exception:  # a bug must become a friendly answer, never a stack trace in Slack
            outcome = "error"
            logger.exception("%s failed", what)
            return fallback(texts.GENERIC_ERROR)
        finally:
            metrics = self.services.metrics
            if metrics is not None:
                kind, _, name = what.partition(" ")
                metrics.request(kind, name, outcome, time.monotonic() - started)

    async def _within_budget(self, work: Awaitable[Any]) -> Any:
        """The handler's result, or TimeoutError once the budget is spent.

        The handler is cancelled but not waited for: cleaning up after a stalled database (a
        rollback on a connection that never answers) can take as long as the stall, and the
        answer must not wait for it. The engine's own timeouts end that clean-up."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.budget)
        if task in done:
            return task.result()
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(_forget(self._abandoned))
        raise TimeoutError

    async def run_followup(
        self, followup: Callable[[], Awaitable[Reply | None]], budget: float = 25.0
    ) -> Reply | None:
        """Work after the acknowledgement (a page fetch, announcements): same error policy,
        a longer budget (response_url answers are accepted for 30 minutes)."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                return await followup()
        except (UserError, Unavailable) as exc:
            return notice(str(exc))
        except DOWN:
            logger.warning("follow-up did not finish within %.0f s", time.monotonic() - started)
            return notice(texts.DATABASE_DOWN)
        except Exception:  # a bug must become a friendly answer, never a stack trace in Slack
            logger.exception("follow-up failed")
            return notice(texts.GENERIC_ERROR)

    async def dispatch(self, request: CommandRequest) -> Reply:
        command = parse(request.text, self.reserved)
        handler = self.commands.get(command.name) or self.commands[SEARCH]
        kind = "slash" if request.source == "mention" else request.source
        return await self._guarded(
            f"{kind} {command.name}", handler(self.services, request, command.args), notice
        )

    async def dispatch_action(self, request: ActionRequest) -> Reply | None:
        handler = self.actions.get(request.action_id)
        if handler is None:
            logger.warning("unhandled action %s", request.action_id[:64])
            return None
        return await self._guarded(
            f"action {request.action_id}", handler(self.services, request), notice
        )

    async def dispatch_view(self, request: ViewRequest) -> ViewResult:
        handler = self.views.get(request.callback_id)
        if handler is None:
            logger.warning("unhandled view %s", request.callback_id[:64])
            return ViewResult()
        return await self._guarded(
            f"view {request.callback_id}",
            handler(self.services, request),
            lambda text: ViewResult(update=blocks.build_info_modal(text)),
        )

    async def dispatch_event(self, request: EventRequest) -> None:
        handler = self.events.get(request.type)
        if handler is None:
            logger.debug("ignoring event %s", request.type)
            return
        await self._guarded(f"event {request.type}", handler(self.services, request), _nothing)


def _forget(tasks: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.info("a timed-out handler ended with %s", type(task.exception()).__name__)

    return done


def _nothing(_text: str) -> None:
    return None


def _merge(table: dict[str, H], new: Mapping[str, H], feature: str) -> None:
    """Add a feature's handlers; two features claiming one id is a programming error."""
    clash = set(table) & set(new)
    if clash:
        raise ValueError(f"feature {feature} redefines {sorted(clash)}")
    table.update(new)
