"""Who may change a channel's weekly lessons once it is subscribed.

Anyone may subscribe a channel that is not subscribed. After that, changing it (a new
schedule, unsubscribe, pause, resume, skip) is for the person who subscribed it, the
moderators (MLOPS_ADMINS) and the workspace's admins and owners (users.info). Everyone keeps
seeing it. In the console there is one person, who is treated as the subscriber.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts
from bot.blocks.suggestions import user as mention
from bot.router import CommandRequest, UserError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.store.subscriptions import Subscription

MAX_NAMED_MODERATORS = 5


async def may_change(services: Services, request: CommandRequest, sub: Subscription) -> bool:
    """Whether the person behind `request` may change this subscription."""
    if request.source == "console" or services.slack is None:
        return True  # the console has one user: the subscriber
    user = request.user_id
    if user == sub.created_by or user in services.settings.admin_ids:
        return True
    return await services.slack.is_workspace_admin(user)


def refusal(services: Services, sub: Subscription) -> str:
    """Who can change this channel's lessons and how to ask them (mrkdwn)."""
    who = [f"{mention(sub.created_by)}, who subscribed it"]
    moderators = sorted(services.settings.admin_ids)
    if moderators:
        named = ", ".join(mention(m) for m in moderators[:MAX_NAMED_MODERATORS])
        more = " and others" if len(moderators) > MAX_NAMED_MODERATORS else ""
        who.append(f"the bot's moderators ({named}{more})")
    else:
        who.append("the bot's moderators")
    who.append("a workspace admin or owner")
    return texts.CHANGE_REFUSED.format(who=", ".join(who[:-1]) + " or " + who[-1])


async def require_change(services: Services, request: CommandRequest, sub: Subscription) -> None:
    """Raise a UserError saying who can, unless the person may change this subscription."""
    if not await may_change(services, request, sub):
        raise UserError(refusal(services, sub))
