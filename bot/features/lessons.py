"""`/mlops subscribe|unsubscribe|pause|resume|skip|schedule|lesson`: the weekly curriculum.

Handlers parse, call the subscriptions store and the pure schedule/curriculum core, and render
an ephemeral answer. They work the same in Slack and in the console (channel C0CONSOLE).
The feature also owns the weekly jobs (one per subscribed channel, a sweep, a catch-up at
start) and `mlops-bot digest run`, which runs one pass and exits.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger

from bot import blocks, permissions, texts
from bot.blocks import lessons as lesson_blocks
from bot.blocks import schedule as schedule_blocks
from bot.core import curriculum
from bot.core.schedule import (
    Adjustment,
    Occurrence,
    Schedule,
    ScheduleError,
    default_schedule,
    dst_warning,
    next_post,
    owed_occurrence,
    parse_schedule,
)
from bot.digest import Digest, PassReport
from bot.router import (
    CliCommand,
    CommandHandler,
    CommandRequest,
    Feature,
    Job,
    Reply,
    UserError,
    notice,
)
from bot.services import Services
from bot.store import deliveries, subscriptions
from bot.store.subscriptions import Subscription

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.core.models import Lesson

NOT_SUBSCRIBED = (
    "This channel isn't subscribed to weekly lessons yet. Try `/mlops subscribe`"
    " or `/mlops subscribe thursday 14:30 America/New_York`."
)


def _local(instant: datetime, schedule: Schedule) -> str:
    return instant.astimezone(schedule.zone).strftime("%a %d %b %Y, %H:%M %Z")


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


def _lesson_line(pick: curriculum.Pick) -> str:
    season = f" (season {pick.season})" if pick.season > 1 else ""
    return f"lesson {pick.number} of {pick.total}, *{blocks.escape(pick.lesson.title)}*{season}"


def dst_text(schedule: Schedule, occurrence: Occurrence) -> str:
    """The warning shown when a daylight-saving change moves a week's post."""
    day = occurrence.local_date.strftime("%a %d %b %Y")
    posted = _local(occurrence.at, schedule)
    if occurrence.adjustment is Adjustment.GAP:
        return (
            f"⚠️ {schedule.hhmm} doesn't exist in {schedule.tz} on {day} (clocks spring forward);"
            f" that week the lesson arrives at {posted}."
        )
    return (
        f"⚠️ {schedule.hhmm} happens twice in {schedule.tz} on {day} (clocks fall back);"
        f" that week the lesson arrives at the first one, {posted}."
    )


def lesson_number(text: str) -> int:
    """A lesson number as a person types it (any script's decimal digits: `٣` is 3), else 0.

    Superscripts, circled digits, `Infinity`, `NaN`, signs and numbers too long to be a lesson
    are not lesson numbers; the caller answers with the valid range."""
    text = text.strip()
    if not text or len(text) > 6 or not all(ch.isdecimal() for ch in text):
        return 0
    return int(text)


class Lessons:
    """The command service, one method per command."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def engine(self) -> AsyncEngine:
        return self.services.engine

    @property
    def lessons(self) -> list[Lesson]:
        return self.services.catalog.lessons

    def defaults(self) -> Schedule:
        settings = self.services.settings
        try:
            return default_schedule(
                settings.default_day, settings.default_time, settings.default_tz
            )
        except ScheduleError as exc:
            raise UserError(
                "The bot's default schedule (MLOPS_DEFAULT_DAY/TIME/TZ) is misconfigured;"
                " give a full schedule, e.g. `/mlops subscribe mon 10:00 UTC`."
            ) from exc

    async def _sync(self, request: CommandRequest) -> None:
        await sync_channel(self.services, request.team_id, request.channel_id)

    async def _require(self, request: CommandRequest) -> Subscription:
        sub = await subscriptions.get(self.engine, request.team_id, request.channel_id)
        if sub is None or sub.status == subscriptions.UNSUBSCRIBED:
            raise UserError(NOT_SUBSCRIBED)
        return sub

    async def _require_change(self, request: CommandRequest) -> Subscription:
        """The subscription, if the person may change it (else who can and how to ask)."""
        sub = await self._require(request)
        await permissions.require_change(self.services, request, sub)
        return sub

    async def _taken_weeks(self, sub: Subscription) -> set[str]:
        rows = await deliveries.for_channel(self.engine, sub.team_id, sub.channel_id)
        return {r.week_key for r in rows if r.message_ts or r.status == deliveries.CLAIMED}

    async def when_next(self, sub: Subscription, now: datetime) -> tuple[datetime, bool]:
        """When this channel's next lesson is posted, and whether that is a catch-up now."""
        taken = await self._taken_weeks(sub)
        owed = owed_occurrence(sub.schedule, sub.effective_from, now)
        if owed is not None and owed.week_key not in taken:
            return now, True
        return next_post(sub.schedule, now, lambda key: key in taken).at, False

    # -- commands ---------------------------------------------------------------------------
    async def subscribe(self, request: CommandRequest, args: str) -> Reply:
        try:
            schedule = parse_schedule(args, self.defaults())
        except ScheduleError as exc:
            raise UserError(str(exc)) from exc
        if not self.lessons:
            raise UserError("There are no lessons to post yet.")
        existing = await subscriptions.get(self.engine, request.team_id, request.channel_id)
        if (
            existing is not None
            and existing.status != subscriptions.UNSUBSCRIBED
            and not await permissions.may_change(self.services, request, existing)
        ):
            if existing.active and existing.schedule == schedule:
                return notice(texts.ALREADY_SUBSCRIBED.format(schedule=schedule.describe()))
            raise UserError(permissions.refusal(self.services, existing))
        caveat = None
        slack = self.services.slack
        if slack is not None and not request.is_dm:  # the console has no Slack to ask
            rights = await slack.posting_rights(request.channel_id)
            if rights.problem in texts.CANNOT_POST:
                return notice(texts.CANNOT_POST[rights.problem])
            if not rights.ok:
                caveat = texts.CANNOT_CHECK_POSTING.format(code=blocks.escape(rights.code))
        now = self.services.clock()
        sub, created = await subscriptions.subscribe(
            self.engine,
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            is_dm=request.is_dm,
            schedule=schedule,
            now=now,
        )
        _put_weekly(self.services, sub)  # the row just written is active: no need to re-read
        when, _ = await self.when_next(sub, now)
        upcoming = curriculum.pick(self.lessons, sub.next_lesson, sub.season)
        who = "You'll get a personal digest here" if request.is_dm else "This channel gets"
        verb = "Subscribed" if created else "Schedule updated"
        lines = [
            f"✅ *{verb}.* {who} a weekly MLOps lesson on {schedule.describe()}.",
            f"Next: {_lesson_line(upcoming)} on {_local(when, schedule)}.",
        ]
        if (warning := dst_warning(schedule, now)) is not None:
            lines.append(dst_text(schedule, warning))
        if caveat:
            lines.append(caveat)
        lines.append("`/mlops schedule` shows it, `/mlops pause` or `/mlops unsubscribe` stop it.")
        return notice("\n".join(lines))

    async def unsubscribe(self, request: CommandRequest, args: str) -> Reply:
        await self._require_change(request)
        await subscriptions.set_status(
            self.engine, request.team_id, request.channel_id, subscriptions.UNSUBSCRIBED,
            now=self.services.clock(),
        )  # fmt: skip
        await self._sync(request)
        return notice(
            "Unsubscribed: no more weekly lessons here. `/mlops subscribe` picks up where you"
            " left off."
        )

    async def pause(self, request: CommandRequest, args: str) -> Reply:
        sub = await self._require_change(request)
        if sub.status != subscriptions.ACTIVE:
            return notice(f"Weekly lessons here are already {sub.status}. {self._how_to(sub)}")
        await subscriptions.set_status(
            self.engine, request.team_id, request.channel_id, subscriptions.PAUSED,
            now=self.services.clock(), only_from=(subscriptions.ACTIVE,),
        )  # fmt: skip
        await self._sync(request)
        return notice("⏸️ Paused. `/mlops resume` brings the weekly lesson back.")

    async def resume(self, request: CommandRequest, args: str) -> Reply:
        sub = await self._require_change(request)
        if sub.status == subscriptions.ACTIVE:
            return notice(
                "Weekly lessons here aren't paused. `/mlops schedule` shows the next one."
            )
        if sub.status == subscriptions.SUSPENDED:
            return notice(self._how_to(sub))
        now = self.services.clock()
        resumed = await subscriptions.set_status(
            self.engine, request.team_id, request.channel_id, subscriptions.ACTIVE,
            now=now, only_from=(subscriptions.PAUSED,), restart=True,
        )  # fmt: skip
        await self._sync(request)
        assert resumed is not None
        when, _ = await self.when_next(resumed, now)
        return notice(f"▶️ Resumed. Next lesson on {_local(when, resumed.schedule)}.")

    async def skip(self, request: CommandRequest, args: str) -> Reply:
        await self._require_change(request)
        sub = await subscriptions.skip(
            self.engine, request.team_id, request.channel_id,
            total=len(self.lessons), now=self.services.clock(),
        )  # fmt: skip
        assert sub is not None
        upcoming = curriculum.pick(self.lessons, sub.next_lesson, sub.season)
        return notice(f"⏭️ Skipped one. The next post will be {_lesson_line(upcoming)}.")

    async def schedule(self, request: CommandRequest, args: str) -> Reply:
        sub = await self._require(request)
        schedule = sub.schedule
        now = self.services.clock()
        upcoming = curriculum.pick(self.lessons, sub.next_lesson, sub.season)
        lines = [f"*Weekly MLOps lessons here:* {schedule.describe()}."]
        if sub.status == subscriptions.ACTIVE:
            when, catching_up = await self.when_next(sub, now)
            if catching_up:
                lines.append("Next post: due now (catching up), within a minute or so.")
            else:
                lines.append(f"Next post: {_local(when, schedule)} ({_utc(when)}).")
        else:
            lines.append(self._how_to(sub))
        lines.append(f"Next lesson: {_lesson_line(upcoming)}.")
        posted = [
            r
            for r in await deliveries.for_channel(self.engine, sub.team_id, sub.channel_id)
            if r.message_ts
        ]
        if posted:
            last = curriculum.pick(self.lessons, posted[0].position, posted[0].season)
            url = lesson_blocks.thread_url(sub.channel_id, posted[0].message_ts or "")
            lines.append(f"Last posted: {_lesson_line(last)} — {blocks.link(url, 'thread')}.")
        if (warning := dst_warning(schedule, now)) is not None:
            lines.append(dst_text(schedule, warning))
        reply = notice("\n".join(lines))
        assert reply.blocks is not None
        reply.blocks.append(schedule_blocks.schedule_actions(sub.channel_id))
        return reply

    async def lesson(self, request: CommandRequest, args: str) -> Reply:
        args = args.strip()
        total = len(self.lessons)
        if not total:
            raise UserError("There are no lessons yet.")
        if args:
            number = lesson_number(args)
            lesson = curriculum.by_number(self.lessons, number)
            if lesson is None:
                raise UserError(
                    f"There are {total} lessons: try `/mlops lesson 7`, or `/mlops lesson` for"
                    " this channel's current one."
                )
            pick = curriculum.Pick(lesson, number - 1, 1, total)
            label = f"Lesson {number} of {total}"
        else:
            pick, label = await self.current(request)
        body = lesson_blocks.build_lesson(
            pick, self.services.catalog, footer=f"{label} · `/mlops lesson 7` shows any lesson"
        )
        body += lesson_blocks.build_question(pick.lesson)
        return Reply(text=lesson_blocks.lesson_text(pick), blocks=body[: blocks.MAX_BLOCKS])

    async def current(self, request: CommandRequest) -> tuple[curriculum.Pick, str]:
        sub = await subscriptions.get(self.engine, request.team_id, request.channel_id)
        if sub is None:
            return curriculum.pick(self.lessons, 0, 1), "Not subscribed: here is lesson 1"
        for row in await deliveries.for_channel(self.engine, sub.team_id, sub.channel_id):
            if row.message_ts:
                return curriculum.pick(self.lessons, row.position, row.season), "This week's lesson"
        return curriculum.pick(self.lessons, sub.next_lesson, sub.season), "Coming up here"

    @staticmethod
    def _how_to(sub: Subscription) -> str:
        if sub.status == subscriptions.SUSPENDED:
            reason = sub.status_reason or "an error"
            return texts.suspended(blocks.escape(reason))
        if sub.status == subscriptions.PAUSED:
            return "⏸️ Paused: `/mlops resume` brings the lessons back."
        return "Not active: `/mlops subscribe` starts the lessons again."


COMMANDS = ("subscribe", "unsubscribe", "pause", "resume", "skip", "schedule", "lesson")


def _command(name: str) -> CommandHandler:
    """A Lessons method as a router handler; typed in a DM, it acts on the personal digest."""

    async def run(services: Services, request: CommandRequest, args: str) -> Reply:
        if request.is_dm and services.slack is not None:
            channel = await services.slack.open_dm(request.user_id)
            request = replace(request, channel_id=channel)
        method: Callable[[CommandRequest, str], Awaitable[Reply]] = getattr(Lessons(services), name)
        return await method(request, args)

    return run


# -- weekly posts: one APScheduler job per subscribed channel, rebuilt from the database -----

JOB_PREFIX = "lesson:"
SWEEP_JOB = "lesson:sweep"
CATCH_UP_JOB = "lesson:catch-up"


def weekly_job_id(team_id: str, channel_id: str) -> str:
    return f"{JOB_PREFIX}{team_id}:{channel_id}"


def weekly_trigger(sub: Subscription) -> CronTrigger:
    """The channel's own day and time in its own zone (day names: cron numbers are off by one)."""
    schedule = sub.schedule
    return CronTrigger(
        day_of_week=schedule.day,
        hour=schedule.at.hour,
        minute=schedule.at.minute,
        timezone=schedule.zone,
    )


async def post_channel(services: Services, team_id: str, channel_id: str) -> None:
    """A channel's weekly job: post its lesson if one is owed (the claim makes it once)."""
    await Digest(services).run_pass(services.clock(), only=(team_id, channel_id))


def _put_weekly(services: Services, sub: Subscription) -> None:
    job_id = weekly_job_id(sub.team_id, sub.channel_id)
    job = services.scheduler.get(job_id)
    trigger = weekly_trigger(sub)
    if job is not None and str(job.trigger) == str(trigger):
        return
    services.scheduler.put(
        job_id,
        post_channel,
        trigger,
        args=(services, sub.team_id, sub.channel_id),
        name=f"weekly lesson for {sub.channel_id}",
    )


async def sync_jobs(services: Services) -> None:
    """Make the channel jobs match the active subscriptions in the database."""
    wanted = {
        weekly_job_id(sub.team_id, sub.channel_id): sub
        for sub in await subscriptions.list_all(services.engine)
        if sub.active
    }
    for job in services.scheduler.jobs():
        internal = job.id in (SWEEP_JOB, CATCH_UP_JOB)
        if job.id.startswith(JOB_PREFIX) and not internal and job.id not in wanted:
            services.scheduler.remove(job.id)
    for sub in wanted.values():
        _put_weekly(services, sub)


async def sync_channel(services: Services, team_id: str, channel_id: str) -> None:
    """Update one channel's job right after a command changed its subscription."""
    sub = await subscriptions.get(services.engine, team_id, channel_id)
    if sub is not None and sub.active:
        _put_weekly(services, sub)
    else:
        services.scheduler.remove(weekly_job_id(team_id, channel_id))


async def sweep(services: Services) -> PassReport:
    """Re-read subscriptions (other replicas add some) and post everything owed, retries too.

    Also the catch-up job at start, for posts that fell due while the bot was down."""
    await sync_jobs(services)
    return await Digest(services).run_pass(services.clock())


async def _sweep_job(services: Services) -> None:
    await sweep(services)


# -- CLI: mlops-bot digest run [--now ISO-8601] ---------------------------------------------


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _digest_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now", type=_instant, default=None, help="ISO-8601 instant (default: now)"
    )


async def cmd_digest_run(args: argparse.Namespace, services: Services) -> int:
    """Post every lesson due now (or at --now), then exit."""
    report = await Digest(services).run_pass(args.now or services.clock())
    print(report.summary())
    return 1 if report.failed else 0


FEATURE = Feature(
    name="lessons",
    commands={name: _command(name) for name in COMMANDS},
    jobs=(
        Job(SWEEP_JOB, _sweep_job, every=lambda settings: settings.digest_sweep_seconds),
        Job(CATCH_UP_JOB, _sweep_job),
    ),
    cli=(
        CliCommand(
            "digest",
            "run",
            "post every lesson due now (or at --now), then exit",
            cmd_digest_run,
            _digest_args,
            slack=True,
        ),
    ),
    on_start=(sync_jobs,),
)
