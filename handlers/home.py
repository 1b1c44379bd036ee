"""The App Home tab, published when a person opens it (and again after a Stop click on one of
the watches it lists)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting.telling import tell
from bot.runtime import Runtime
from bot.services import home, notify, watches
from bot.slack.people import Directory, SlackBusy
from bot.store.records import Requester
from bot.views import ids
from bot.views.home import home_view
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ids.WATCH_STOP)(stop_watch)
    app.action(ids.NOTIFY_KINDS)(notify_chosen)


async def home_opened(
    ack: AsyncAck, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    if event.get("tab", "home") != "home":
        return
    rt = runtime_of(context)
    team, user = body.get("team_id", ""), event.get("user", "")
    rt.spawn(_publish(rt, client, directory_of(context), team, user), name="app home")


async def _publish(rt: Runtime, client: AsyncWebClient, directory: Directory, team: str, user: str) -> None:
    try:
        person = await directory.person(client, team, user)
    except SlackBusy:  # the Home tab is published again the next time the person opens it
        log.info("Home tab for %s not published: Slack is busy", user)
        return
    page = await home.page_for(rt, team=team, person=person)
    await client.views_publish(
        user_id=user,
        view=home_view(
            identity=page.identity,
            trackers=page.trackers,
            digests=page.digests,
            may_start_digests=page.may_edit_digests,
            watches=page.watches,
            examples=page.examples,
            audit=page.audit,
            notify=(page.notify_kinds, list(notify.KIND_LABELS.items())),
        ),
    )


async def stop_watch(
    ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """A Stop button on the Home tab: the watch ends if the clicker may end it (told by DM why
    not, when not), and the Home tab is published again."""
    await ack()
    rt = runtime_of(context)
    team, user = body_id(body, "team"), body_id(body, "user")
    rt.spawn(_stop(rt, client, directory_of(context), team, user, str(action.get("value") or "")), name="stop watch")


async def _stop(rt: Runtime, client: AsyncWebClient, directory: Directory, team: str, user: str, value: str) -> None:
    refused = await watches.stop_from_home(rt, team=team, actor=user, value=value)
    if refused is not None:
        await tell(client, Requester(team, user), refused)
    await _publish(rt, client, directory, team, user)


async def notify_chosen(
    ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """A DM checkbox on the Home tab: the person's choices, saved at once (for the clicker only:
    the box is on their own Home tab)."""
    await ack()
    rt = runtime_of(context)
    team, user = (body.get("team") or {}).get("id", ""), (body.get("user") or {}).get("id", "")
    kinds = [str(o.get("value")) for o in action.get("selected_options") or [] if isinstance(o, dict)]

    async def save() -> None:
        await notify.choose(rt, team=team, user=user, kinds=kinds[: len(notify.KIND_LABELS)])
        await _publish(rt, client, directory_of(context), team, user)

    rt.spawn(save(), name="notify settings")
