"""Comment on a Kitsu task, and move its status: the "Add as Kitsu comment" message shortcut, the
"Comment" button of a Kitsu card's task line, the form's typeahead (the options endpoint:
`block_suggestion`), and its submission.

The form opens at once (a loading form, before any tracker call: the trigger lives 3 seconds),
then shows why not in its place when the person may not comment (no Kitsu account, the bot's
account no manager, a guest), or the form itself. Each choice's options are read from what is
chosen above it in the form as it stands. The submission checks the task and status with Kitsu
before it is acknowledged (within 2 s; the form stays open with the text when Kitsu is slow),
then the comment goes through the outbox as the person, and they are told how it went."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import kitsu_comments, writes
from bot.slack.directory import Directory, SlackBusy, fresh_lookup
from bot.slack.notes_html import editable_text
from bot.store.models import OutboxKind
from bot.trackers.errors import TrackerError
from bot.views import ids, modals
from handlers.context import directory_of, runtime_of
from handlers.listening import Heard, listener
from handlers.note_button import clicked_origin
from handlers.payload import body_id
from handlers.shortcuts import Origin, origin
from handlers.submissions import record_and_tell, requester_of

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # what may be spent checking the task before acknowledging (Slack allows 3)
# Each field of the form, by its input's (block id, action id).
_FIELDS = {
    ids.KITSU_PRODUCTION: kitsu_comments.Field.PRODUCTION,
    ids.KITSU_ENTITY: kitsu_comments.Field.ENTITY,
    ids.KITSU_TASK: kitsu_comments.Field.TASK,
    ids.KITSU_STATUS: kitsu_comments.Field.STATUS,
    ids.KITSU_TEXT: kitsu_comments.Field.TEXT,
}
_SELECTS = {action: field for (_, action), field in _FIELDS.items() if field is not kitsu_comments.Field.TEXT}
_BLOCKS = {field: block for (block, _), field in _FIELDS.items()}


def register(app: AsyncApp) -> None:
    app.message_shortcut(ids.SHORTCUT_KITSU_COMMENT)(comment_shortcut)
    app.action(ids.KITSU_TASK_COMMENT)(comment_clicked)
    app.options(re.compile("^(" + "|".join(map(re.escape, _SELECTS)) + ")$"))(comment_choices)
    app.view(ids.KITSU_COMMENT_MODAL)(comment_submitted)


@listener("kitsu comment form", answers=False)
async def comment_shortcut(heard: Heard) -> None:
    shortcut = heard.body
    text = editable_text((shortcut.get("message") or {}).get("text", ""))
    trigger = shortcut.get("trigger_id", "")
    await _open(heard.rt, heard.client, heard.directory, trigger, origin(shortcut), text, task=None)


@listener("kitsu comment form", answers=False)
async def comment_clicked(heard: Heard) -> None:
    """ "Comment" on a task line: the form with that task chosen, as whoever clicks."""
    action, body = heard.action, heard.body
    where = clicked_origin(body, action)
    task = action.get("value") if isinstance(action.get("value"), str) else ""
    trigger = body.get("trigger_id") if isinstance(body.get("trigger_id"), str) else ""
    if not trigger:
        return
    if where is None or not task:
        view = modals.result_modal(messages.KITSU_COMMENT_TITLE, messages.MODAL_EXPIRED)
        await heard.client.views_open(trigger_id=trigger, view=view)
        return
    await _open(heard.rt, heard.client, heard.directory, trigger, where, "", task=task)


async def _open(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    trigger: str,
    where: dict[str, Any],
    text: str,
    *,
    task: str | None,
) -> None:
    """A loading form at once, then the form, or the sentence saying why not."""
    title = messages.KITSU_COMMENT_TITLE
    if not writes.allowed_here(rt, where.get("channel", "")):
        await client.views_open(trigger_id=trigger, view=modals.result_modal(title, messages.WRITES_NOT_ALLOWED_HERE))
        return
    opened = await client.views_open(trigger_id=trigger, view=modals.loading_modal(title, ids.KITSU_COMMENT_MODAL))
    try:
        person = await directory.person(client, where.get("team", ""), where.get("user", ""))
        place = await rt.trackers.require_kitsu().task_place(task) if task else None
        refused = await kitsu_comments.refusal(rt, person, place)
    except (TrackerError, SlackBusy) as exc:
        refused = str(exc)
    if refused is not None:
        view = modals.result_modal(title, refused)
    else:
        view = modals.kitsu_comment_modal(text=text, place=place, private_metadata=rt.signer.sign(where))
    try:
        await client.views_update(view_id=opened["view"]["id"], view=view)
    except SlackApiError as exc:  # the person closed the form meanwhile
        log.info("kitsu comment form not shown: %s", exc.response.get("error"))


def _chosen(view: dict[str, Any]) -> kitsu_comments.Chosen:
    """What the form has chosen, as it stands (submitted, or while it is filled in)."""
    form = modals.parse_comment_form((view.get("state") or {}).get("values") or {})
    return kitsu_comments.Chosen(**form.model_dump())


async def comment_choices(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """The options of one select, for what the person typed, under what the form has chosen."""
    rt = runtime_of(context)
    found_view = body.get("view")
    view: dict[str, Any] = found_view if isinstance(found_view, dict) else {}
    field = _SELECTS.get(str(body.get("action_id") or ""))
    try:
        form = _chosen(view)
        where = Origin.model_validate(rt.signer.verify(view.get("private_metadata")))
    except (AttributeError, TypeError, ValueError, ValidationError):
        await ack(options=[])
        return
    user = body_id(body, "user")
    if where.user != user or field is None:
        await ack(options=[])
        return
    typed = str(body.get("value") or "")[:100]
    try:
        person = await directory_of(context).person(client, where.team, where.user)
        found = await asyncio.wait_for(kitsu_comments.choices(rt, person, field, form, typed), CHECK_SECONDS)
    except (TrackerError, SlackBusy, TimeoutError) as exc:
        log.info("kitsu comment choices not read: %s", type(exc).__name__)
        found = []
    await ack(options=modals.options(found))


async def comment_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    rt = runtime_of(context)
    title = messages.KITSU_COMMENT_TITLE
    user, team = body_id(body, "user"), body_id(body, "team")
    try:
        where = Origin.model_validate(rt.signer.verify(view.get("private_metadata")))
        form = _chosen(view)
    except (AttributeError, TypeError, ValueError, ValidationError):
        await ack(response_action="update", view=modals.result_modal(title, messages.MODAL_EXPIRED))
        return
    if not user or where.user != user or where.team != team:
        await ack(response_action="update", view=modals.result_modal(title, messages.MODAL_EXPIRED))
        return
    if not writes.allowed_here(rt, where.channel):
        await ack(response_action="update", view=modals.result_modal(title, messages.WRITES_NOT_ALLOWED_HERE))
        return
    try:
        checked = await asyncio.wait_for(kitsu_comments.check(rt, form), CHECK_SECONDS)
    except (TrackerError, TimeoutError):
        checked = {kitsu_comments.Field.TASK: messages.KITSU_NOT_ANSWERING_FORM}
    if isinstance(checked, dict):
        await ack(response_action="errors", errors={_BLOCKS[field]: sentence for field, sentence in checked.items()})
        return
    await ack()
    key = f"kitsu_comment:{where.channel}:{where.ts}:{checked.place.id}:{where.user}" + (
        f":{where.click}" if where.click else ""
    )
    work = _write(rt, client, directory_of(context), where, key, checked, form.text)
    rt.spawn(work, name="kitsu comment")


async def _write(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    where: Origin,
    key: str,
    checked: kitsu_comments.Checked,
    text: str,
) -> None:
    requester = requester_of(where)

    async def recorded() -> writes.Outcome:
        person = await directory.person(client, where.team, where.user)
        return await kitsu_comments.submit(
            rt,
            key=key,
            requester=requester,
            person=person,
            people=fresh_lookup(client),
            chosen=checked,
            text=text,
        )

    await record_and_tell(client, requester, OutboxKind.KITSU_COMMENT, recorded())
