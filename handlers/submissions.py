"""Modal submissions: the note and the new issue. Input errors come back in the modal
(`response_action: errors`); a modal whose signed `private_metadata` is missing, forged, stale
or someone else's, or a channel closed to writes, replaces the modal with a sentence and writes
nothing. The write itself happens after the acknowledgement, and its answer goes to the
message's thread (or to the person when the bot cannot post there). A note form sent again with
another issue number replaces the note it sent before, if that one was not sent yet; the person
alone hears which one went."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.errors import PersonFacingError
from bot.posting.saying import say_outcome, say_to_person
from bot.runtime import Runtime
from bot.services import writes
from bot.slack.directory import Directory, fresh_lookup
from bot.store.models import IssuePayload, NotePayload, OutboxKind, OutboxPayload, Requester
from bot.trackers.errors import NotFound, TrackerError
from bot.views import ids, modals
from bot.views.modals import IssueForm, NoteForm
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id
from handlers.shortcuts import Origin

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # what may be spent checking the issue before acknowledging (Slack allows 3)
Form = TypeVar("Form", NoteForm, IssueForm)


def register(app: AsyncApp) -> None:
    app.view(ids.NOTE_MODAL)(note_submitted)
    app.view(ids.ISSUE_MODAL)(issue_submitted)


class _Refused(Exception):
    """The modal cannot be used for a write; str() is the sentence shown in its place."""


def _accepted(
    rt: Runtime, body: dict[str, Any], view: dict[str, Any], parse: Callable[[Mapping[str, Any]], Form]
) -> tuple[Origin, Form]:
    """Where the modal came from (its signed metadata, checked to be this person's, in this
    workspace, about a message in a channel open to writes) and the submitted values."""
    user, team = body_id(body, "user"), body_id(body, "team")
    try:
        origin = Origin.model_validate(rt.signer.verify(view.get("private_metadata")))
    except ValidationError:  # missing, forged, stale, or not about a message
        raise _Refused(messages.MODAL_EXPIRED) from None
    if not user or origin.user != user or origin.team != team:
        raise _Refused(messages.MODAL_EXPIRED)
    if not writes.allowed_here(rt, origin.channel):
        raise _Refused(messages.WRITES_NOT_ALLOWED_HERE)
    try:
        return origin, parse((view.get("state") or {}).get("values") or {})
    except (AttributeError, TypeError, ValueError):  # not the shape Slack gives a view
        raise _Refused(messages.MODAL_EXPIRED) from None


async def note_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    rt = runtime_of(context)
    try:
        origin, form = _accepted(rt, body, view, modals.parse_note_submission)
    except _Refused as refusal:
        await ack(response_action="update", view=modals.result_modal("Add note", str(refusal)))
        return
    errors, number, private = _note_errors(rt, form), form.issue_number, form.private
    if not errors and number is not None:
        errors = await _issue_check(rt, number)
    if errors or number is None:  # a missing number is one of the errors
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    writes_of_form = writes.Form(
        prefix=f"note:{origin.channel}:{origin.ts}:",
        suffix=f":{origin.user}" + (f":{origin.click}" if origin.click else ""),
    )
    rt.spawn(
        _write(
            rt,
            client,
            directory_of(context),
            origin,
            kind=OutboxKind.NOTE,
            key=writes_of_form.key(number),
            text=form.text,
            payload=lambda html: NotePayload(issue=number, html=html, private=private),
            form=writes_of_form,
        ),
        name="note from shortcut",
    )


def _note_errors(rt: Runtime, form: NoteForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.issue_number is None:
        errors[ids.NOTE_ISSUE[0]] = messages.ISSUE_NUMBER_NEEDED
    text = form.text
    if not text.strip():
        errors[ids.NOTE_TEXT[0]] = messages.NOTE_EMPTY
    elif (too_long := writes.note_too_long(text)) is not None:
        errors[ids.NOTE_TEXT[0]] = too_long
    if form.private and not rt.settings.ALLOW_PRIVATE_NOTES:
        errors[ids.NOTE_PRIVATE[0]] = messages.PRIVATE_NOT_ALLOWED
    return errors


async def _issue_check(rt: Runtime, number: int) -> dict[str, str]:
    """ "Issue 999 does not exist" while the modal is still open, if Issuetrak answers in time;
    when it is slow or down the note is saved and delivered later instead."""
    try:
        await asyncio.wait_for(rt.trackers.require_issuetrak().get_issue(number), CHECK_SECONDS)
    except NotFound:
        return {ids.NOTE_ISSUE[0]: messages.ISSUE_DOES_NOT_EXIST.format(number=number)}
    except (TimeoutError, TrackerError):
        pass
    return {}


async def _write(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    origin: Origin,
    *,
    kind: OutboxKind,
    key: str,
    text: str,
    payload: Callable[[str], OutboxPayload],
    form: writes.Form | None = None,
) -> None:
    """Turn the text into a note's HTML (mentions resolved, footer with who, where and the
    permalink), record the write (`payload` makes it from the HTML; a note `form`'s earlier writes
    to other issues are replaced), and tell the person how it went."""
    team, user, channel = origin.team, origin.user, origin.channel
    requester = requester_of(origin)

    async def recorded() -> writes.Outcome:
        person = await directory.person(client, team, user)
        channel_name = await directory.channel_name(client, team, channel)
        link = await directory.permalink(client, channel, origin.ts) if requester.thread_ts else None
        html = await writes.compose_note(
            text,
            directory=directory.of(client, team),
            person=person,
            channel=channel_name,
            permalink=link,
            key=key,
            slack_escaped=False,
        )
        return await writes.submit(
            rt,
            key=key,
            kind=kind,
            requester=requester,
            person=person,
            people=fresh_lookup(client),
            payload=payload(html),
            form=form,
        )

    await record_and_tell(client, requester, kind, recorded())


def requester_of(origin: Origin) -> Requester:
    """Who asked for a form's write, and where they hear how it went (the message's thread, or
    the person alone when the form's message has none)."""
    thread = origin.thread_ts if origin.in_thread else None
    return Requester(team_id=origin.team, user_id=origin.user, channel_id=origin.channel, thread_ts=thread)


async def record_and_tell(
    client: AsyncWebClient, requester: Requester, kind: OutboxKind, work: Awaitable[writes.Outcome]
) -> None:
    """Await a form's write (recorded in the outbox, tried at once) and tell the person how it
    went; a failure to record it (the database down, Slack busy) is told as such, never silence."""
    try:
        outcome = await work
    except writes.HandedOver as stopped:  # the process is stopping: the write waits in the outbox
        await say_outcome(client, requester, writes.Outcome(writes.Result.SAVED, str(stopped)))
        raise
    except PersonFacingError as exc:  # e.g. the database is down: nothing was recorded
        log.warning("saving a %s failed: %s", kind, exc)
        outcome = writes.Outcome(writes.Result.FAILED, str(exc))
    except Exception:
        log.exception("saving a %s failed", kind)
        outcome = writes.Outcome(writes.Result.FAILED, messages.UNEXPECTED)
    await say_outcome(client, requester, outcome)
    if outcome.aside:
        await say_to_person(client, requester, outcome.aside)


async def issue_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    rt = runtime_of(context)
    try:
        origin, form = _accepted(rt, body, view, modals.parse_issue_submission)
        if form.type_id is None or form.priority_id is None:
            raise _Refused(messages.MODAL_EXPIRED)  # the modal always has both chosen
    except _Refused as refusal:
        await ack(response_action="update", view=modals.result_modal("Create issue", str(refusal)))
        return
    subject, type_id, priority_id = form.subject.strip(), form.type_id, form.priority_id
    if not subject:
        await ack(response_action="errors", errors={ids.ISSUE_SUBJECT[0]: messages.SUBJECT_EMPTY})
        return
    await ack()
    rt.spawn(
        _write(
            rt,
            client,
            directory_of(context),
            origin,
            kind=OutboxKind.ISSUE,
            key=f"issue:{origin.channel}:{origin.ts}:{origin.user}",
            text=form.description,
            payload=lambda html: IssuePayload(subject=subject, html=html, type=type_id, priority=priority_id),
        ),
        name="issue from shortcut",
    )
