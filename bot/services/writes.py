"""Writes to Issuetrak (notes, new issues, changes of an issue's field) through the durable outbox.

Each write is recorded in the store under an idempotency key before anyone is answered, then
delivered at once if Issuetrak answers, or later by the outbox worker. The same key twice (a
double click, a Slack retry) is one write: a request Slack retries (`X-Slack-Retry-Num`) carries
the same trigger or message, so it is handled like any repeat and answered with where the one
write stands (not dropped: the first request may have died before recording it).

Issuetrak has no idempotency key of its own, so every note and issue carries a short tag made
from the key, and every attempt but the very first looks for that tag on Issuetrak before
sending again: an earlier attempt may have landed before its answer was lost (a timeout, a reset
connection, a process killed mid-request). An attempt that sent the write without hearing back
leaves a mark on the row (`sent_at`); the next attempts look for the tag but send nothing until
Issuetrak has had `settle_seconds` to show the first one, and then look twice, a moment apart,
before sending again. An error status in answer to the write clears the mark: nothing landed.

Several processes deliver side by side: each claims one row at a time (the store's one claim,
bot/store/claims.py), each attempt is bounded well inside its lease, every state change is fenced
by the claim's generation, and the claim is checked once more right before the write is sent.

Rights are decided when a write goes out, not when it was saved: every attempt, whoever makes it
(the first try, the outbox worker, Try again, a corrected form) and whatever its kind, passes
through `_perform`, which asks the one identity rule (`identity.identify`, `write_refusal`) about
the person as Slack knows them at that moment, and sends the write as the Issuetrak user they
hold now. A person who may no longer write (unlinked, email changed, a guest, deactivated in
Slack, their Issuetrak user inactive) gets nothing sent: the row ends refused (Try again and a
corrected form cannot bring it back) and they hear why. While Slack or Issuetrak cannot say who
the person is, the write waits; it is never sent unchecked. The settings are checked again too
(WRITE_CHANNELS, ALLOW_PRIVATE_NOTES): they may have changed since the write was saved.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import change_flow, kitsu_writes
from bot.services.identity import identify, note_scope_refusal, write_refusal
from bot.slack.directory import PersonLookup, SlackBusy, SlackPerson, TeamDirectory
from bot.slack.notes_html import mrkdwn_to_html, note_footer_html
from bot.store.models import (
    ChangePayload,
    CommentPayload,
    IssuePayload,
    NotePayload,
    OutboxItem,
    OutboxKind,
    OutboxPayload,
    OutboxState,
    Requester,
    StoreError,
)
from bot.trackers.errors import NotFound, TimedOut, TrackerError, Unavailable
from bot.trackers.models import TrackerName
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

# Waits before attempts 2, 3, ...: a quick second try for a blip, then longer and longer. Any
# answer from Issuetrak cuts the wait short (the worker makes waiting writes due at once), so the
# backoff only paces attempts while it stays down; the person hears about a give-up once the
# attempts are spent and a little over an hour has passed since asking.
BACKOFF_SECONDS = (5, 30, 120, 300, 600, 900, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
GIVE_UP_AFTER = timedelta(seconds=sum(BACKOFF_SECONDS))
MAX_NOTE_CHARACTERS = 20_000
SETTLE_SECONDS = 5.0  # how long a repeat waits for the first request's attempt to finish
TIMED_OUT = str(TimedOut(TrackerName.ISSUETRAK.label))  # an attempt cut off at its time bound


class Result(StrEnum):
    DELIVERED = "delivered"
    ALREADY = "already"
    SAVED = "saved"
    FAILED = "failed"
    NOT_LINKED = "not_linked"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    CONFLICT = "conflict"  # a change not made: the field moved since the person's card was drawn
    MISMATCH = "mismatch"  # a change sent, but Issuetrak reads back something else


@dataclass(frozen=True)
class Outcome:
    result: Result
    sentence: str
    item_id: int | None = None
    public: bool = False  # the success of a public write: fit for the message's thread
    aside: str = ""  # for the person alone: what became of the earlier writes this one corrected
    recorded: dict[str, Any] | None = None  # what the write recorded (a change's read-back, for its card)


@dataclass(frozen=True)
class Form:
    """The writes of one note form, one per issue number typed in it: `key(issue)` is the write's
    idempotency key, so a corrected number is a write of its own, which replaces the earlier
    ones of the form that were not sent yet."""

    prefix: str
    suffix: str

    def key(self, issue: int) -> str:
        return f"{self.prefix}{issue}{self.suffix}"


@dataclass(frozen=True)
class Timing:
    """How long a claim lasts, how long one attempt may take (well inside the lease: the user
    lookup, the tag lookups and the write, with every timeout and read retry), and how carefully
    a write sent without an answer is looked for before it is sent again."""

    lease_seconds: float = 300.0
    attempt_seconds: float = 120.0
    settle_seconds: float = 60.0  # how long Issuetrak may take to show a write it was sent
    second_look_seconds: float = 2.0  # between the two looks for such a write

    def __post_init__(self) -> None:
        if not 0 < self.attempt_seconds <= self.lease_seconds / 2:
            raise ValueError("an attempt must take at most half of the lease")


TIMING = Timing()


def timing(rt: Runtime) -> Timing:
    """TIMING under the deployment's claim lease (CLAIM_LEASE_SECONDS): an attempt takes at most
    half of it."""
    lease = float(rt.settings.CLAIM_LEASE_SECONDS)
    return replace(TIMING, lease_seconds=lease, attempt_seconds=min(TIMING.attempt_seconds, lease / 2))


def reference(key: str) -> str:
    """A short, stable tag written into the note so a re-send can find the first one."""
    return "tb-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def note_too_long(text: str) -> str | None:
    """The sentence refusing a note over MAX_NOTE_CHARACTERS, or None: the one length rule of every note."""
    if len(text) > MAX_NOTE_CHARACTERS:
        return messages.NOTE_TOO_LONG.format(length=len(text), limit=MAX_NOTE_CHARACTERS)
    return None


async def compose_note(
    text: str,
    *,
    directory: TeamDirectory,
    person: SlackPerson,
    channel: str,
    permalink: str | None,
    key: str,
    slack_escaped: bool,
) -> str:
    """A note as it is written to a tracker, composed here for every surface (command, form, step):
    its mentions named (a bounded number looked up), then `note_html`."""
    return note_html(
        text,
        names=await directory.names_in(text),
        person=person.name,
        person_id=person.id,
        channel=channel,
        permalink=permalink,
        key=key,
        slack_escaped=slack_escaped,
    )


def note_html(
    text: str,
    *,
    names: dict[str, str],
    person: str,
    person_id: str,
    channel: str,
    permalink: str | None,
    key: str,
    slack_escaped: bool,
) -> str:
    """The note: the message as safe HTML, then who posted it from where, and the write's tag.

    `slack_escaped` says whether the text still carries Slack's `&amp;` escaping (a command's
    text) or was edited in a modal (where `editable_text` undid it)."""
    body = mrkdwn_to_html(text, resolve_user=names.get, slack_escaped=slack_escaped)
    footer = note_footer_html(person=person, person_id=person_id, channel=channel, permalink=permalink)
    return f"{body}{footer}<p><small>{reference(key)}</small></p>"


def allowed_here(rt: Runtime, channel: str | None) -> bool:
    """Whether writes may come from this channel (WRITE_CHANNELS; empty means anywhere). None is
    a write from no channel at all, a Workflow Builder step's: WRITE_CHANNELS does not apply."""
    allowed = rt.settings.write_channels
    return channel is None or not allowed or channel in allowed


async def submit(
    rt: Runtime,
    *,
    key: str,
    kind: OutboxKind,
    payload: OutboxPayload,
    requester: Requester,
    person: SlackPerson,
    people: PersonLookup,
    form: Form | None = None,
) -> Outcome:
    """Record the write, then try to deliver it now, under the rights of its person as `people`
    says when it is sent (Slack asked then: `fresh_lookup`; `person` is who asked, as the request
    knew them, which may be minutes old). A repeat of the same key is not written
    again: the person hears how the first one went (a failed one is tried again, and one not
    sent yet goes out with what the repeat carries: a corrected form). A write from a `form`
    replaces that form's writes to other issues not sent yet, and the outcome's aside says
    which went. A key whose write is another person's is theirs alone: refused, left as it is."""
    if not allowed_here(rt, requester.channel_id):
        return Outcome(Result.REFUSED, messages.WRITES_NOT_ALLOWED_HERE)
    if (refusal := await _refusal(rt, kind, payload, requester.team_id, person)) is not None:
        return Outcome(Result.NOT_LINKED, refusal)
    item, created = await rt.store.enqueue(key, kind, payload, requester, rt.clock())
    if (item.requester.team_id, item.requester.user_id) != (requester.team_id, requester.user_id):
        return Outcome(Result.REFUSED, messages.WRITE_NOT_YOURS)  # the key's write is another person's
    aside = "" if form is None else _replaced(await rt.store.cancel_replaced(form.prefix, form.suffix, keep=key))
    if not created:
        outcome = await _repeat(rt, item, payload, people)
    elif (claimed := await rt.store.claim(item.id, rt.clock(), timing(rt).lease_seconds)) is None:
        outcome = await _repeat(rt, item, payload, people)  # a worker got there first
    else:
        outcome = await _told(rt, item.id, await deliver(rt, claimed, people, first_try=True, timing=timing(rt)))
    return replace(outcome, aside=aside)


async def _refusal(rt: Runtime, kind: OutboxKind, payload: OutboxPayload, team: str, person: SlackPerson) -> str | None:
    """Why the person may not make this write, asked when it is recorded (and asked again when it
    goes out: `_author_now`); None while the tracker cannot say (asked again when it goes out)."""
    if kind is OutboxKind.KITSU_COMMENT:
        return (await kitsu_writes.author(rt, person)).refusal
    on = payload.issue if isinstance(payload, (NotePayload, ChangePayload)) else None
    return await issuetrak_refusal(rt, team, person, on)


async def issuetrak_refusal(rt: Runtime, team: str, person: SlackPerson, issue: int | None) -> str | None:
    """Why the person may not write to Issuetrak (on `issue`: ISSUE_SCOPE too), or None; None also
    while Issuetrak cannot say. What a write asks before anything of the issue is told (a change
    command compares the issue's field only after it)."""
    standing = await identify(rt, team, person)
    if (refusal := write_refusal(rt, standing, person)) is not None or standing.user is None:
        return refusal
    if issue is None:
        return None
    try:
        return await note_scope_refusal(rt, standing.user, issue)
    except (Unavailable, NotFound):
        return None  # told when it goes out: the note waits, or Issuetrak says the issue is gone


def _replaced(earlier: list[OutboxItem]) -> str:
    """What the person hears of the earlier writes of their form: not sent (this one replaces
    them), or too late to stop."""
    said = []
    for item in earlier:
        if not isinstance(item.payload, NotePayload):
            continue  # a row that does not read as a note: nothing to say of it
        issue = item.payload.issue
        if item.state is OutboxState.CANCELLED:
            said.append(messages.CORRECTION_REPLACED.format(issue=issue))
        elif item.state is OutboxState.DELIVERED:
            said.append(messages.CORRECTION_TOO_LATE.format(issue=issue))
        else:
            said.append(messages.CORRECTION_ON_ITS_WAY.format(issue=issue))
    return " ".join(said)


async def _repeat(rt: Runtime, item: OutboxItem, payload: OutboxPayload, people: PersonLookup) -> Outcome:
    """A second request for a recorded write (double click, Slack retry, a corrected form sent
    again): a write not sent yet goes out with what the person sent this time, and a failed one
    is tried again; one still being sent gets a moment to finish, so the person hears "already
    posted" rather than "saved for later"."""
    stored = None if item.payload is None else item.payload.model_copy(update={"sent_at": None})
    again = payload != stored or item.state is OutboxState.CANCELLED  # the form's choice again
    if again and await rt.store.resubmit(item.id, payload, rt.clock()):
        return await _attempt_now(rt, item.id, people)
    if item.state is OutboxState.FAILED:
        return await retry(rt, item.id, people)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while _in_flight(item) and loop.time() < deadline:
        await asyncio.sleep(0.1)
        item = await rt.store.get(item.id) or item
    return outcome_of(rt, item, repeat=True)


def _in_flight(item: OutboxItem) -> bool:
    """Being sent, or recorded and about to be (not yet waiting for a retry)."""
    return item.state is OutboxState.SENDING or (item.state is OutboxState.PENDING and item.attempts == 0)


async def retry(rt: Runtime, item_id: int, people: PersonLookup) -> Outcome:
    """The person's "Try again" on a failed write: back in the queue with fresh attempts, and one
    attempt now (under the rights of this moment). A write in any other state (a refused one
    included) is described as it stands."""
    if await rt.store.retry(item_id, rt.clock()):
        return await _attempt_now(rt, item_id, people)
    return await _told(rt, item_id, None)


async def _attempt_now(rt: Runtime, item_id: int, people: PersonLookup) -> Outcome:
    """One attempt at a write that is due, unless a worker claims it first."""
    claimed = await rt.store.claim(item_id, rt.clock(), timing(rt).lease_seconds)
    return await _told(rt, item_id, None if claimed is None else await deliver(rt, claimed, people, timing=timing(rt)))


async def _told(rt: Runtime, item_id: int, outcome: Outcome | None) -> Outcome:
    """The outcome of an attempt, or where the write stands when the attempt had no say (a
    worker held or took over the claim)."""
    if outcome is not None:
        return outcome
    item = await rt.store.get(item_id)
    if item is None:
        raise LookupError(f"outbox item {item_id} vanished")
    return outcome_of(rt, item, repeat=True)


async def deliver(
    rt: Runtime, item: OutboxItem, people: PersonLookup, *, first_try: bool = False, timing: Timing = TIMING
) -> Outcome | None:
    """One delivery attempt of a claimed outbox item; the store row records how it went, and
    the outcome says what to tell the person. None when this claim no longer holds the row (its
    lease ran out and another worker took it over): that worker tells the person. `people` says
    who the write's person is now: the write goes out under their rights of this moment.

    `first_try` is only for the attempt made right after the write was recorded: nothing can
    have reached Issuetrak before it, so it need not look for an earlier copy."""
    refusal = _refused_now(rt, item)
    try:
        if refusal is not None:
            held = await rt.store.mark_refused(item, refusal)
        else:
            held = await _attempt(rt, item, people, look_first=not first_try, timing=timing)
    except asyncio.CancelledError:
        # This process is stopping (its bound for in-flight sends is over): the row goes back to
        # the outbox at once, due now, for another process or a restart; the write's mark stays,
        # so whoever sends it next looks for this attempt's copy first.
        await asyncio.shield(rt.store.mark_retry(item, messages.WRITE_HANDED_OVER, rt.clock()))
        raise HandedOver(messages.WRITE_HANDED_OVER) from None
    if not held:
        generation = item.claim.generation if item.claim else None
        log.info("outbox item %s: claim %s was taken over; its new holder tells the person", item.id, generation)
        return None
    refreshed = await rt.store.get(item.id)
    if refreshed is None:
        raise LookupError(f"outbox item {item.id} vanished")
    return outcome_of(rt, refreshed, repeat=False)


def _refused_now(rt: Runtime, item: OutboxItem) -> str | None:
    """Why the rules forbid this write today (they may have changed since it was saved), or None."""
    if not allowed_here(rt, item.requester.channel_id):
        return messages.WRITES_NOT_ALLOWED_HERE
    if isinstance(item.payload, NotePayload) and item.payload.private and not rt.settings.ALLOW_PRIVATE_NOTES:
        return messages.PRIVATE_NOT_ALLOWED
    return None


async def _attempt(rt: Runtime, item: OutboxItem, people: PersonLookup, *, look_first: bool, timing: Timing) -> bool:
    """Try the write within `timing.attempt_seconds` and record how it went under the claim;
    False when the claim no longer held."""
    now = rt.clock()
    try:
        async with asyncio.timeout(timing.attempt_seconds):
            result = await _perform(rt, item, people, look_first=look_first, timing=timing)
    except _LookAgain as later:
        return await rt.store.mark_retry(item, TIMED_OUT, later.at)
    except _ClaimLost:
        return False
    except _Refused as refused:
        return await rt.store.mark_refused(item, str(refused))
    except (Unavailable, SlackBusy, TimeoutError) as exc:
        error = TIMED_OUT if isinstance(exc, TimeoutError) else str(exc)
        if item.attempts >= MAX_ATTEMPTS and now - item.created_at >= GIVE_UP_AFTER:
            return await rt.store.mark_failed(item, error)
        delay = BACKOFF_SECONDS[min(item.attempts, len(BACKOFF_SECONDS)) - 1]
        return await rt.store.mark_retry(item, error, now + timedelta(seconds=delay))
    except TrackerError as exc:
        return await rt.store.mark_failed(item, str(exc))
    except _Unreadable:
        log.error("outbox item %s: its stored payload does not read as a %s", item.id, item.kind)
        return await rt.store.mark_failed(item, messages.UNEXPECTED)
    except StoreError:
        raise  # the database, not the write: the lease brings the row back
    except Exception:
        # A row that cannot be delivered must not come back forever: give up, and say so.
        log.exception("outbox item %s could not be delivered", item.id)
        return await rt.store.mark_failed(item, messages.UNEXPECTED)
    return await rt.store.mark_delivered(item, result, now)


class HandedOver(asyncio.CancelledError):
    """A delivery cancelled midway (the process is stopping): the write is back in the outbox,
    where another process or a restart sends it and tells the person; str() says so to them.
    (Python 3.11's `asyncio.timeout` turns only a plain CancelledError into TimeoutError: no
    timeout wraps a delivery from outside; `_attempt` bounds it inside.)"""


class _Refused(Exception):
    """The write's person may not write it now; str() is the identity rule's sentence why."""


class _Unreadable(Exception):
    """The row's stored payload does not read as its kind's (see OutboxItem.payload)."""


class _ClaimLost(Exception):
    """Right before sending, the row was no longer ours (or its lease was nearly out)."""


class _LookAgain(Exception):
    """An earlier attempt sent the write without hearing back and it is not on Issuetrak yet:
    look again at `at`, when Issuetrak has had time to show it, before sending anything."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.at = at


async def _perform(
    rt: Runtime, item: OutboxItem, people: PersonLookup, *, look_first: bool, timing: Timing
) -> dict[str, Any]:
    """The one way any write reaches its tracker: an earlier copy that landed is recorded as it is
    (a fact, whoever may write now); otherwise the write is sent only as the Issuetrak user its
    person holds at this moment."""
    payload = item.payload
    if payload is None:
        raise _Unreadable
    if look_first:
        earlier = await _earlier_copy(rt, item, payload, timing)
        if earlier is not None:
            return earlier
    created_by = await _author_now(rt, item, people)
    if not await rt.store.start_sending(item, rt.clock(), timing.attempt_seconds):
        raise _ClaimLost
    try:
        return await _send(rt, payload, created_by)
    except TimedOut:
        raise  # no answer: the write may still land, so the row's mark stays
    except TrackerError:
        # Issuetrak answered: an error status means nothing was written, and an answer cut off
        # halfway comes after the write, which the next attempt's first look finds.
        await rt.store.forget_sent(item)
        raise


async def _author_now(rt: Runtime, item: OutboxItem, people: PersonLookup) -> str:
    """Whom the write is sent as in its tracker (the Issuetrak user, or the Zou person, its person
    holds now), by the one identity rule of that tracker, asked of the person as Slack knows them
    now (what was known when the write was saved is not trusted). _Refused when they may not
    write; SlackBusy or Unavailable when Slack or the tracker cannot say just now (the write waits)."""
    team = item.requester.team_id
    person = await people(team, item.requester.user_id)
    if isinstance(item.payload, CommentPayload):
        found = await kitsu_writes.author(rt, person, task=item.payload.task)  # the team of this moment
        if found.refusal is not None:
            raise _Refused(found.refusal)
        if found.person_id is None:  # Kitsu did not answer
            raise Unavailable(TrackerName.KITSU.label)
        return found.person_id
    standing = await identify(rt, team, person)
    if (refusal := write_refusal(rt, standing, person)) is not None:
        raise _Refused(refusal)
    if standing.user is None:  # Issuetrak did not answer
        raise Unavailable(TrackerName.ISSUETRAK.label)
    on = item.payload if isinstance(item.payload, (NotePayload, ChangePayload)) else None
    if on is not None and (refusal := await note_scope_refusal(rt, standing.user, on.issue)) is not None:
        raise _Refused(refusal)
    return standing.user


async def _send(rt: Runtime, payload: OutboxPayload, created_by: str) -> dict[str, Any]:
    """The write itself; its result as recorded on the row."""
    if isinstance(payload, CommentPayload):
        return await kitsu_writes.send(rt, payload, created_by)
    issuetrak = rt.trackers.require_issuetrak()
    if isinstance(payload, ChangePayload):
        return await change_flow.perform(rt, issuetrak, payload, created_by)
    if isinstance(payload, NotePayload):
        note_id = await issuetrak.add_note(payload.issue, payload.html, created_by, private=payload.private)
        return {"note": note_id, "issue": payload.issue}
    number = await issuetrak.create_issue(
        subject=payload.subject,
        description=payload.html,
        issue_type_id=payload.type,
        priority_id=payload.priority,
        submitted_by=created_by,
        project_id=payload.project,
    )
    return {"issue": number, "subject": payload.subject}


async def _earlier_copy(rt: Runtime, item: OutboxItem, payload: OutboxPayload, timing: Timing) -> dict[str, Any] | None:
    """What an earlier attempt wrote, found by the write's tag, or None. When one was sent
    without an answer, Issuetrak may still be committing it: until `settle_seconds` after it was
    sent, a miss raises _LookAgain (nothing is sent); after that, a miss is looked at twice, a
    moment apart, before the write may be sent again."""
    found = await _find(rt, item, payload)
    if found is not None or payload.sent_at is None:
        return found
    settled = payload.sent_at + timedelta(seconds=timing.settle_seconds)
    if rt.clock() < settled:
        raise _LookAgain(settled)
    await asyncio.sleep(timing.second_look_seconds)
    return await _find(rt, item, payload)


async def _find(rt: Runtime, item: OutboxItem, payload: OutboxPayload) -> dict[str, Any] | None:
    """The note, issue or comment carrying this write's tag, as the result to record, or None. (A
    change's note is written after its PUT: when the note is there, so is the change.)"""
    tag = reference(item.key)
    if isinstance(payload, CommentPayload):
        comment = await kitsu_writes.find(rt, payload, tag)
        if comment is not None:
            log.info("outbox item %s was already on Kitsu as comment %s", item.id, comment["comment"])
        return comment
    issuetrak = rt.trackers.require_issuetrak()
    if isinstance(payload, (NotePayload, ChangePayload)):
        issue = payload.issue
        for note in await issuetrak.notes_for_issue(issue):
            if tag in note.text:
                log.info("outbox item %s was already on issue %s as note %s", item.id, issue, note.id)
                landed: dict[str, Any] = {"note": note.id, "issue": issue}
                if isinstance(payload, ChangePayload):
                    landed.update(old=payload.seen_label, new=payload.label)
                return landed
        return None
    found = await issuetrak.search_issues(filters=[("Description", "Contains", tag)], page_size=5)
    if found.issues:
        log.info("outbox item %s was already issue %s", item.id, found.issues[0].number)
        return {"issue": found.issues[0].number, "subject": payload.subject}
    return None


def outcome_of(rt: Runtime, item: OutboxItem, *, repeat: bool) -> Outcome:
    """The sentence telling the person where their write stands."""
    if isinstance(item.payload, CommentPayload):
        return _comment_outcome(item, item.payload, repeat=repeat)
    issuetrak = rt.trackers.issuetrak
    payload, result = item.payload, item.result or {}
    if isinstance(payload, ChangePayload):
        return replace(_change_outcome(item, payload, result, repeat=repeat), recorded=item.result)
    is_note = item.kind is OutboxKind.NOTE
    issue = result.get("issue") or (payload.issue if isinstance(payload, NotePayload) else None)
    url = issuetrak.issue_url(int(issue)) if issuetrak and issue else ""
    subject = escape(payload.subject if isinstance(payload, IssuePayload) else "")
    private = isinstance(payload, NotePayload) and payload.private
    added, already, saved, failed, refused = _NOTE_WORDS[private]
    if item.state is OutboxState.DELIVERED:
        done = Result.ALREADY if repeat else Result.DELIVERED
        if is_note:
            template = already if repeat else added
            return Outcome(done, template.format(note=result.get("note"), issue=issue, url=url), item.id, not private)
        template = messages.ISSUE_ALREADY if repeat else messages.ISSUE_CREATED
        return Outcome(done, template.format(issue=issue, url=url, subject=subject), item.id, not private)
    if item.state is OutboxState.FAILED:
        error = escape(item.last_error or messages.ISSUETRAK_REFUSED)
        sentence = (
            failed.format(issue=issue, error=error)
            if is_note
            else messages.ISSUE_FAILED.format(subject=subject, error=error)
        )
        return Outcome(Result.FAILED, sentence, item.id)
    if item.state is OutboxState.CANCELLED:
        return Outcome(Result.CANCELLED, messages.WRITE_REPLACED, item.id)
    if item.state is OutboxState.REFUSED:
        reason = item.last_error or ""  # the rule's own sentence (Slack markup, escaped where needed)
        sentence = (
            refused.format(issue=issue, reason=reason)
            if is_note
            else messages.ISSUE_REFUSED.format(subject=subject, reason=reason)
        )
        return Outcome(Result.REFUSED, sentence, item.id)
    sentence = saved.format(issue=issue) if is_note else messages.ISSUE_SAVED.format(subject=subject)
    return Outcome(Result.SAVED, sentence, item.id)


def _comment_outcome(item: OutboxItem, payload: CommentPayload, *, repeat: bool) -> Outcome:
    task = escape(payload.task_name or payload.task)
    if item.state is OutboxState.DELIVERED:
        if repeat:
            return Outcome(Result.ALREADY, messages.KITSU_COMMENT_ALREADY.format(task=task), item.id, True)
        sentence = messages.KITSU_COMMENT_ADDED.format(task=task, status=escape(payload.status_name or "?"))
        return Outcome(Result.DELIVERED, sentence, item.id, True)
    if item.state is OutboxState.FAILED:
        error = escape(item.last_error or messages.UNEXPECTED)
        return Outcome(Result.FAILED, messages.KITSU_COMMENT_FAILED.format(task=task, error=error), item.id)
    if item.state is OutboxState.REFUSED:  # the rule's own sentence (Slack markup, escaped where needed)
        reason = item.last_error or ""
        return Outcome(Result.REFUSED, messages.KITSU_COMMENT_REFUSED.format(task=task, reason=reason), item.id)
    return Outcome(Result.SAVED, messages.KITSU_COMMENT_SAVED.format(task=task), item.id)


def _change_outcome(item: OutboxItem, payload: ChangePayload, result: dict[str, Any], *, repeat: bool) -> Outcome:
    """Where a change stands, for its person alone (a card click redraws the card besides)."""
    words = {"field": change_flow.field_name(payload.field), "issue": payload.issue, "new": escape(payload.label)}
    if item.state is OutboxState.DELIVERED:
        if result.get("unchanged"):
            return Outcome(Result.ALREADY, messages.CHANGE_SAME.format(**words), item.id)
        if result.get("conflict"):
            return Outcome(
                Result.CONFLICT, messages.CHANGE_CONFLICT.format(**words, now=escape(str(result.get("now")))), item.id
            )
        if result.get("mismatch"):
            return Outcome(
                Result.MISMATCH, messages.CHANGE_MISMATCH.format(**words, now=escape(str(result.get("now")))), item.id
            )
        template = messages.CHANGE_ALREADY if repeat else messages.CHANGE_DONE
        old = escape(str(result.get("old") or messages.CHANGE_NOTHING))
        return Outcome(Result.ALREADY if repeat else Result.DELIVERED, template.format(**words, old=old), item.id)
    if item.state is OutboxState.FAILED:
        error = escape(item.last_error or messages.ISSUETRAK_REFUSED)
        return Outcome(Result.FAILED, messages.CHANGE_FAILED.format(**words, error=error), item.id)
    if item.state is OutboxState.REFUSED:  # the rule's own sentence (Slack markup, escaped where needed)
        return Outcome(Result.REFUSED, messages.CHANGE_REFUSED.format(**words, reason=item.last_error or ""), item.id)
    return Outcome(Result.SAVED, messages.CHANGE_SAVED.format(**words), item.id)


# A note's outcome words (added, already, saved, failed, refused), by whether the note is private:
# a private note's announcement says so wherever it is told.
_NOTE_WORDS = {
    False: (
        messages.NOTE_ADDED,
        messages.NOTE_ALREADY,
        messages.NOTE_SAVED,
        messages.NOTE_FAILED,
        messages.NOTE_REFUSED,
    ),
    True: (
        messages.PRIVATE_NOTE_ADDED,
        messages.PRIVATE_NOTE_ALREADY,
        messages.PRIVATE_NOTE_SAVED,
        messages.PRIVATE_NOTE_FAILED,
        messages.PRIVATE_NOTE_REFUSED,
    ),
}


async def note_from_command(
    rt: Runtime,
    directory: TeamDirectory,
    *,
    team: str,
    person: SlackPerson,
    channel_id: str,
    channel: str,
    issue: int,
    text: str,
    key: str,
) -> Outcome:
    """`/tracker note 123 text`: the answer goes to the person (no message to thread under).
    Refusals (channel, length, missing issue) come before anything is recorded."""
    if not allowed_here(rt, channel_id):
        return Outcome(Result.REFUSED, messages.WRITES_NOT_ALLOWED_HERE)
    if (too_long := note_too_long(text)) is not None:
        return Outcome(Result.REFUSED, too_long)
    html = await compose_note(
        text, directory=directory, person=person, channel=channel, permalink=None, key=key, slack_escaped=True
    )
    try:
        await rt.trackers.require_issuetrak().get_issue(issue)
    except NotFound:
        return Outcome(Result.REFUSED, messages.ISSUE_DOES_NOT_EXIST.format(number=issue))
    except Unavailable:
        pass  # saved and delivered later
    requester = Requester(team_id=team, user_id=person.id, channel_id=channel_id)
    return await submit(
        rt,
        key=key,
        kind=OutboxKind.NOTE,
        payload=NotePayload(issue=issue, html=html, private=False),
        requester=requester,
        person=person,
        people=directory.fresh_lookup(),
    )
