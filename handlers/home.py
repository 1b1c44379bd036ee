"""The App Home tab, published when a person opens it (and again after a Stop click on one of
the watches it lists)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting.saying import say_in_thread
from bot.runtime import Runtime
from bot.services import home, notify, watches
from bot.slack.directory import Directory, SlackBusy
from bot.store.models import Requester
from bot.views import ids
from bot.views.home import home_view
from handlers.listening import Heard, listener

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ids.WATCH_STOP)(stop_watch)
    app.action(ids.NOTIFY_KINDS)(notify_chosen)
    app.action(ids.NOTIFY_QUIET_FROM)(quiet_chosen)
    app.action(ids.NOTIFY_QUIET_TO)(quiet_chosen)
    app.action(ids.NOTIFY_QUIET_OFF)(quiet_chosen)


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
            quiet=page.notify_quiet,
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
        await say_in_thread(client, Requester(team, user), refused)
    await _publish(rt, client, directory, team, user)


@listener("notify settings", answers=False)
async def notify_chosen(heard: Heard) -> None:
    """A DM checkbox on the Home tab: the person's choices, saved at once (for the clicker only:
    the box is on their own Home tab)."""
    kinds = [str(o.get("value")) for o in heard.action.get("selected_options") or [] if isinstance(o, dict)]
    await notify.choose(heard.rt, team=heard.team, user=heard.user, kinds=kinds[: len(notify.KIND_LABELS)])
    await _publish(heard.rt, heard.client, heard.directory, heard.team, heard.user)


def _picked(body: dict[str, Any], action_id: str) -> object:
    """What the Home tab's quiet-hours picker `action_id` shows now, as the view's state says
    (None when it is empty, or the body says nothing of it)."""
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(ids.NOTIFY_QUIET_BLOCK) if isinstance(values, dict) else None
    picker = block.get(action_id) if isinstance(block, dict) else None
    return picker.get("selected_time") if isinstance(picker, dict) else None


@listener("quiet hours", answers=False)
async def quiet_chosen(heard: Heard) -> None:
    """A quiet-hours picker (or "No quiet hours") on the Home tab: saved at once for the clicker,
    by the rule `/tracker notify quiet` keeps (`notify.quiet_span`), once both ends are picked; a
    refused value changes nothing, and the person is told by DM why."""
    if not heard.team or not heard.user:  # a body that names nobody changes nobody's settings
        return
    rt, team, user = heard.rt, heard.team, heard.user
    chosen = str(heard.action.get("action_id") or "")
    if chosen == ids.NOTIFY_QUIET_OFF:
        await notify.save_quiet(rt, team=team, user=user, span=None)
    else:
        shown = {name: _picked(heard.body, name) for name in (ids.NOTIFY_QUIET_FROM, ids.NOTIFY_QUIET_TO)}
        shown[chosen] = heard.action.get("selected_time")  # the picker just changed, whatever the state says
        start, end = shown[ids.NOTIFY_QUIET_FROM], shown[ids.NOTIFY_QUIET_TO]
        saved, refused = await notify.quiet_from_home(rt, team=team, user=user, start=start, end=end)
        if refused is not None:
            await say_in_thread(heard.client, Requester(team, user), refused)
        elif saved is None:  # one end is still to be picked: the tab stays as the person left it
            return
    await _publish(rt, heard.client, heard.directory, team, user)
