"""Message shortcuts: "Add as Issuetrak note" and "Create Issuetrak issue". The modal opens
with the `trigger_id` before any tracker call (the trigger dies after 3 seconds)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.running.runtime import Runtime
from bot.slack.notes_html import editable_text
from bot.trackers.errors import TrackerError
from bot.views import ids, modals
from handlers.context import runtime_of

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.message_shortcut(ids.SHORTCUT_ADD_NOTE)(add_note_shortcut)
    app.message_shortcut(ids.SHORTCUT_CREATE_ISSUE)(create_issue_shortcut)


def origin(shortcut: dict[str, Any]) -> dict[str, Any]:
    """Where the message came from, to be signed into the modal's private_metadata."""
    message = shortcut.get("message") or {}
    return {
        "team": (shortcut.get("team") or {}).get("id", ""),
        "user": (shortcut.get("user") or {}).get("id", ""),
        "channel": (shortcut.get("channel") or {}).get("id", ""),
        "ts": message.get("ts", ""),
        "thread_ts": message.get("thread_ts") or message.get("ts", ""),
    }


async def add_note_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    rt = runtime_of(context)
    text = editable_text((shortcut.get("message") or {}).get("text", ""))
    view = modals.note_modal(
        text=text,
        issue_number=None,
        private_allowed=rt.settings.ALLOW_PRIVATE_NOTES,
        private_metadata=rt.signer.sign(origin(shortcut)),
    )
    rt.spawn(client.views_open(trigger_id=shortcut["trigger_id"], view=view), name="note modal")


async def create_issue_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    rt = runtime_of(context)
    rt.spawn(_open_issue_modal(rt, shortcut, client), name="create issue modal")


async def _open_issue_modal(rt: Runtime, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
    """A loading modal at once, then the form once Issuetrak's types and priorities are in."""
    opened = await client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=modals.loading_modal(messages.LOADING_TITLE, ids.ISSUE_MODAL),
    )
    view_id = opened["view"]["id"]
    text = editable_text((shortcut.get("message") or {}).get("text", ""))
    try:
        issuetrak = rt.trackers.require_issuetrak()
        types, priorities = await issuetrak.issue_types(), await issuetrak.priorities()
    except TrackerError as exc:
        await client.views_update(view_id=view_id, view=modals.result_modal("Create issue", str(exc)))
        return
    view = modals.issue_modal(
        subject=modals.subject_from(text),
        description=text,
        types=types,
        priorities=priorities,
        private_metadata=rt.signer.sign(origin(shortcut)),
    )
    await client.views_update(view_id=view_id, view=view)
