"""The "Add note" button of an issue card (an answer to `/tracker issue`, or an unfurled link).

The note form opens at once with the issue filled in and an empty note, before any tracker call
(the click's trigger_id lives 3 seconds), for the person who clicked: whoever drew the card, the
note is written as the clicker. Its submission goes the way of the shortcut's note
(`handlers.submissions`): the outbox, the clicker's Issuetrak identity, WRITE_CHANNELS and
ALLOW_PRIVATE_NOTES, all checked when the form is sent and again when the note goes out (as the
Issuetrak user the clicker holds at that moment), never when the card was drawn. Right after the form opens, the clicker's standing is checked: a guest, or a person with
no Issuetrak user, sees why in place of the form.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, writes
from bot.slack.directory import Directory, SlackBusy
from bot.trackers.errors import TrackerError
from bot.trackers.pages import is_number
from bot.views import ids, modals
from handlers.listening import Heard, listener
from handlers.payload import body_id

log = logging.getLogger(__name__)

TITLE = "Add note"


def register(app: AsyncApp) -> None:
    app.action(ids.ISSUE_ADD_NOTE)(add_note_clicked)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _part(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def clicked_origin(body: dict[str, Any], action: dict[str, Any]) -> dict[str, Any] | None:
    """Where the card was and who clicked, as the form's signed metadata (`Origin`'s fields);
    None when the click names no channel. The card's message is the thread the answer goes to,
    unless it was ephemeral (Slack keeps no thread under those): then the person is told."""
    container, message = _part(body, "container"), _part(body, "message")
    channel = _text(container.get("channel_id")) or body_id(body, "channel")
    message_ts = _text(container.get("message_ts"))
    ts = message_ts or _text(action.get("action_ts"))
    if not channel or not ts:
        return None
    return {
        "team": body_id(body, "team"),
        "user": body_id(body, "user"),
        "channel": channel,
        "ts": ts,
        "thread_ts": _text(container.get("thread_ts")) or _text(message.get("thread_ts")) or ts,
        "click": _text(body.get("trigger_id")),
        "in_thread": bool(message_ts) and container.get("is_ephemeral") is not True,
    }


def _issue_number(action: dict[str, Any]) -> int | None:
    value = _text(action.get("value"))
    return int(value) if is_number(value) else None


@listener("note form from a card", answers=False)
async def add_note_clicked(heard: Heard) -> None:
    rt, client = heard.rt, heard.client
    trigger = _text(heard.body.get("trigger_id"))
    origin, number = clicked_origin(heard.body, heard.action), _issue_number(heard.action)
    if not trigger:
        return
    if origin is None or number is None:  # not a card this bot drew
        view = modals.result_modal(TITLE, messages.MODAL_EXPIRED)
    elif not writes.allowed_here(rt, origin["channel"]):
        view = modals.result_modal(TITLE, messages.WRITES_NOT_ALLOWED_HERE)
    else:
        form = modals.note_modal(
            text="",
            issue_number=number,
            private_allowed=rt.settings.ALLOW_PRIVATE_NOTES,
            private_metadata=rt.signer.sign(origin),
        )
        await _open_then_check(rt, client, heard.directory, form, trigger, origin)
        return
    await client.views_open(trigger_id=trigger, view=view)


async def _open_then_check(
    rt: Runtime, client: AsyncWebClient, directory: Directory, form: View, trigger: str, origin: dict[str, Any]
) -> None:
    """Open the form, then put the reason in its place if the clicker may not write as anyone."""
    opened = await client.views_open(trigger_id=trigger, view=form)
    refusal = await _write_refusal(rt, client, directory, origin["team"], origin["user"])
    if refusal is None:
        return
    try:
        await client.views_update(view_id=opened["view"]["id"], view=modals.result_modal(TITLE, refusal))
    except SlackApiError as exc:  # the person closed or sent the form already: the submission refuses
        log.info("note form from a card not replaced: %s", exc.response.get("error"))


async def _write_refusal(rt: Runtime, client: AsyncWebClient, directory: Directory, team: str, user: str) -> str | None:
    """Why the clicker may not write as anyone, or None (also when it cannot be told now: the
    submission checks again, and a note saved while Issuetrak is down finds its author later)."""
    try:
        person = await directory.person(client, team, user)
        standing = await identity.identify(rt, team, person)
    except (SlackBusy, TrackerError) as exc:
        log.info("the standing of %s was not checked when the note form opened: %s", user, type(exc).__name__)
        return None
    return identity.write_refusal(rt, standing, person)
