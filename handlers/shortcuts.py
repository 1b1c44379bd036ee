"""Message shortcuts: "Add as Issuetrak note" and "Create Issuetrak issue". The modal opens
with the `trigger_id` before any tracker call (the trigger dies after 3 seconds)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import writes
from bot.slack.directory import Directory
from bot.slack.notes_html import editable_text
from bot.trackers.errors import TrackerError
from bot.views import ids, modals
from handlers.listening import Heard, listener
from handlers.payload import body_id

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.message_shortcut(ids.SHORTCUT_ADD_NOTE)(add_note_shortcut)
    app.message_shortcut(ids.SHORTCUT_CREATE_ISSUE)(create_issue_shortcut)


class Origin(BaseModel):
    """Where a shortcut's message came from and who used it, signed into the modal's
    `private_metadata`; a submission reads it back with `Origin.model_validate` (strict: every
    field a string, and the message's channel and timestamps never empty)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    team: str
    user: str
    channel: str = Field(min_length=1)
    ts: str = Field(min_length=1)
    thread_ts: str = Field(min_length=1)
    # A form opened by a card's button ("Add note", handlers.note_button): the click's trigger id,
    # so that each form is a write of its own, and whether its message has a thread to answer in
    # (an ephemeral card has none: the answer then goes to the person).
    click: str = ""
    in_thread: bool = True


def origin(shortcut: dict[str, Any]) -> dict[str, str]:
    """Where the message came from, as the modal's `private_metadata` carries it (`Origin`'s
    fields; not validated here: a message without them makes a modal whose submission is refused)."""
    message = shortcut.get("message") or {}
    return {
        "team": body_id(shortcut, "team"),
        "user": body_id(shortcut, "user"),
        "channel": body_id(shortcut, "channel"),
        "ts": message.get("ts", ""),
        "thread_ts": message.get("thread_ts") or message.get("ts", ""),
    }


@listener("note modal", answers=False)
async def add_note_shortcut(heard: Heard) -> None:
    rt, shortcut = heard.rt, heard.body
    if await _refused_here(rt, shortcut, heard.client, "Add Issuetrak note"):
        return
    text = editable_text((shortcut.get("message") or {}).get("text", ""))
    view = modals.note_modal(
        text=text,
        issue_number=None,
        private_allowed=rt.settings.ALLOW_PRIVATE_NOTES,
        private_metadata=rt.signer.sign(origin(shortcut)),
    )
    await heard.client.views_open(trigger_id=shortcut["trigger_id"], view=view)


@listener("create issue modal", answers=False)
async def create_issue_shortcut(heard: Heard) -> None:
    if not await _refused_here(heard.rt, heard.body, heard.client, "Create issue"):
        await _open_issue_modal(heard.rt, heard.directory, heard.body, heard.client)


async def _refused_here(rt: Runtime, shortcut: dict[str, Any], client: AsyncWebClient, title: str) -> bool:
    """In a channel that may not write (WRITE_CHANNELS), a small modal says so before any form
    opens; True when it did. The submission checks again (settings may change meanwhile)."""
    if writes.allowed_here(rt, body_id(shortcut, "channel")):
        return False
    view = modals.result_modal(title, messages.WRITES_NOT_ALLOWED_HERE)
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
    return True


async def _open_issue_modal(
    rt: Runtime, directory: Directory, shortcut: dict[str, Any], client: AsyncWebClient
) -> None:
    """A loading modal at once, then the form once Issuetrak's types and priorities are in, with
    the message's mentions shown as names (a bounded number looked up, as for notes)."""
    opened = await client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=modals.loading_modal(messages.LOADING_TITLE, ids.ISSUE_MODAL),
    )
    view_id = opened["view"]["id"]
    raw = (shortcut.get("message") or {}).get("text", "")
    try:
        names = await directory.of(client, origin(shortcut)["team"]).names_in(raw)
        issuetrak = rt.trackers.require_issuetrak()
        types, priorities = await issuetrak.issue_types(), await issuetrak.priorities()
    except TrackerError as exc:
        await client.views_update(view_id=view_id, view=modals.result_modal("Create issue", str(exc)))
        return
    view = modals.issue_modal(
        subject=modals.subject_from(raw, names),
        description=modals.description_from(raw, names),
        types=types,
        priorities=priorities,
        private_metadata=rt.signer.sign(origin(shortcut)),
    )
    await client.views_update(view_id=view_id, view=view)
