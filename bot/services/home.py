"""What the App Home tab shows a person."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot import messages
from bot.running.runtime import Runtime
from bot.services.identity import Refusal, identify, refusal_sentence
from bot.slack.people import SlackPerson
from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName
from bot.views.home import home_view

AUDIT_LINES = 15  # link decisions an admin sees on the Home tab


async def identity(rt: Runtime, team: str, person: SlackPerson) -> str:
    """Which Issuetrak user the person's notes are written as, or how to get one."""
    if rt.trackers.issuetrak is None:
        return messages.HOME_NO_ISSUETRAK
    try:
        standing = await identify(rt, team, person)
    except TrackerError as exc:
        return messages.HOME_IDENTITY_UNKNOWN.format(error=str(exc))
    match standing.refusal:
        case None:
            return messages.HOME_LINKED.format(user=standing.user)
        case Refusal.NO_MATCH:
            return messages.HOME_NOT_LINKED.format(email=person.email or "(none)")
        case Refusal.GUEST:
            return messages.HOME_GUEST
        case Refusal.ISSUETRAK_DOWN:
            return messages.HOME_IDENTITY_UNKNOWN.format(error=standing.detail)
    return refusal_sentence(rt, standing, person)


async def view_for(rt: Runtime, *, team: str, person: SlackPerson) -> View:
    configured = rt.trackers.configured()
    digests = [s for s in await rt.store.subscriptions() if s.team_id == team]
    audit = await rt.store.link_audit(team, AUDIT_LINES) if person.id in rt.settings.admins else None
    return home_view(
        identity=await identity(rt, team, person),
        trackers=[(name.label, name in configured) for name in TrackerName],
        digests=digests, examples=messages.HELP_EXAMPLES, audit=audit,
    )
