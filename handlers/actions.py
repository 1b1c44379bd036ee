"""Buttons on cards: Refresh, Watch here, Open in tracker, More (asset paging), Try again (a failed write)."""

from __future__ import annotations

import json
import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import messages
from bot.posting.saying import say_outcome
from bot.services import lookup, watches, writes
from bot.slack.directory import fresh_lookup
from bot.trackers.models import TrackerName
from bot.trackers.pages import is_number
from bot.views import cards, ids, sentence_blocks
from handlers.commands import show_assets
from handlers.listening import Heard, listener
from handlers.replies import say, show

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


@listener("refresh")
async def refresh_project(heard: Heard) -> None:
    if await heard.refuses_guest():
        return
    tracker, _, project_id = heard.value.partition(":")
    try:
        name = TrackerName(tracker)
    except ValueError:
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    project = await lookup.refresh_project(heard.rt, name, project_id)
    await show(heard.reply, cards.project_card(project, heard.rt.clock().date()), project.name)


@listener("more assets")
async def more_assets(heard: Heard) -> None:
    """More or Previous on an asset list: its value is `cards.asset_list`'s (the query, where the
    paged search goes on, and where each other source's section does, by tracker key); any other
    value, an older button's among them, is out of date."""
    try:
        value = json.loads(heard.action.get("value") or "{}")
        query, start = str(value["q"]), max(0, int(value["start"]))
        starts = {TrackerName(key): max(0, int(at)) for key, at in value["u"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    if not await heard.refuses_guest():
        await show_assets(heard.rt, heard.reply, query, start, starts)


@listener("retry write")
async def retry_write(heard: Heard) -> None:
    """ "Try again" on a failed write: only its author's click counts (anyone else, or a value
    that names no write, hears the button is out of date). The failure notice is replaced at once,
    so the button cannot be clicked twice, and the outcome is told like the first one."""
    rt, value, user = heard.rt, heard.value, heard.user
    item = await rt.store.get(int(value)) if is_number(value, 18) else None
    if item is None or not user or item.requester.user_id != user:
        await heard.respond(
            text=messages.MODAL_EXPIRED,
            blocks=cards.as_dicts(sentence_blocks.said(messages.MODAL_EXPIRED, as_written=True)),
            replace_original=False,
        )
        return
    await say(heard.reply, messages.RETRY_QUEUED)
    await say_outcome(heard.client, item.requester, await writes.retry(rt, item.id, fresh_lookup(heard.client)))


@listener("watch here", beside=True)
async def watch_here(heard: Heard) -> None:
    """ "Watch here" on a card: a watch of its item where the card is, under the rules of the
    moment of the click (whoever drew the card); the clicker alone hears how it went, and the card
    stays as it is."""
    if not heard.channel:
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    person = await heard.person()
    sentence = await watches.watch_here(
        heard.rt, team=heard.team, channel=heard.channel, person=person, value=heard.value
    )
    await say(heard.reply, sentence)
