"""Weekly schedules: parsing, occurrences in the channel's zone, daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.schedule import (
    Adjustment,
    Schedule,
    ScheduleError,
    default_schedule,
    dst_warning,
    last_occurrence,
    next_occurrence,
    next_post,
    occurrence_on,
    owed_occurrence,
    parse_schedule,
)

DEFAULT = Schedule("mon", time(10, 0), "UTC")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DEFAULT),
        ("tue", Schedule("tue", time(10, 0), "UTC")),
        ("thursday 14:30 America/New_York", Schedule("thu", time(14, 30), "America/New_York")),
        ("america/new_york 14:30 THURSDAY", Schedule("thu", time(14, 30), "America/New_York")),
        ("9:05 Europe/Berlin", Schedule("mon", time(9, 5), "Europe/Berlin")),
        ("fri 2:30pm", Schedule("fri", time(14, 30), "UTC")),
        ("sundays 12am utc", Schedule("sun", time(0, 0), "UTC")),
        ("Weds Asia/Kolkata", Schedule("wed", time(10, 0), "Asia/Kolkata")),
    ],
)
def test_parse_any_order_with_defaults(text: str, expected: Schedule) -> None:
    assert parse_schedule(text, DEFAULT) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("funday", "“funday” is not a day"),
        ("25:00", "“25:00” is not a time of day"),
        ("mon 12:61", "not a time of day"),
        ("Mars/Olympus", "“Mars/Olympus” is not a time zone"),
        ("mon tue", "Two days"),
        ("10:00 11:00", "Two times"),
        ("UTC Europe/Berlin", "Two time zones"),
        ("13pm", "not a time"),
        ("<!channel>", "&lt;!channel&gt;"),
    ],
)
def test_bad_input_is_explained_with_examples(text: str, needle: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text, DEFAULT)
    message = str(info.value)
    assert needle in message
    assert "/mlops subscribe thursday 14:30 America/New_York" in message
    assert "<!" not in message


def test_default_schedule_from_settings() -> None:
    assert default_schedule("wednesday", "08:15", "europe/berlin") == Schedule(
        "wed", time(8, 15), "Europe/Berlin"
    )
    with pytest.raises(ScheduleError):
        default_schedule("mon", "10:00", "Nowhere/Zone")


def test_next_and_last_occurrence_in_local_time() -> None:
    berlin = Schedule("tue", time(9, 30), "Europe/Berlin")
    # Tue 2025-01-07 09:30 CET = 08:30 UTC
    assert next_occurrence(berlin, utc(2025, 1, 6, 12)).at == utc(2025, 1, 7, 8, 30)
    assert next_occurrence(berlin, utc(2025, 1, 7, 8, 30)).at == utc(2025, 1, 14, 8, 30)
    assert last_occurrence(berlin, utc(2025, 1, 7, 8, 30)).at == utc(2025, 1, 7, 8, 30)
    assert last_occurrence(berlin, utc(2025, 1, 7, 8, 29)).at == utc(2024, 12, 31, 8, 30)
    # Summer time: 09:30 CEST = 07:30 UTC
    assert next_occurrence(berlin, utc(2025, 7, 1)).at == utc(2025, 7, 1, 7, 30)


def test_local_day_differs_from_utc_day() -> None:
    tokyo = Schedule("mon", time(8, 0), "Asia/Tokyo")  # Mon 08:00 JST = Sun 23:00 UTC
    occurrence = next_occurrence(tokyo, utc(2025, 1, 1))
    assert occurrence.at == utc(2025, 1, 5, 23, 0)
    assert occurrence.local_date == date(2025, 1, 6)
    assert occurrence.week_key == "2025-W02"


@pytest.mark.parametrize(
    ("schedule", "day", "expected"),
    [
        # New York springs forward Sun 2025-03-09 02:00 EST → 03:00 EDT (07:00 UTC).
        (Schedule("sun", time(2, 30), "America/New_York"), date(2025, 3, 9), utc(2025, 3, 9, 7)),
        # Berlin springs forward Sun 2025-03-30 02:00 CET → 03:00 CEST (01:00 UTC).
        (Schedule("sun", time(2, 15), "Europe/Berlin"), date(2025, 3, 30), utc(2025, 3, 30, 1)),
    ],
)
def test_spring_forward_gap_posts_when_clocks_jump(
    schedule: Schedule, day: date, expected: datetime
) -> None:
    occurrence = occurrence_on(schedule, day)
    assert occurrence.adjustment is Adjustment.GAP
    assert occurrence.at == expected
    # The week before and after are ordinary.
    assert occurrence_on(schedule, day - timedelta(weeks=1)).adjustment is Adjustment.NONE
    assert occurrence_on(schedule, day + timedelta(weeks=1)).adjustment is Adjustment.NONE


@pytest.mark.parametrize(
    ("schedule", "day", "expected"),
    [
        # New York falls back Sun 2025-11-02: 01:30 happens at 05:30 UTC (EDT) and 06:30 (EST).
        (
            Schedule("sun", time(1, 30), "America/New_York"),
            date(2025, 11, 2),
            utc(2025, 11, 2, 5, 30),
        ),
        # Berlin falls back Sun 2025-10-26: 02:30 happens at 00:30 UTC (CEST) and 01:30 (CET).
        (
            Schedule("sun", time(2, 30), "Europe/Berlin"),
            date(2025, 10, 26),
            utc(2025, 10, 26, 0, 30),
        ),
    ],
)
def test_fall_back_overlap_posts_at_the_first(
    schedule: Schedule, day: date, expected: datetime
) -> None:
    occurrence = occurrence_on(schedule, day)
    assert occurrence.adjustment is Adjustment.OVERLAP
    assert occurrence.at == expected


def test_weekly_instants_follow_dst_across_a_year() -> None:
    ny = Schedule("mon", time(9, 0), "America/New_York")
    instants = []
    after = utc(2025, 1, 1)
    for _ in range(52):
        occurrence = next_occurrence(ny, after)
        instants.append(occurrence)
        after = occurrence.at
    assert all(o.at.astimezone(ny.zone).time() == time(9, 0) for o in instants)
    assert {o.at.hour for o in instants} == {13, 14}  # EDT and EST
    assert len({o.week_key for o in instants}) == 52


def test_dst_warning_finds_the_next_affected_week() -> None:
    schedule = Schedule("sun", time(2, 30), "America/New_York")
    warning = dst_warning(schedule, utc(2025, 1, 1))
    assert warning is not None and warning.local_date == date(2025, 3, 9)
    assert dst_warning(Schedule("mon", time(10, 0), "America/New_York"), utc(2025, 1, 1)) is None
    assert dst_warning(Schedule("sun", time(2, 30), "UTC"), utc(2025, 1, 1)) is None


def test_owed_occurrence_catches_up_within_the_week_only() -> None:
    schedule = Schedule("mon", time(10, 0), "UTC")
    subscribed = utc(2025, 1, 1)
    # Due Mon 2025-01-06 10:00; the bot comes back Wednesday: still owed.
    owed = owed_occurrence(schedule, subscribed, utc(2025, 1, 8, 12))
    assert owed is not None and owed.at == utc(2025, 1, 6, 10)
    # Subscribed after the occurrence: nothing owed until next Monday.
    assert owed_occurrence(schedule, utc(2025, 1, 6, 11), utc(2025, 1, 8)) is None
    # Only the latest occurrence is owed, never an older week.
    assert owed_occurrence(schedule, subscribed, utc(2025, 1, 20, 9)).at == utc(2025, 1, 13, 10)


def test_next_post_skips_weeks_already_served() -> None:
    schedule = Schedule("wed", time(10, 0), "UTC")
    first = next_post(schedule, utc(2025, 1, 6))
    assert first.at == utc(2025, 1, 8, 10)
    later = next_post(schedule, utc(2025, 1, 6), lambda key: key == first.week_key)
    assert later.at == utc(2025, 1, 15, 10)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_occurrence(DEFAULT, datetime(2025, 1, 1))
