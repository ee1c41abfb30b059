"""Installs in multi-workspace mode: uninstall and re-install, and `mlops-bot workspaces`.

`app_uninstalled` (or `tokens_revoked` for the bot's token) deletes the workspace's tokens,
suspends its active subscriptions with the reason "the app was uninstalled" and removes their
jobs. A later install of the same workspace (the OAuth success callback) resumes exactly the
subscriptions suspended for that reason, at the lesson they had reached.

Org-wide installs (Enterprise Grid) keep one token under the enterprise; their workspaces'
subscriptions are found through the `workspaces` rows that name that enterprise.
"""

from __future__ import annotations

import argparse
import logging

from slack_sdk.oauth.installation_store import Installation

from bot import texts
from bot.features.lessons import sync_jobs, weekly_job_id
from bot.router import CliCommand, EventRequest, Feature
from bot.services import Services
from bot.slack.installs import TokenSource, request_workspace, workspace_of
from bot.store import installs as store
from bot.store import subscriptions
from bot.store.installs import BotKey

logger = logging.getLogger(__name__)


def _key(request: EventRequest) -> BotKey:
    """The uninstalled workspace: what Bolt read from the request, else the event's ids."""
    key = request_workspace.get()
    if key is not None and (key.team_id or key.enterprise_id):
        return key
    return BotKey(request.enterprise_id or None, request.team_id or None, False)


async def _teams(services: Services, key: BotKey) -> list[str]:
    """The workspaces an install covers: one, or every known workspace of an org install."""
    if not key.is_enterprise_install:
        return [key.team_id] if key.team_id else []
    teams = {
        w.team_id
        for w in await store.list_all(services.engine)
        if w.enterprise_id == key.enterprise_id
    }
    if key.enterprise_id:
        teams.add(key.enterprise_id)
    return sorted(teams)


def _tokens(services: Services) -> TokenSource | None:
    tokens = services.slack.tokens if services.slack is not None else None
    return tokens if isinstance(tokens, TokenSource) else None


async def _delete_tokens(tokens: TokenSource, key: BotKey) -> None:
    team = None if key.is_enterprise_install else key.team_id
    await tokens.store.async_delete_bot(enterprise_id=key.enterprise_id, team_id=team)
    await tokens.store.async_delete_installation(enterprise_id=key.enterprise_id, team_id=team)
    tokens.forget(team)


async def uninstalled(services: Services, request: EventRequest) -> None:
    """The app was removed from a workspace (or its bot token revoked): stop everything."""
    tokens = _tokens(services)
    if tokens is None:  # single-workspace mode: the token is the operator's, nothing changes
        logger.info("ignoring %s: not in multi-workspace mode", request.type)
        return
    key = _key(request)
    await _delete_tokens(tokens, key)
    now = services.clock()
    teams = await _teams(services, key)
    suspended = await subscriptions.suspend_teams(
        services.engine, teams, reason=texts.UNINSTALLED_REASON, now=now
    )
    for sub in suspended:
        services.scheduler.remove(weekly_job_id(sub.team_id, sub.channel_id))
    # Last: the rows say "uninstalled" once everything of the workspace has stopped.
    for team in teams:
        await store.record_uninstall(services.engine, team, now=now)
    logger.info("app uninstalled from %s: %d subscription(s) suspended",
                key.team_id or key.enterprise_id, len(suspended))  # fmt: skip


async def tokens_revoked(services: Services, request: EventRequest) -> None:
    """Only the bot's token matters: user tokens are never requested."""
    revoked = request.event.get("tokens") or {}
    if isinstance(revoked, dict) and revoked.get("bot"):
        await uninstalled(services, request)


async def installed(services: Services, installation: Installation) -> None:
    """The OAuth success callback: record the install, resume what the uninstall stopped."""
    team = workspace_of(installation)
    key = BotKey(
        installation.enterprise_id, installation.team_id, bool(installation.is_enterprise_install)
    )
    now = services.clock()
    await store.record_install(
        services.engine, team, enterprise_id=installation.enterprise_id,
        is_enterprise_install=key.is_enterprise_install,
        team_name=installation.team_name or installation.enterprise_name, now=now,
    )  # fmt: skip
    tokens = _tokens(services)
    if tokens is not None:
        tokens.forget(None if key.is_enterprise_install else team)
    resumed = await subscriptions.resume_teams(
        services.engine, await _teams(services, key), reason=texts.UNINSTALLED_REASON, now=now
    )
    if resumed:
        await sync_jobs(services)
        logger.info("re-installed in %s: %d subscription(s) resumed", team, resumed)


# -- CLI: mlops-bot workspaces ----------------------------------------------------------------


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else "-"


async def cmd_workspaces(args: argparse.Namespace, services: Services) -> int:
    """Print every workspace the bot knows: team, name, installed at, channels, status."""
    known = {w.team_id: w for w in await store.list_all(services.engine)}
    channels: dict[str, int] = {}
    for sub in await subscriptions.list_all(services.engine, status=subscriptions.ACTIVE):
        channels[sub.team_id] = channels.get(sub.team_id, 0) + 1
    teams = sorted(set(known) | set(channels))
    if not teams:
        print("no workspaces yet")
        return 0
    rows = [("TEAM", "NAME", "INSTALLED AT", "CHANNELS", "STATUS")]
    for team in teams:
        row = known.get(team)
        rows.append((
            team,
            (row.team_name if row else None) or "-",
            _when(row.installed_at if row else None),
            str(channels.get(team, 0)),
            row.status if row else "-",
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip())
    return 0


FEATURE = Feature(
    name="workspaces",
    events={"app_uninstalled": uninstalled, "tokens_revoked": tokens_revoked},
    cli=(
        CliCommand(
            "workspaces",
            "",
            "list installs: team, name, installed at, channels, status",
            cmd_workspaces,
        ),
    ),
)
