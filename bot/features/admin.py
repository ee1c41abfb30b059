"""`/mlops admin`: each workspace's own moderators and review channel.

`/mlops admin add @person`, `/mlops admin remove @person`, `/mlops admin review-channel
#channel`, and `/mlops admin` (what is set). Allowed to the workspace's admins and owners
(users.info) and to its moderators. A workspace that set nothing uses MLOPS_ADMINS and
MLOPS_REVIEW_CHANNEL; every other feature reads them through `moderators` and
`review_channel`.
"""

from __future__ import annotations

from bot import blocks, texts
from bot.core import mentions
from bot.router import CommandRequest, Feature, Reply, UserError, notice
from bot.services import Services
from bot.store import installs as store


async def moderators(services: Services, team_id: str) -> frozenset[str]:
    """The workspace's moderators; MLOPS_ADMINS when it has set none."""
    row = await store.get(services.engine, team_id) if team_id else None
    if row is not None and row.moderators:
        return frozenset(row.moderators)
    return services.settings.admin_ids


async def review_channel(services: Services, team_id: str) -> str:
    """Where the workspace reviews suggestions; MLOPS_REVIEW_CHANNEL when it has set none."""
    row = await store.get(services.engine, team_id) if team_id else None
    if row is not None and row.review_channel:
        return row.review_channel
    return services.settings.review_channel


async def review_channels(services: Services) -> list[tuple[str, str]]:
    """(team, channel) for reports that concern every workspace (e.g. link health): the one
    review channel; in multi-workspace mode each installed workspace's own."""
    if not services.settings.multi_workspace:
        channel = services.settings.review_channel
        return [("", channel)] if channel else []
    return [
        (row.team_id, row.review_channel)
        for row in await store.list_all(services.engine)
        if row.status == store.INSTALLED and row.review_channel
    ]


async def is_moderator(services: Services, team_id: str, user_id: str) -> bool:
    return user_id in await moderators(services, team_id)


async def may_administer(services: Services, request: CommandRequest) -> bool:
    """Moderators, and the workspace's admins and owners (asked of Slack only if needed)."""
    if await is_moderator(services, request.team_id, request.user_id):
        return True
    return services.slack is not None and await services.slack.is_workspace_admin(request.user_id)


def _people(ids: frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(f"<@{uid}>" for uid in sorted(ids)) or texts.ADMIN_NONE


async def on_admin(services: Services, request: CommandRequest, args: str) -> Reply:
    verb, _, rest = args.strip().partition(" ")
    verb = verb.casefold()
    if verb not in ("", "add", "remove", "review-channel"):
        raise UserError(texts.ADMIN_USAGE)
    if not await may_administer(services, request):
        raise UserError(texts.ADMIN_ONLY)
    if verb == "add":
        return await _add(services, request, rest)
    if verb == "remove":
        return await _remove(services, request, rest)
    if verb == "review-channel":
        return await _set_review_channel(services, request, rest)
    channel = await review_channel(services, request.team_id)
    current = texts.ADMIN_SETTINGS.format(
        moderators=_people(await moderators(services, request.team_id)),
        channel=f"<#{channel}>" if channel else texts.ADMIN_NONE,
    )
    return notice(current + texts.ADMIN_USAGE)


async def _add(services: Services, request: CommandRequest, rest: str) -> Reply:
    user = mentions.user_id(rest)
    if user is None:
        raise UserError(texts.ADMIN_NOT_A_USER)
    # The first one a workspace sets starts from the defaults, so nobody loses the right.
    updated = tuple(sorted(await moderators(services, request.team_id) | {user}))
    await store.set_moderators(services.engine, request.team_id, updated, now=services.clock())
    return notice(texts.ADMIN_ADDED.format(user=user, moderators=_people(updated)))


async def _remove(services: Services, request: CommandRequest, rest: str) -> Reply:
    user = mentions.user_id(rest)
    if user is None:
        raise UserError(texts.ADMIN_NOT_A_USER)
    current = await moderators(services, request.team_id)
    if current == {user}:
        raise UserError(texts.ADMIN_LAST.format(user=user))
    updated = tuple(sorted(current - {user}))
    await store.set_moderators(services.engine, request.team_id, updated, now=services.clock())
    return notice(texts.ADMIN_REMOVED.format(user=user, moderators=_people(updated)))


async def _set_review_channel(services: Services, request: CommandRequest, rest: str) -> Reply:
    channel = mentions.channel_id(rest)
    if channel is None:
        raise UserError(texts.ADMIN_NOT_A_CHANNEL)
    await store.set_review_channel(services.engine, request.team_id, channel, now=services.clock())
    return notice(texts.ADMIN_REVIEW_CHANNEL.format(channel=blocks.escape(channel)))


FEATURE = Feature(name="admin", commands={"admin": on_admin})
