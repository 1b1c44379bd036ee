"""Unfurls in Slack: where a `link_shared` event's links were pasted, and the one `chat.unfurl`
that puts their cards under them (the message's `channel` + `ts`, or, while the person is still
typing, the composer's `unfurl_id` + `source`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.changes import NO_MENUS, Menus
from bot.services.unfurls import Card, Unfurl
from bot.trackers.models import Asset, Issue
from bot.views import cards

log = logging.getLogger(__name__)

COMPOSER = "composer"


@dataclass(frozen=True)
class Pasted:
    """Who pasted links where (`source` "composer": still typing, `unfurl_id` names the draft;
    else the posted message `channel` + `ts`), and the links as Slack sent them."""

    team: str
    user: str
    channel: str
    ts: str
    unfurl_id: str
    source: str
    urls: list[str]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def pasted(team: object, event: Mapping[str, Any]) -> Pasted | None:
    """The event read defensively; None when it names no one, or nowhere an unfurl can go."""
    links = event.get("links")
    urls = [_text(link.get("url")) for link in links if isinstance(link, dict)] if isinstance(links, list) else []
    found = Pasted(
        team=_text(team),
        user=_text(event.get("user")),
        channel=_text(event.get("channel")),
        ts=_text(event.get("message_ts")),
        unfurl_id=_text(event.get("unfurl_id")),
        source=_text(event.get("source")),
        urls=[url for url in urls if url],
    )
    where = found.unfurl_id if found.source == COMPOSER else found.channel and found.ts
    return found if found.user and where and found.urls else None


def card_blocks(card: Card, today: date, menus: Menus = NO_MENUS) -> list[Block]:
    """The card a command shows for the same item (an issue's with the site's `menus`)."""
    if isinstance(card, Issue):
        return cards.issue_card(card, today, priorities=menus.priorities, substatuses=menus.substatuses)
    if isinstance(card, Asset):
        return cards.asset_card(card)
    return cards.project_card(card, today)


async def post_unfurls(
    client: AsyncWebClient, where: Pasted, found: Sequence[Unfurl], today: date, menus: Menus = NO_MENUS
) -> bool:
    """One `chat.unfurl` with every card; nothing when there is none. False when Slack refused
    it (logged: the links simply stay plain, and the channel hears nothing)."""
    if not found:
        return False
    unfurls = {unfurl.url: {"blocks": cards.as_dicts(card_blocks(unfurl.card, today, menus))} for unfurl in found}
    try:
        if where.source == COMPOSER:
            await client.chat_unfurl(unfurl_id=where.unfurl_id, source=COMPOSER, unfurls=unfurls)
        else:
            await client.chat_unfurl(channel=where.channel, ts=where.ts, unfurls=unfurls)
    except SlackApiError as exc:
        log.warning("chat.unfurl refused: %s", exc.response.get("error"))
        return False
    return True
