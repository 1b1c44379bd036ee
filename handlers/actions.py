"""Buttons on cards: Refresh, Watch here, Open in tracker, More (asset paging), Try again (a failed write)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting.telling import tell_outcome
from bot.runtime import Runtime
from bot.services import identity, lookup, watches, writes
from bot.slack.people import Directory, people_now
from bot.trackers.models import TrackerName
from bot.trackers.pages import is_number
from bot.views import cards, ids, sentence_blocks
from handlers.commands import show_assets
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id
from handlers.responding import Reply, guarded, show

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(ids.PROJECT_REFRESH)(refresh_project)
    app.action(ids.OPEN_IN_TRACKER)(open_in_tracker)
    app.action(ids.ASSET_MORE)(more_assets)
    app.action(ids.ASSET_PREVIOUS)(more_assets)  # the same paging, backwards
    app.action(ids.OUTBOX_RETRY)(retry_write)
    app.action(ids.WATCH_HERE)(watch_here)


async def open_in_tracker(ack: AsyncAck) -> None:
    """A link button: Slack opens the URL; the click only needs acknowledging."""
    await ack()


async def _shut_out(
    rt: Runtime, client: AsyncWebClient, directory: Directory, respond: Reply, body: dict[str, Any]
) -> bool:
    """A guest's click (when guests may not use the bot) is answered with the refusal, like their
    commands: the buttons of a card could be replayed by anyone."""
    user = body_id(body, "user")
    team = body_id(body, "team")
    if not identity.shut_out(rt, await directory.person(client, team, user)):
        return False
    await show(respond, sentence_blocks.notice(messages.GUEST_REFUSED), messages.GUEST_REFUSED)
    return True


async def refresh_project(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    rt = runtime_of(context)
    work = _refresh(rt, client, directory_of(context), respond, body, action.get("value", ""))
    rt.spawn(guarded(respond, work, what="refresh"), name="refresh")


async def _refresh(
    rt: Runtime, client: AsyncWebClient, directory: Directory, respond: Reply, body: dict[str, Any], value: str
) -> None:
    if await _shut_out(rt, client, directory, respond, body):
        return
    tracker, _, project_id = value.partition(":")
    try:
        name = TrackerName(tracker)
    except ValueError:
        await show(respond, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    project = await lookup.refresh_project(rt, name, project_id)
    await show(respond, cards.project_card(project, rt.clock().date()), project.name)


async def more_assets(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    rt = runtime_of(context)
    try:
        value = json.loads(action.get("value") or "{}")
        query, start = str(value["q"]), max(0, int(value["start"]))
        kitsu_start = None if value.get("k") is None else max(0, int(value["k"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        await show(respond, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    work = _more(rt, client, directory_of(context), respond, body, query, start, kitsu_start)
    rt.spawn(guarded(respond, work, what="more assets"), name="more assets")


async def _more(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    respond: Reply,
    body: dict[str, Any],
    query: str,
    start: int,
    kitsu_start: int | None,
) -> None:
    if not await _shut_out(rt, client, directory, respond, body):
        await show_assets(rt, respond, query, start, kitsu_start)


async def retry_write(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    rt = runtime_of(context)
    user = body_id(body, "user")
    work = _retry(rt, client, respond, str(action.get("value") or ""), user)
    rt.spawn(guarded(respond, work, what="retry write"), name="retry write")


async def _retry(rt: Runtime, client: AsyncWebClient, respond: Reply, value: str, user: str) -> None:
    """ "Try again" on a failed write: only its author's click counts (anyone else, or a value
    that names no write, hears the button is out of date). The failure notice is replaced at once,
    so the button cannot be clicked twice, and the outcome is told like the first one."""
    item = await rt.store.get(int(value)) if is_number(value, 18) else None
    if item is None or not user or item.requester.user_id != user:
        await respond(
            text=messages.MODAL_EXPIRED,
            blocks=cards.as_dicts(cards.message(messages.MODAL_EXPIRED)),
            replace_original=False,
        )
        return
    await show(respond, sentence_blocks.notice(messages.RETRY_QUEUED), messages.RETRY_QUEUED)
    await tell_outcome(client, item.requester, await writes.retry(rt, item.id, people_now(client)))


async def watch_here(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """ "Watch here" on a card: a watch of its item where the card is, under the rules of the
    moment of the click (whoever drew the card); the clicker alone hears how it went, and the card
    stays as it is."""
    await ack()
    rt = runtime_of(context)

    async def beside(**answer: Any) -> None:
        await respond(**{**answer, "replace_original": False, "response_type": "ephemeral"})

    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    work = _watch(rt, client, directory_of(context), beside, body, channel, str(action.get("value") or ""))
    rt.spawn(guarded(beside, work, what="watch here"), name="watch here")


async def _watch(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    reply: Reply,
    body: dict[str, Any],
    channel: str,
    value: str,
) -> None:
    if not channel:
        await show(reply, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    team = body_id(body, "team")
    person = await directory.person(client, team, body_id(body, "user"))
    sentence = await watches.watch_here(rt, team=team, channel=channel, person=person, value=value)
    await show(reply, sentence_blocks.notice(sentence), sentence)
