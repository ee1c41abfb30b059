"""Block Kit for the Schedule… modal: a day, a time and a time zone, and the button opening it."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks import Block, button, context, escape, modal, select_input, time_input
from bot.core.schedule import DAY_NAMES, DAYS, Schedule

ACTION_SCHEDULE_OPEN = "schedule_open"
SCHEDULE_CALLBACK = "schedule_modal"
DAY_BLOCK, TIME_BLOCK, ZONE_BLOCK = "schedule_day", "schedule_time", "schedule_tz"
SCHEDULE_BUTTON = "Schedule…"
SAME_AS = "The same as `/mlops subscribe <day> <time> <zone>`."
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")

# The zones most teams are in; the channel's own zone is added when it is not one of them.
# A static_select holds at most 100 options; other zones work with `/mlops subscribe`.
COMMON_ZONES = (
    "UTC",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Stockholm",
    "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Helsinki", "Europe/Kyiv",
    "Europe/Istanbul", "Europe/Moscow",
    "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg",
    "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei",
    "Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Brisbane", "Australia/Sydney",
    "Pacific/Auckland",
    "America/St_Johns", "America/Halifax", "America/New_York", "America/Toronto",
    "America/Chicago", "America/Mexico_City", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Vancouver", "America/Anchorage", "Pacific/Honolulu",
    "America/Bogota", "America/Lima", "America/Santiago", "America/Buenos_Aires",
    "America/Sao_Paulo",
)  # fmt: skip


def zone_options(current: str) -> list[tuple[str, str]]:
    """(value, label) pairs: the channel's zone first if uncommon, then the common ones."""
    zones = list(COMMON_ZONES)
    if current not in zones:
        zones.insert(0, current)
    return [(zone, zone.replace("_", " ")) for zone in zones[:100]]


def channel_label(channel_id: str) -> str:
    """A channel mention Slack renders for whoever may see it (a DM is "your personal digest")."""
    if channel_id.startswith("D"):
        return "your personal digest"
    return f"<#{channel_id}>" if CHANNEL_ID.match(channel_id) else escape(channel_id)


def schedule_button(channel_id: str) -> dict[str, Any]:
    return button(SCHEDULE_BUTTON, ACTION_SCHEDULE_OPEN, channel_id)


def schedule_actions(channel_id: str) -> Block:
    """The row under `/mlops schedule`'s answer with the Schedule… button."""
    return {"type": "actions", "elements": [schedule_button(channel_id)]}


def build_schedule_modal(channel_id: str, schedule: Schedule, *, where: str) -> dict[str, Any]:
    """Day, time and zone pre-filled from `schedule`; the channel travels in private_metadata."""
    days = [(day, name) for day, name in zip(DAYS, DAY_NAMES, strict=True)]
    body: list[Block] = [
        context(f"Weekly MLOps lessons for {where}. {escape(SAME_AS)}"),
        select_input(DAY_BLOCK, "Day", days, initial=schedule.day),
        time_input(TIME_BLOCK, "Time", initial=schedule.hhmm),
        select_input(ZONE_BLOCK, "Time zone", zone_options(schedule.tz), initial=schedule.tz),
    ]
    return modal(
        SCHEDULE_CALLBACK, "Weekly lessons", body, submit="Save", private_metadata=channel_id
    )
