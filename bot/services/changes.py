"""Changing an issue from Slack: assign, next action, substatus, priority, target date.

What a person asks (a card's button or menu, a `/tracker` command) becomes one outbox write of
the "change" kind (`bot.services.writes.submit`: the rules of notes, checked now and again when
it is sent; exactly once; the person told how it went), which `bot.services.change_flow` sends.
The value is resolved here, before anything is recorded: a person to assign maps to their
Issuetrak user by the identity rules (`identity.identify`), a priority or substatus name to the
site's own lookup; a change to the value the field already shows is answered, not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import change_flow, identity, writes
from bot.services.change_flow import Value, normal
from bot.slack.directory import PersonLookup, SlackPerson
from bot.slack.notes_html import note_footer_html
from bot.store.models import ChangePayload, OutboxKind, Requester
from bot.trackers.errors import NotFound, TrackerError, Unavailable
from bot.trackers.models import Issue, IssueField, Lookup
from bot.trackers.pages import is_number
from bot.views.mrkdwn import escape, fmt_date

USER_FIELDS = (IssueField.ASSIGNEE, IssueField.NEXT_ACTION)
UNKNOWN = object()  # "the card did not say what it showed"


@dataclass(frozen=True)
class Wanted:
    """A change as asked: the field and its new value, as Issuetrak takes it and as people read it."""

    issue: int
    field: IssueField
    value: Value
    label: str


@dataclass(frozen=True)
class Card:
    """An issue and the site's lookups its menus offer."""

    issue: Issue
    priorities: list[Lookup]
    substatuses: list[Lookup]


@dataclass(frozen=True)
class Menus:
    """The site's lookups an issue card's Priority and Substatus menus offer."""

    priorities: list[Lookup]
    substatuses: list[Lookup]


NO_MENUS = Menus([], [])


async def menus(rt: Runtime) -> Menus:
    """The menus of an issue card posted away from a command (a pasted link, a triage channel):
    the cached lookups, or none while Issuetrak cannot say (the card then has its buttons only)."""
    issuetrak = rt.trackers.require_issuetrak()
    try:
        return Menus(await issuetrak.priorities(), await issuetrak.substatuses())
    except TrackerError:
        return NO_MENUS


async def card(rt: Runtime, number: int, *, read: dict[str, Any] | None = None) -> Card:
    """An issue as a card shows it, with the Priority and Substatus choices (cached lookups):
    as `read` says (a change's read-back, stored with its result), else read now."""
    issuetrak = rt.trackers.require_issuetrak()
    issue = Issue.model_validate(read) if read is not None else await issuetrak.get_issue(number)
    return Card(issue, await issuetrak.priorities(), await issuetrak.substatuses())


async def card_for(rt: Runtime, team: str, person: SlackPerson, number: int) -> Card | str:
    """The card of issue `number` as Issuetrak has it now, if the person may read it (guests,
    identity, ISSUE_SCOPE: `identity.reader`); else the sentence why not. Every card redrawn
    from a click, whatever issue its (unsigned) block_id or value names, is read through here."""
    reader = await identity.reader(rt, team, person)
    if reader.refusal:
        return reader.refusal
    found = await card(rt, number)
    return identity.issue_refusal(rt, reader, found.issue) or found


async def person_value(rt: Runtime, team: str, field: IssueField, chosen: SlackPerson, number: int) -> Wanted | str:
    """The Issuetrak user a Slack person maps to (the identity rules), or the sentence why the
    issue cannot be given to them."""
    standing = await identity.identify(rt, team, chosen)
    if standing.refusal is identity.Refusal.ISSUETRAK_DOWN:
        raise Unavailable(rt.trackers.require_issuetrak().name)
    if standing.user is None:
        return messages.CHANGE_PERSON_UNLINKED.format(person=chosen.id)
    name = await change_flow.label(rt.trackers.require_issuetrak(), field, standing.user)
    return Wanted(number, field, standing.user, name)


async def lookup_value(rt: Runtime, field: IssueField, number: int, choice: str) -> Wanted | str:
    """A priority or substatus by its ID (a menu's option) or its name (a command, any case)."""
    issuetrak = rt.trackers.require_issuetrak()
    choices = await (issuetrak.priorities() if field == IssueField.PRIORITY else issuetrak.substatuses())
    wanted = choice.strip().casefold()
    found = next((c for c in choices if str(c.id) == choice or c.name.casefold() == wanted), None)
    if found is None:
        names = ", ".join(escape(c.name) for c in choices)
        return messages.CHANGE_UNKNOWN_CHOICE.format(
            field=change_flow.field_name(field).lower(), name=escape(choice[:60]), names=names
        )
    return Wanted(number, field, int(found.id), found.name)


def date_value(number: int, picked: str) -> Wanted | None:
    """A date picker's YYYY-MM-DD; None when it is not one."""
    try:
        day = date.fromisoformat(picked)
    except ValueError:
        return None
    return Wanted(number, IssueField.TARGET_DATE, day.isoformat(), fmt_date(day))


async def submit(
    rt: Runtime,
    *,
    key: str,
    team: str,
    person: SlackPerson,
    channel_id: str,
    channel: str,
    wanted: Wanted,
    seen: Value | object = UNKNOWN,
    people: PersonLookup,
    seen_label: str = "",
    force: bool = False,
) -> writes.Outcome:
    """Record the change (and its note) in the outbox and try it now. `seen` is what the person's
    card showed of the field (UNKNOWN for a command): a change to what is already there is said
    so and not recorded; a field that moved since is not overwritten when the change is sent."""
    seen_known = seen is not UNKNOWN
    if seen_known and not force and normal(wanted.field, seen) == normal(wanted.field, wanted.value):
        return writes.Outcome(writes.Result.REFUSED, _same(wanted))
    issuetrak = rt.trackers.require_issuetrak()
    if seen_known and not seen_label:
        seen_label = await change_flow.label(issuetrak, wanted.field, normal(wanted.field, seen))
    footer = note_footer_html(person=person.name, person_id=person.id, channel=channel, permalink=None)
    payload = ChangePayload(
        issue=wanted.issue,
        field=wanted.field.value,
        value=wanted.value,
        label=wanted.label,
        seen=seen if seen_known and isinstance(seen, (str, int)) else None,
        seen_known=seen_known,
        seen_label=seen_label,
        force=force,
        private=rt.settings.CHANGE_NOTES != "public",
        by=person.id,
        html=f"{footer}<p><small>{writes.reference(key)}</small></p>",
    )
    requester = Requester(team_id=team, user_id=person.id, channel_id=channel_id)
    return await writes.submit(
        rt, key=key, kind=OutboxKind.CHANGE, payload=payload, requester=requester, person=person, people=people
    )


def _same(wanted: Wanted) -> str:
    return messages.CHANGE_SAME.format(
        field=change_flow.field_name(wanted.field), issue=wanted.issue, new=escape(wanted.label)
    )


async def from_command(
    rt: Runtime,
    *,
    key: str,
    team: str,
    person: SlackPerson,
    chosen: SlackPerson | None,
    channel_id: str,
    channel: str,
    number: int,
    field: IssueField,
    choice: str,
    people: PersonLookup,
) -> writes.Outcome:
    """`/tracker assign|next 123 @person|me`, `substatus|priority 123 <name>`: the rules first
    (nothing is looked up for someone who may not write here, nor told of an issue out of their
    ISSUE_SCOPE), then the issue (it exists; what it
    shows now), the value, and the change."""
    if not writes.allowed_here(rt, channel_id):
        return writes.Outcome(writes.Result.REFUSED, messages.WRITES_NOT_ALLOWED_HERE)
    if identity.shut_out(rt, person):
        return writes.Outcome(writes.Result.REFUSED, messages.GUEST_REFUSED)
    if (refusal := await writes.issuetrak_refusal(rt, team, person, number)) is not None:
        return writes.Outcome(writes.Result.NOT_LINKED, refusal)  # before the issue's field is compared
    issuetrak = rt.trackers.require_issuetrak()
    try:
        issue: Issue | None = await issuetrak.get_issue(number)
    except NotFound:
        return writes.Outcome(writes.Result.REFUSED, messages.ISSUE_DOES_NOT_EXIST.format(number=number))
    except Unavailable:
        issue = None  # saved, and sent when Issuetrak answers
    if field in USER_FIELDS:
        wanted = await person_value(rt, team, field, chosen or person, number)
    else:
        wanted = await lookup_value(rt, field, number, choice)
    if isinstance(wanted, str):
        return writes.Outcome(writes.Result.REFUSED, wanted)
    if issue is not None and change_flow.shown(issue, field) == normal(field, wanted.value):
        return writes.Outcome(writes.Result.REFUSED, _same(wanted))
    return await submit(
        rt,
        key=key,
        team=team,
        person=person,
        channel_id=channel_id,
        channel=channel,
        wanted=wanted,
        people=people,
        seen_label="" if issue is None else change_flow.shown_label(issue, field),
    )


async def apply_anyway(
    rt: Runtime, *, item_id: str, person: SlackPerson, channel: str, people: PersonLookup
) -> writes.Outcome | None:
    """ "Apply anyway" on a change refused for a conflict: the same change again, now without the
    comparison, as a write of its own (one per refused change, however often it is clicked).
    None when the button names no refused change of this person's."""
    item = await rt.store.get(int(item_id)) if is_number(item_id, 18) else None
    payload = None if item is None else item.payload
    if item is None or not isinstance(payload, ChangePayload) or item.requester.user_id != person.id:
        return None
    if not (item.result or {}).get("conflict"):
        return None
    wanted = Wanted(payload.issue, IssueField(payload.field), payload.value, payload.label)
    return await submit(
        rt,
        key=f"{item.key}:anyway",
        team=item.requester.team_id,
        person=person,
        channel_id=item.requester.channel_id or "",
        channel=channel,
        wanted=wanted,
        people=people,
        force=True,
    )
