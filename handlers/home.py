"""The App Home tab, published when a person opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.running.runtime import Runtime
from bot.services import home
from bot.slack.people import Directory, SlackBusy
from bot.views.home import home_view
from handlers.context import directory_of, runtime_of

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)


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
            watches=page.watches,
            examples=page.examples,
            audit=page.audit,
        ),
    )
