"""Link health over days: pure, the day passed in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.link_health import (
    LinkResult,
    LinkState,
    Outcome,
    classify_status,
    next_state,
)

URL = "https://example.com/post"
DAY = date(2026, 12, 1)


def result(outcome: Outcome, status: int | None = None, **kw: object) -> LinkResult:
    return LinkResult(URL, status, outcome, **kw)  # type: ignore[arg-type]


GONE = result(Outcome.DEAD_SIGNAL, 404, error="HTTP 404")
FLAKY = result(Outcome.TRANSIENT, 503, error="HTTP 503")
OK = result(Outcome.OK, 200, final_url=URL)


def run(results: list[tuple[LinkResult, date]], state: LinkState | None = None) -> LinkState:
    for item, day in results:
        state = next_state(state, item, day)
    assert state is not None
    return state


def test_one_bad_day_marks_nothing_dead() -> None:
    state = run([(GONE, DAY)] * 5)
    assert (state.consecutive_failures, state.dead, state.last_status) == (1, False, 404)
    assert state.last_failure_day == DAY


def test_two_bad_days_are_not_enough() -> None:
    state = run([(GONE, DAY), (GONE, DAY + timedelta(days=1))])
    assert (state.consecutive_failures, state.dead) == (2, False)


def test_dead_after_three_bad_days() -> None:
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=7)]
    state = run([(GONE, d) for d in days])
    assert (state.consecutive_failures, state.dead) == (3, True)
    assert state.last_failure_day == days[-1]


def test_failures_on_the_same_day_count_once() -> None:
    state = run([(GONE, DAY), (GONE, DAY), (GONE, DAY + timedelta(days=1))])
    assert (state.consecutive_failures, state.dead) == (2, False)


def test_an_ok_result_resets_failures_and_undeads() -> None:
    dead = run([(GONE, DAY + timedelta(days=n)) for n in range(3)])
    assert dead.dead
    alive = next_state(dead, OK, DAY + timedelta(days=3))
    assert alive == LinkState(last_status=200)
    again = run([(GONE, DAY + timedelta(days=n)) for n in range(4, 6)], alive)
    assert (again.consecutive_failures, again.dead) == (2, False)


@pytest.mark.parametrize(
    "flaky",
    [
        FLAKY,
        result(Outcome.TRANSIENT, 429),
        result(Outcome.TRANSIENT, None, error="timed out"),
        result(Outcome.REFUSED, None, error="private"),
    ],
)
def test_transient_failures_neither_count_nor_reset(flaky: LinkResult) -> None:
    days = [DAY + timedelta(days=n) for n in range(6)]
    only_flaky = run([(flaky, d) for d in days])
    assert (only_flaky.consecutive_failures, only_flaky.dead) == (0, False)
    mixed = run([(GONE, days[0]), (flaky, days[1]), (GONE, days[2]), (flaky, days[3])])
    assert (mixed.consecutive_failures, mixed.dead, mixed.last_status) == (2, False, flaky.status)
    dead = run([(GONE, days[0]), (GONE, days[1]), (GONE, days[2]), (flaky, days[3])])
    assert dead.dead  # a dead link stays dead until it answers ok


def test_a_clock_that_goes_back_does_not_count_again() -> None:
    state = run([(GONE, DAY), (GONE, DAY - timedelta(days=1))])
    assert state.consecutive_failures == 1


def test_a_permanent_redirect_records_where_the_link_moved() -> None:
    moved = result(Outcome.OK, 200, final_url="https://example.org/new", permanent_redirect=True)
    state = next_state(None, moved, DAY)
    assert (state.moved, state.final_url) == (True, "https://example.org/new")
    temporary = result(Outcome.OK, 200, final_url="https://example.org/tmp")
    assert not next_state(state, temporary, DAY).moved
    assert next_state(state, GONE, DAY).final_url == "https://example.org/new"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.OK),
        (204, Outcome.OK),
        (404, Outcome.DEAD_SIGNAL),
        (410, Outcome.DEAD_SIGNAL),
        (500, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
        (429, Outcome.TRANSIENT),
        (403, Outcome.TRANSIENT),
        (302, Outcome.TRANSIENT),
    ],
)
def test_statuses_are_classified(status: int, outcome: Outcome) -> None:
    assert classify_status(status) is outcome
