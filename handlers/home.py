"""The App Home tab, published when a person opens it (and again after a Stop click on one of
the watches it lists)."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting.telling import tell
from bot.runtime import Runtime
from bot.services import home, notify, watches
from bot.slack.people import Directory, SlackBusy
from bot.store.records import Requester
from bot.views import ids
from bot.views.home import home_view
from handlers.listening import Heard, listener

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ids.WATCH_STOP)(stop_watch)
    app.action(ids.NOTIFY_KINDS)(notify_chosen)


@listener("app home", answers=False)
async def home_opened(heard: Heard) -> None:
    event = heard.body.get("event") or {}
    if event.get("tab", "home") == "home":
        await _publish(heard.rt, heard.client, heard.directory, heard.team, event.get("user", ""))


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


@listener("stop watch", answers=False)
async def stop_watch(heard: Heard) -> None:
    """A Stop button on the Home tab: the watch ends if the clicker may end it (told by DM why
    not, when not), and the Home tab is published again."""
    await _stop(heard.rt, heard.client, heard.directory, heard.team, heard.user, heard.value)


async def _stop(rt: Runtime, client: AsyncWebClient, directory: Directory, team: str, user: str, value: str) -> None:
    refused = await watches.stop_from_home(rt, team=team, actor=user, value=value)
    if refused is not None:
        await tell(client, Requester(team, user), refused)
    await _publish(rt, client, directory, team, user)


@listener("notify settings", answers=False)
async def notify_chosen(heard: Heard) -> None:
    """A DM checkbox on the Home tab: the person's choices, saved at once (for the clicker only:
    the box is on their own Home tab)."""
    kinds = [str(o.get("value")) for o in heard.action.get("selected_options") or [] if isinstance(o, dict)]
    await notify.choose(heard.rt, team=heard.team, user=heard.user, kinds=kinds[: len(notify.KIND_LABELS)])
    await _publish(heard.rt, heard.client, heard.directory, heard.team, heard.user)
