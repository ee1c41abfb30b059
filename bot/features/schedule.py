"""The Schedule… modal: day, time and zone for a channel's weekly lessons, from App Home or
`/mlops schedule`. Submitting it runs exactly `/mlops subscribe <day> <time> <zone>` (the same
code, validation, permission check and messages); a problem keeps the modal open on the input
it concerns. In the console the modal asks for the three inputs one per line.
"""

from __future__ import annotations

from collections.abc import Callable

import bot.features.home as home
from bot import blocks, permissions
from bot.blocks import schedule as kit
from bot.blocks.schedule import channel_label
from bot.core.schedule import (
    Schedule,
    ScheduleError,
    canonical_zone,
    parse_day,
    parse_schedule,
    parse_time,
)
from bot.features.lessons import Lessons
from bot.router import (
    ActionRequest,
    CommandRequest,
    Feature,
    Reply,
    UserError,
    ViewRequest,
    ViewResult,
    notice,
)
from bot.services import Services
from bot.store import subscriptions
from bot.store.subscriptions import Subscription

NOT_SUBSCRIBED = (
    "This channel doesn't get weekly lessons (any more): run `/mlops subscribe` in it first."
)

_CHANNEL = kit.CHANNEL_ID
MAX_ERROR = 300


async def _subscription(services: Services, team_id: str, channel_id: str) -> Subscription:
    """The channel's subscription; the form only changes one (subscribing a channel is done
    in it, with `/mlops subscribe`, so nobody subscribes a channel they are not in)."""
    sub = await subscriptions.get(services.engine, team_id, channel_id)
    if sub is None or sub.status == subscriptions.UNSUBSCRIBED:
        raise UserError(NOT_SUBSCRIBED)
    return sub


def _request(services: Services, team_id: str, channel_id: str, user_id: str) -> CommandRequest:
    """The command `/mlops subscribe` would have received (the console has one user)."""
    return CommandRequest(
        text="",
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        source="console" if services.slack is None else "slash",
        is_dm=channel_id.startswith("D"),
    )


async def on_open(services: Services, action: ActionRequest) -> Reply | None:
    """Schedule…: the modal pre-filled from the channel's schedule (or the defaults)."""
    channel = action.value.strip()
    if not _CHANNEL.match(channel):
        return notice("That button has expired; run `/mlops schedule` again.")
    request = _request(services, action.team_id, channel, action.user_id)
    sub = await _subscription(services, action.team_id, channel)
    await permissions.require_change(services, request, sub)
    view = kit.build_schedule_modal(channel, sub.schedule, where=channel_label(channel))
    return Reply(text=blocks.fallback("Weekly lessons schedule"), modal=view)


_KINDS: dict[str, tuple[str, Callable[[str], object]]] = {
    kit.DAY_BLOCK: ("day", parse_day),
    kit.TIME_BLOCK: ("time", parse_time),
    kit.ZONE_BLOCK: ("time zone", canonical_zone),
}


def _field_errors(values: dict[str, str], default: Schedule) -> dict[str, str]:
    """Each input checked on its own, with `/mlops subscribe`'s message for a bad token."""
    errors: dict[str, str] = {}
    for block_id, (kind, parser) in _KINDS.items():
        token = values[block_id].strip()
        if not token:
            errors[block_id] = "This one is needed."
            continue
        try:
            parse_schedule(token, default)  # the subscribe command's own message
            ok = len(token.split()) == 1 and parser(token) is not None
        except ScheduleError as exc:
            errors[block_id] = _first_line(str(exc))
            continue
        if not ok:
            errors[block_id] = f"“{blocks.echo(token, 60)}” is not a {kind}."
    return errors


def _first_line(message: str) -> str:
    line = message.split("\n", 1)[0]
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


async def on_submit(services: Services, view: ViewRequest) -> ViewResult:
    """Save: the same path as `/mlops subscribe <day> <time> <zone>`; problems keep it open."""
    channel = view.private_metadata.strip()
    if not _CHANNEL.match(channel):
        return ViewResult(
            update=blocks.build_info_modal("That form has expired.", "Weekly lessons")
        )
    values = {block_id: str(view.values.get(block_id) or "") for block_id in _KINDS}
    lessons = Lessons(services)
    errors = _field_errors(values, lessons.defaults())
    if errors:
        return ViewResult(errors=errors)
    request = _request(services, view.team_id, channel, view.user_id)
    args = " ".join(values[block_id].strip() for block_id in _KINDS)
    try:
        await _subscription(services, view.team_id, channel)
        reply = await lessons.subscribe(request, args)
    except UserError as exc:  # not the inputs (checked above): e.g. who may change it
        return ViewResult(update=blocks.build_info_modal(str(exc), "Weekly lessons"))

    async def after() -> Reply | None:
        await home.refresh(services, view.team_id, view.user_id)
        return None

    text = reply.blocks[0]["text"]["text"] if reply.blocks else reply.text
    return ViewResult(update=blocks.build_info_modal(text, "Weekly lessons"), after=after)


FEATURE = Feature(
    name="schedule",
    actions={kit.ACTION_SCHEDULE_OPEN: on_open},
    views={kit.SCHEDULE_CALLBACK: on_submit},
)
