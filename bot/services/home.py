"""What the App Home tab shows a person (handlers/home.py renders and publishes it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import messages
from bot.runtime import Runtime
from bot.services import digest_rules as digests_service
from bot.services import watches
from bot.services.identity import Refusal, identify, refusal_sentence
from bot.slack.directory import SlackPerson
from bot.store.models import AuditEntry, Subscription
from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName

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


@dataclass(frozen=True)
class HomePage:
    """What one person's Home tab shows; `audit` only for admins."""

    identity: str
    trackers: list[tuple[str, bool]]  # each tracker's label, and whether it is set up
    digests: list[Subscription]
    may_edit_digests: bool  # DIGEST_EDITORS lets the person start one (the Home tab says how only then)
    watches: list[tuple[str, int]]  # the person's watches: a line written for them, and the watch's id
    examples: Sequence[tuple[str, str]]
    audit: list[AuditEntry] | None
    notify_kinds: tuple[str, ...] = ()  # the person's DM choices (bot.services.notify)
    notify_quiet: tuple[str | None, str | None] = (None, None)  # their quiet hours, "HH:MM" each


async def page_for(rt: Runtime, *, team: str, person: SlackPerson) -> HomePage:
    configured = rt.trackers.configured()
    digests = [s for s in await rt.store.subscriptions() if s.team_id == team]
    audit = await rt.store.link_audit(team, AUDIT_LINES) if person.id in rt.settings.admins else None
    notify = await rt.store.notify_settings(team, person.id)
    return HomePage(
        identity=await identity(rt, team, person),
        trackers=[(name.label, name in configured) for name in TrackerName],
        digests=digests,
        may_edit_digests=digests_service.may_change(rt, person.id),
        watches=await watches.home_lines(rt, team=team, user=person.id),
        examples=messages.HELP_EXAMPLES,
        audit=audit,
        notify_kinds=notify.kinds,
        notify_quiet=(notify.quiet_start, notify.quiet_end),
    )
