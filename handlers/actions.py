"""Buttons on cards: Refresh, Open in tracker, More (asset paging), Try again (a failed write)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.answers import tell
from bot.runtime import Runtime
from bot.services import lookup, writes
from bot.trackers.models import TrackerName
from bot.views import cards, ids
from handlers.commands import show_assets
from handlers.replies import Reply, guarded, show

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(ids.PROJECT_REFRESH)(refresh_project)
    app.action(ids.OPEN_IN_TRACKER)(open_in_tracker)
    app.action(ids.ASSET_MORE)(more_assets)
    app.action(ids.OUTBOX_RETRY)(retry_write)


async def open_in_tracker(ack: Any) -> None:
    """A link button: Slack opens the URL; the click only needs acknowledging."""
    await ack()


async def refresh_project(ack: Any, action: dict[str, Any], respond: Reply, context: dict[str, Any]) -> None:
    await ack()
    rt: Runtime = context["runtime"]
    rt.spawn(guarded(respond, _refresh(rt, respond, action.get("value", "")), what="refresh"), name="refresh")


async def _refresh(rt: Runtime, respond: Reply, value: str) -> None:
    tracker, _, project_id = value.partition(":")
    try:
        name = TrackerName(tracker)
    except ValueError:
        await show(respond, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    project = await lookup.refresh_project(rt, name, project_id)
    await show(respond, cards.project_card(project, rt.clock().date()), project.name)


async def more_assets(ack: Any, action: dict[str, Any], respond: Reply, context: dict[str, Any]) -> None:
    await ack()
    rt: Runtime = context["runtime"]
    try:
        value = json.loads(action.get("value") or "{}")
        query, start = str(value["q"]), max(0, int(value["start"]))
    except (ValueError, KeyError, TypeError):
        await show(respond, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    rt.spawn(guarded(respond, show_assets(rt, respond, query, start), what="more assets"), name="more assets")


async def retry_write(ack: Any, action: dict[str, Any], body: dict[str, Any], client: AsyncWebClient,
                      context: dict[str, Any]) -> None:
    await ack()
    rt: Runtime = context["runtime"]
    rt.spawn(_retry(rt, client, action.get("value", ""), (body.get("user") or {}).get("id", "")), name="retry write")


async def _retry(rt: Runtime, client: AsyncWebClient, value: str, user: str) -> None:
    item = await rt.store.get(int(value)) if value.isdigit() else None
    if item is None or item.requester.user_id != user:
        return  # not this person's write: nothing to do, and nothing to reveal
    if await rt.store.retry(item.id, rt.clock()):
        claimed = await rt.store.claim(item.id, rt.clock(), writes.LEASE_SECONDS)
        outcome = await writes.deliver(rt, claimed) if claimed else writes.describe(rt, item, repeat=True)
        await tell(client, item.requester, outcome.sentence)
