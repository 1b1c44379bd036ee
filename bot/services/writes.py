"""Writes to Issuetrak (notes, new issues) through the durable outbox.

Each write is recorded in the store under an idempotency key before anyone is answered, then
delivered at once if Issuetrak answers, or later by the outbox worker. The same key twice (a
double click, a Slack retry) is one write. After an ambiguous failure (a timeout once the
request was sent), the note is looked for on the issue before it is sent again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot import messages
from bot.notes_html import mentioned_ids, mrkdwn_to_html, note_footer_html
from bot.runtime import Runtime
from bot.slack_people import SlackPerson
from bot.store.records import OutboxItem, OutboxKind, OutboxState, Requester
from bot.trackers.errors import NotFound, TrackerError, Unavailable
from bot.views.text import escape

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
BACKOFF_SECONDS = (15, 60, 120, 300, 600, 900, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
MAX_NOTE_CHARACTERS = 20_000


class Result(StrEnum):
    DELIVERED = "delivered"
    ALREADY = "already"
    SAVED = "saved"
    FAILED = "failed"
    NOT_LINKED = "not_linked"
    REFUSED = "refused"


@dataclass(frozen=True)
class Outcome:
    result: Result
    sentence: str
    item_id: int | None = None


def reference(key: str) -> str:
    """A short, stable tag written into the note so a re-send can find the first one."""
    return "tb-" + hashlib.sha256(key.encode()).hexdigest()[:10]


async def mention_names(directory_lookup: Callable[[str], Awaitable[SlackPerson]], text: str) -> dict[str, str]:
    """Names for the `<@U…>` mentions in a message, resolved once each."""
    users, _channels = mentioned_ids(text)
    return {user_id: (await directory_lookup(user_id)).name for user_id in sorted(users)}


def note_html(text: str, *, names: dict[str, str], person: str, channel: str, permalink: str | None, key: str,
              slack_escaped: bool) -> str:
    """The note: the message as safe HTML, then who posted it from where, and the write's tag.

    `slack_escaped` says whether the text still carries Slack's `&amp;` escaping (a command's
    text) or was edited in a modal (where `editable_text` undid it)."""
    body = mrkdwn_to_html(text, resolve_user=names.get, slack_escaped=slack_escaped)
    footer = note_footer_html(person=person, channel=channel, permalink=permalink)
    return f"{body}{footer}<p><small>{reference(key)}</small></p>"


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


def allowed_here(rt: Runtime, channel: str) -> bool:
    allowed = rt.settings.write_channels
    return not allowed or channel in allowed


async def submit(rt: Runtime, *, key: str, kind: OutboxKind, payload: dict[str, Any], requester: Requester,
                 person: SlackPerson) -> Outcome:
    """Record the write, then try to deliver it now."""
    if not allowed_here(rt, requester.channel_id or ""):
        return Outcome(Result.REFUSED, messages.WRITES_NOT_ALLOWED_HERE)
    try:
        created_by = await issuetrak_user(rt, requester.team_id, requester.user_id, person.email)
    except Unavailable:
        created_by = None  # Issuetrak is down: find the user when delivering
    else:
        if created_by is None:
            return Outcome(Result.NOT_LINKED, messages.NOT_LINKED.format(email=person.email or "(none)"))
    payload = {**payload, "created_by": created_by, "email": person.email}
    item, created = await rt.store.enqueue(key, kind, payload, requester, rt.clock())
    if not created:
        return describe(rt, item, repeat=True)
    claimed = await rt.store.claim(item.id, rt.clock(), LEASE_SECONDS)
    if claimed is None:
        return describe(rt, item, repeat=True)
    return await deliver(rt, claimed)


async def deliver(rt: Runtime, item: OutboxItem) -> Outcome:
    """One delivery attempt of a claimed outbox item; the store row records how it went."""
    now = rt.clock()
    try:
        result = await _perform(rt, item)
    except Unavailable as exc:
        if item.attempts >= MAX_ATTEMPTS:
            await rt.store.mark_failed(item.id, str(exc))
        else:
            delay = BACKOFF_SECONDS[min(item.attempts, len(BACKOFF_SECONDS)) - 1]
            await rt.store.mark_retry(item.id, str(exc), now + timedelta(seconds=delay))
    except TrackerError as exc:
        await rt.store.mark_failed(item.id, str(exc))
    except _NotLinked as exc:
        await rt.store.mark_failed(item.id, str(exc))
    else:
        await rt.store.mark_delivered(item.id, result, now)
    refreshed = await rt.store.get(item.id)
    assert refreshed is not None
    return describe(rt, refreshed, repeat=False)


class _NotLinked(Exception):
    pass


async def _perform(rt: Runtime, item: OutboxItem) -> dict[str, Any]:
    issuetrak = rt.trackers.require_issuetrak()
    payload = item.payload
    created_by = payload.get("created_by") or await issuetrak_user(
        rt, item.requester.team_id, item.requester.user_id, payload.get("email"))
    if not created_by:
        raise _NotLinked(messages.NOT_LINKED.format(email=payload.get("email") or "(none)"))
    if item.kind is OutboxKind.NOTE:
        issue = int(payload["issue"])
        if item.attempts > 1:  # an earlier attempt may have landed before its answer was lost
            tag = reference(item.key)
            for note in await issuetrak.notes_for_issue(issue):
                if tag in note.text:
                    return {"note": note.id, "issue": issue}
        note_id = await issuetrak.add_note(issue, payload["html"], created_by, private=bool(payload.get("private")))
        return {"note": note_id, "issue": issue}
    number = await issuetrak.create_issue(
        subject=payload["subject"], description=payload["html"], issue_type_id=int(payload["type"]),
        priority_id=int(payload["priority"]), submitted_by=created_by,
    )
    return {"issue": number, "subject": payload["subject"]}


def describe(rt: Runtime, item: OutboxItem, *, repeat: bool) -> Outcome:
    """The sentence telling the person where their write stands."""
    issuetrak = rt.trackers.issuetrak
    payload, result = item.payload, item.result or {}
    is_note = item.kind is OutboxKind.NOTE
    issue = result.get("issue") or payload.get("issue")
    url = issuetrak.issue_url(int(issue)) if issuetrak and issue else ""
    subject = escape(payload.get("subject", ""))
    if item.state is OutboxState.DELIVERED:
        if is_note:
            template = messages.NOTE_ALREADY if repeat else messages.NOTE_ADDED
            return Outcome(Result.ALREADY if repeat else Result.DELIVERED,
                           template.format(note=result.get("note"), issue=issue, url=url), item.id)
        template = messages.ISSUE_ALREADY if repeat else messages.ISSUE_CREATED
        return Outcome(Result.ALREADY if repeat else Result.DELIVERED,
                       template.format(issue=issue, url=url, subject=subject), item.id)
    if item.state is OutboxState.FAILED:
        error = escape(item.last_error or "Issuetrak refused it.")
        sentence = (messages.NOTE_FAILED.format(issue=issue, error=error) if is_note
                    else messages.ISSUE_FAILED.format(subject=subject, error=error))
        return Outcome(Result.FAILED, sentence, item.id)
    sentence = (messages.NOTE_SAVED.format(issue=issue) if is_note
                else messages.ISSUE_SAVED.format(subject=subject))
    return Outcome(Result.SAVED, sentence, item.id)


async def note_from_command(rt: Runtime, client: Any, directory: Any, *, team: str, person: SlackPerson,
                            channel_id: str, channel: str, issue: int, text: str, key: str) -> Outcome:
    """`/tracker note 123 text`: the answer goes to the person (no message to thread under)."""
    if len(text) > MAX_NOTE_CHARACTERS:
        return Outcome(Result.REFUSED, messages.NOTE_TOO_LONG.format(length=len(text), limit=MAX_NOTE_CHARACTERS))
    names = await mention_names(lambda uid: directory.person(client, team, uid), text)
    html = note_html(text, names=names, person=person.name, channel=channel, permalink=None, key=key,
                     slack_escaped=True)
    try:
        await rt.trackers.require_issuetrak().get_issue(issue)
    except NotFound:
        return Outcome(Result.REFUSED, messages.ISSUE_DOES_NOT_EXIST.format(number=issue))
    except Unavailable:
        pass  # saved and delivered later
    requester = Requester(team_id=team, user_id=person.id, channel_id=channel_id)
    return await submit(rt, key=key, kind=OutboxKind.NOTE, payload={"issue": issue, "html": html, "private": False},
                        requester=requester, person=person)
