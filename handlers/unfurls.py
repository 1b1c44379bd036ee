"""Links pasted into Slack (`link_shared`): acknowledged at once, then their cards are read and
put under the links in one `chat.unfurl`. Refusals are silent: a link the person may not read
simply stays a link."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting.unfurling import Pasted, pasted, post_unfurls
from bot.runtime import Runtime
from bot.services import changes, unfurls
from bot.services.changes import NO_MENUS
from bot.slack.directory import Directory, SlackBusy
from bot.trackers.models import Issue
from handlers.listening import Heard, listener

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    cache = unfurls.card_cache()  # one per app: the same link pasted again is read once

    @listener("unfurl", answers=False)
    async def link_shared(heard: Heard) -> None:
        where = pasted(heard.body.get("team_id"), heard.body.get("event") or {})
        if where is not None:
            await _unfurl(heard.rt, heard.client, heard.directory, where, cache)

    app.event("link_shared")(link_shared)


async def _unfurl(
    rt: Runtime, client: AsyncWebClient, directory: Directory, where: Pasted, cache: unfurls.CardCache
) -> None:
    try:
        person = await directory.person(client, where.team, where.user)
    except SlackBusy:  # Slack sends the event again for the next message with the link
        log.info("unfurl skipped: Slack could not say who %s is just now", where.user)
        return
    found = await unfurls.unfurls(rt, team=where.team, person=person, urls=where.urls, cache=cache)
    issues = any(isinstance(unfurl.card, Issue) for unfurl in found)
    await post_unfurls(client, where, found, rt.clock().date(), await changes.menus(rt) if issues else NO_MENUS)
