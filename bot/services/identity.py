"""Who a Slack person is in Issuetrak: the user their notes and issues are written as."""

from __future__ import annotations

from bot import messages
from bot.runtime import Runtime


async def issuetrak_user(rt: Runtime, team: str, slack_user: str, email: str | None) -> str | None:
    """The Issuetrak user a Slack person writes as: an explicit link first, then the email."""
    linked = await rt.store.linked_person(team, slack_user)
    if linked:
        return linked
    if not email:
        return None
    found = await rt.trackers.require_issuetrak().find_user_by_email(email)
    return found.id if found and found.active else None


async def link_person(rt: Runtime, *, team: str, slack_user: str, issuetrak_user: str) -> str:
    users = await rt.trackers.require_issuetrak().list_users()
    match = next((u for u in users if u.id.lower() == issuetrak_user.lower() and u.active), None)
    if match is None:
        return messages.LINK_UNKNOWN_USER.format(user=issuetrak_user)
    await rt.store.link_person(team, slack_user, match.id)
    return messages.LINKED.format(user=match.id)
