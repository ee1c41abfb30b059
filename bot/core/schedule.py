"""Weekly schedules in a channel's own time zone: parsing, occurrences, daylight-saving care.

Pure: the current instant always comes in as an argument. Instants are aware UTC datetimes;
local dates and times are computed with zoneinfo in the schedule's zone.

- A local time that does not exist on a given day (spring-forward gap) posts at the first
  valid instant after it: the moment the clocks jump.
- A local time that happens twice (fall-back overlap) posts at its first occurrence.
- Each occurrence belongs to a *week key*, the ISO week of its local date ("2025-W11"):
  a channel gets at most one lesson per week key, whatever its schedule does in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_DAY_ALIASES = {
    **{d: d for d in DAYS},
    **{name.casefold(): d for name, d in zip(DAY_NAMES, DAYS, strict=True)},
    **{name.casefold() + "s": d for name, d in zip(DAY_NAMES, DAYS, strict=True)},
    "tues": "tue",
    "wednes": "wed",
    "weds": "wed",
    "thur": "thu",
    "thurs": "thu",
}

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)

EXAMPLES = (
    "`/mlops subscribe`",
    "`/mlops subscribe tue`",
    "`/mlops subscribe thursday 14:30 America/New_York`",
    "`/mlops subscribe mon 09:00 Europe/Berlin`",
)


class ScheduleError(ValueError):
    """Input that is not a schedule; the message is safe to show (mrkdwn, escaped)."""


class Adjustment(StrEnum):
    NONE = "none"
    GAP = "gap"  # the local time does not exist that day: posted when the clocks jump
    OVERLAP = "overlap"  # the local time happens twice that day: posted at the first


@dataclass(frozen=True)
class Schedule:
    day: str  # one of DAYS
    at: time  # local wall-clock time, minutes precision
    tz: str  # IANA zone key, canonical spelling

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def weekday(self) -> int:
        return DAYS.index(self.day)

    @property
    def hhmm(self) -> str:
        return self.at.strftime("%H:%M")

    def describe(self) -> str:
        """'Tuesdays at 09:30 (Europe/Berlin)'."""
        return f"{DAY_NAMES[self.weekday]}s at {self.hhmm} ({self.tz})"


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # aware, UTC: when the post is due
    local_date: date  # the schedule's day, in the schedule's zone
    adjustment: Adjustment = Adjustment.NONE

    @property
    def week_key(self) -> str:
        year, week, _ = self.local_date.isocalendar()
        return f"{year}-W{week:02d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _problem(message: str) -> ScheduleError:
    examples = "\n".join(f"• {e}" for e in EXAMPLES)
    return ScheduleError(
        f"{message}\nDays are `mon`…`sun` (or `monday`…), times `HH:MM` (24-hour),"
        f" time zones IANA names like `Europe/Berlin`. Try:\n{examples}"
    )


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones() | {"UTC"}}


def canonical_zone(name: str) -> str | None:
    """The IANA key for `name` in any letter case, or None if there is no such zone."""
    return _zones().get(name.strip().casefold())


def parse_day(token: str) -> str | None:
    return _DAY_ALIASES.get(token.strip().casefold().rstrip("."))


def parse_time(token: str) -> time | None:
    """'9:30', '09:30', '14:05', '9am', '2:30pm' → time; None when it is not a time at all."""
    match = _TIME.match(token.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").casefold()
    if match.group(2) is None and not suffix:
        return None  # a bare number is not a time
    if suffix:
        if not 1 <= hour <= 12:
            raise _problem(f"“{_escape(token)}” is not a time.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _problem(f"“{_escape(token)}” is not a time of day.")
    return time(hour, minute)


def parse_schedule(text: str, default: Schedule) -> Schedule:
    """Read `[day] [HH:MM] [time zone]` in any order; missing parts come from `default`."""
    day: str | None = None
    at: time | None = None
    tz: str | None = None
    for token in text.split():
        shown = _escape(token[:60])
        if (found_time := parse_time(token)) is not None:
            if at is not None:
                raise _problem(f"Two times given (“{shown}”); pick one.")
            at = found_time
        elif (found_day := parse_day(token)) is not None:
            if day is not None:
                raise _problem(f"Two days given (“{shown}”); lessons are weekly, pick one day.")
            day = found_day
        elif (found_zone := canonical_zone(token)) is not None:
            if tz is not None:
                raise _problem(f"Two time zones given (“{shown}”); pick one.")
            tz = found_zone
        elif "/" in token:
            raise _problem(f"“{shown}” is not a time zone I know.")
        elif any(ch.isdigit() for ch in token):
            raise _problem(f"“{shown}” is not a time.")
        else:
            raise _problem(f"“{shown}” is not a day, a time or a time zone.")
    return Schedule(day=day or default.day, at=at or default.at, tz=tz or default.tz)


def default_schedule(day: str, hhmm: str, tz: str) -> Schedule:
    """The operator's defaults (MLOPS_DEFAULT_DAY/TIME/TZ), checked like user input."""
    fallback = Schedule("mon", time(10, 0), "UTC")
    return parse_schedule(f"{day} {hhmm} {tz}", fallback)


def schedule_from_row(day: str, hhmm: str, tz: str) -> Schedule:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return Schedule(day=day, at=time(hour, minute), tz=tz)


# -- occurrences --------------------------------------------------------------------------


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime; pass an aware instant")
    return dt.astimezone(UTC)


def _first_instant_at_or_after(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose local wall time in `zone` is >= `wall` (for gaps)."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # earlier reading of a gap time
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # later reading
    if low > high:
        low, high = high, low
    while (high - low) > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return high


def occurrence_on(schedule: Schedule, local_date: date) -> Occurrence:
    """The instant the schedule's time happens on `local_date` in its zone."""
    zone = schedule.zone
    wall = datetime.combine(local_date, schedule.at)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        return Occurrence(_first_instant_at_or_after(wall, zone), local_date, Adjustment.GAP)
    if first.utcoffset() != second.utcoffset():
        return Occurrence(first.astimezone(UTC), local_date, Adjustment.OVERLAP)
    return Occurrence(first.astimezone(UTC), local_date, Adjustment.NONE)


def _candidate_dates(schedule: Schedule, around: datetime) -> list[date]:
    local = _utc(around).astimezone(schedule.zone).date()
    start = local - timedelta(days=8)
    offset = (schedule.weekday - start.weekday()) % 7
    first = start + timedelta(days=offset)
    return [first + timedelta(weeks=n) for n in range(4)]


def next_occurrence(schedule: Schedule, after: datetime) -> Occurrence:
    """The first occurrence strictly after `after`."""
    after = _utc(after)
    for day in _candidate_dates(schedule, after):
        occurrence = occurrence_on(schedule, day)
        if occurrence.at > after:
            return occurrence
    raise AssertionError("unreachable: a weekly schedule occurs within 8 days")


def last_occurrence(schedule: Schedule, at: datetime) -> Occurrence:
    """The latest occurrence at or before `at`."""
    at = _utc(at)
    best: Occurrence | None = None
    for day in _candidate_dates(schedule, at):
        occurrence = occurrence_on(schedule, day)
        if occurrence.at <= at:
            best = occurrence
    assert best is not None, "a weekly schedule occurred within the last 8 days"
    return best


def occurrences(schedule: Schedule, after: datetime) -> Iterator[Occurrence]:
    """Occurrences after `after`, in order, forever."""
    current = next_occurrence(schedule, after)
    while True:
        yield current
        current = occurrence_on(schedule, current.local_date + timedelta(weeks=1))


def next_post(
    schedule: Schedule, after: datetime, taken: Callable[[str], bool] = lambda _key: False
) -> Occurrence:
    """The next occurrence after `after` whose week has not had its lesson yet."""
    for occurrence in occurrences(schedule, after):
        if not taken(occurrence.week_key):
            return occurrence
    raise AssertionError("unreachable")


def dst_warning(schedule: Schedule, after: datetime, weeks: int = 53) -> Occurrence | None:
    """The first occurrence within about a year that a daylight-saving change moves, if any."""
    for n, occurrence in enumerate(occurrences(schedule, after)):
        if n >= weeks:
            return None
        if occurrence.adjustment is not Adjustment.NONE:
            return occurrence
    return None


def owed_occurrence(
    schedule: Schedule, effective_from: datetime, now: datetime
) -> Occurrence | None:
    """The occurrence a post is owed for at `now`, if any: the latest one that fell due, as
    long as it is not older than the subscription (older missed weeks are not back-filled)."""
    occurrence = last_occurrence(schedule, now)
    return occurrence if occurrence.at >= _utc(effective_from) else None
