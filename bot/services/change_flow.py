"""Sending one change of an Issuetrak issue: the outbox's "change" kind (`writes._send` calls
`perform`; the tag lookup, claims, retries and telling are the outbox's).

Seed 001's update flow, with no lost updates as far as Issuetrak's API allows:
1. the issue is read right before the PUT (nothing else happens between the two), as the
   UpdateIssueDTO (`IssuetrakClient.read_for_update`), and only the named field is changed;
2. if that field no longer shows what the person's card showed, nothing is written: the result
   says what it is now, and the person is offered "Apply anyway" (a new write, `force`);
3. the whole DTO is PUT, then the note saying who changed what is written as the person, then
   the issue is read back: a field that does not show the new value is reported, not claimed.
A field that already shows the new value is not PUT again: on a retry after a PUT that landed,
only the note is written; on a first attempt (a double click, the same change made meanwhile),
nothing is, and the person hears it already was. (A change asked for a value the field
already had is answered before it is recorded: `bot.services.changes`.) The note carries the
write's tag, and it is written after the PUT, so a retry that finds the tag knows both landed.

Issuetrak's update carries no version: an edit made in Issuetrak in the moment between the read
and the PUT is overwritten, which nothing on the client can prevent. That moment is one round
trip, and in one process the changes of one issue go one at a time (`_LOCKS`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import weakref
from datetime import date, datetime
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services.watches import describe_target, issue_snapshot, issue_target, whose
from bot.store.models import ChangePayload
from bot.trackers.errors import TimedOut, TrackerError
from bot.trackers.issuetrak import IssuetrakClient, format_datetime, parse_datetime
from bot.trackers.models import Issue, IssueField
from bot.views.mrkdwn import fmt_date

log = logging.getLogger(__name__)

Value = str | int | None

# The watch snapshot's name for a field (bot.services.watches.ISSUE_FIELDS), where it has one.
_SNAPSHOT_KEYS = {
    IssueField.ASSIGNEE: "assignee",
    IssueField.NEXT_ACTION: "next_action",
    IssueField.PRIORITY: "priority",
}

_LOCKS: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock(issue: int) -> asyncio.Lock:
    found = _LOCKS.get(issue)
    if found is None:
        found = _LOCKS[issue] = asyncio.Lock()
    return found


def field_name(field: IssueField | str) -> str:
    """How people name the field ("Priority")."""
    return messages.CHANGE_FIELD_NAMES.get(str(field), str(field))


def normal(field: IssueField | str, value: object) -> Value:
    """A field's value in one spelling, to compare: a user ID as text, a lookup ID as a number, a
    date as YYYY-MM-DD; None for empty."""
    if value in (None, ""):
        return None
    if field in (IssueField.PRIORITY, IssueField.SUBSTATUS):
        try:
            return int(str(value))
        except ValueError:
            return str(value)
    if field == IssueField.TARGET_DATE:
        moment = parse_datetime(value) if not isinstance(value, date) else value
        return moment.date().isoformat() if isinstance(moment, datetime) else str(value)
    return str(value)


def shown(issue: Issue, field: IssueField) -> Value:
    """What a card drawn from `issue` shows for the field, in `normal`'s spelling."""
    match field:
        case IssueField.ASSIGNEE:
            return issue.assignee_id
        case IssueField.NEXT_ACTION:
            return issue.next_action_id
        case IssueField.PRIORITY:
            return issue.priority_id
        case IssueField.SUBSTATUS:
            return issue.substatus_id
    return None if issue.target_date is None else issue.target_date.date().isoformat()


def shown_label(issue: Issue, field: IssueField) -> str:
    match field:
        case IssueField.ASSIGNEE:
            return issue.assignee or messages.CHANGE_NOTHING
        case IssueField.NEXT_ACTION:
            return issue.next_action or messages.CHANGE_NOTHING
        case IssueField.PRIORITY:
            return issue.priority or messages.CHANGE_NOTHING
        case IssueField.SUBSTATUS:
            return issue.substatus or messages.CHANGE_NOTHING
    return fmt_date(issue.target_date) if issue.target_date else messages.CHANGE_NOTHING


def _wire(field: IssueField, value: Value) -> Value:
    """The value as the UpdateIssueDTO takes it (a date in Issuetrak's format)."""
    if field == IssueField.TARGET_DATE and isinstance(value, str):
        return format_datetime(datetime.fromisoformat(value))
    return value


async def label(issuetrak: IssuetrakClient, field: IssueField, value: Value) -> str:
    """The value as people read it: a user's or a lookup's name, a date."""
    if value is None:
        return messages.CHANGE_NOTHING
    try:
        if field in (IssueField.ASSIGNEE, IssueField.NEXT_ACTION):
            users = await issuetrak.list_users()
            return next((u.name for u in users if u.id == str(value)), str(value))
        if field in (IssueField.PRIORITY, IssueField.SUBSTATUS):
            found = await (issuetrak.priorities() if field == IssueField.PRIORITY else issuetrak.substatuses())
            return next((entry.name for entry in found if str(entry.id) == str(value)), str(value))
    except TrackerError:
        return str(value)
    return fmt_date(date.fromisoformat(str(value)))


async def perform(rt: Runtime, issuetrak: IssuetrakClient, payload: ChangePayload, created_by: str) -> dict[str, Any]:
    """Send one change (see the module's steps); the result recorded on the outbox row."""
    field, number = IssueField(payload.field), payload.issue
    wanted = normal(field, payload.value)
    async with _lock(number):
        dto = await issuetrak.read_for_update(number)
        before = normal(field, dto.get(field.value))
        if before == wanted and payload.sent_at is None:  # nothing of this write was sent before: no change to make
            return {"issue": number, "unchanged": True}
        if before != wanted and payload.seen_known and not payload.force and before != normal(field, payload.seen):
            now = await label(issuetrak, field, before)
            return {"issue": number, "conflict": True, "now": now}
        if before != wanted:
            dto[field.value] = _wire(field, wanted)
            await issuetrak.update_issue(dto)
        old = payload.seen_label if before == wanted else await label(issuetrak, field, before)
        line = messages.CHANGE_NOTE.format(
            field=field_name(field), old=old or messages.CHANGE_NOTHING, new=payload.label
        )
        try:
            note = await issuetrak.add_note(
                number, f"<p>{html.escape(line, quote=False)}</p>{payload.html}", created_by, private=payload.private
            )
        except TimedOut:
            raise
        except TrackerError as exc:
            # The change is made and its note is not: the write stays marked as sent (a time-out
            # keeps the mark), so the next attempt finds the field changed and writes only the note.
            raise TimedOut(issuetrak.name) from exc
        after = await issuetrak.get_issue(number, include_notes=True)
    result: dict[str, Any] = {"issue": number, "note": note, "old": old, "new": payload.label}
    result["card"] = after.model_dump(mode="json", exclude={"notes"})  # the redrawn card needs no other read
    if shown(after, field) != wanted:
        result.update(mismatch=True, now=shown_label(after, field))
    elif before != wanted:  # after the person hears it went through (the news is no part of the change)
        rt.spawn(_announce(rt, after, field, old, payload), name="news of a change")
    return result


async def _announce(rt: Runtime, after: Issue, field: IssueField, old: str, payload: ChangePayload) -> None:
    """Tell the issue's watches of this change once, naming the person: news recorded in the
    watch's own compare-and-swap, with the watermark moved past this field (and past this change's
    own note when nothing came between), so the poll does not announce it again unnamed."""
    try:
        item = next((i for i in await rt.store.watched_items() if i.target.item_key == f"issue:{after.number}"), None)
        if item is None:
            return
        fresh = issue_snapshot(after)
        snapshot = dict(item.snapshot) if item.snapshot is not None else fresh
        key = _SNAPSHOT_KEYS.get(field)
        if key is not None:
            snapshot[key] = fresh[key]
        seen_note = int(snapshot.get("last_note") or 0)
        if not any(seen_note < (n.id or 0) < fresh["last_note"] for n in after.notes):
            snapshot["last_note"] = max(seen_note, fresh["last_note"])
        news = {
            "item": describe_target(issue_target(after)),
            "url": after.url,
            "changes": [[field_name(field), old, payload.label]],
            "notes": [],
            "more_notes": 0,
            "by": payload.by,
            **whose(after),
        }
        await rt.store.advance(item.target.item_key, item.version, snapshot, rt.clock(), news_body=news)
    except Exception:  # the change is made: its news is a courtesy the poll may still give
        log.exception("the news of a change to issue %s was not recorded", after.number)
