"""What the App Home tab shows a person."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot import messages
from bot.runtime import Runtime
from bot.services.identity import issuetrak_user
from bot.slack_people import SlackPerson
from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName
from bot.views.home import home_view


async def identity(rt: Runtime, team: str, person: SlackPerson) -> str:
    """Which Issuetrak user the person's notes are written as, or how to get one."""
    if rt.trackers.issuetrak is None:
        return messages.HOME_NO_ISSUETRAK
    try:
        user = await issuetrak_user(rt, team, person.id, person.email)
    except TrackerError as exc:
        return messages.HOME_IDENTITY_UNKNOWN.format(error=str(exc))
    if user is None:
        return messages.HOME_NOT_LINKED.format(email=person.email or "(none)")
    return messages.HOME_LINKED.format(user=user)


async def view_for(rt: Runtime, *, team: str, person: SlackPerson) -> View:
    configured = rt.trackers.configured()
    digests = [s for s in await rt.store.subscriptions() if s.team_id == team]
    return home_view(
        identity=await identity(rt, team, person),
        trackers=[(name.label, name in configured) for name in TrackerName],
        digests=digests, examples=messages.HELP_EXAMPLES,
    )
