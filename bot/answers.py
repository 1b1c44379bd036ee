"""Telling a person how their write went, outside the request that asked for it."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store.records import Requester

log = logging.getLogger(__name__)


async def tell(client: AsyncWebClient, requester: Requester, sentence: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """Answer in the message's thread; if the bot may not post there (or there is no thread),
    tell the person in a direct message."""
    if requester.channel_id and requester.thread_ts:
        try:
            await client.chat_postMessage(channel=requester.channel_id, thread_ts=requester.thread_ts,
                                          text=sentence, blocks=blocks, unfurl_links=False)
            return
        except SlackApiError as exc:
            log.info("cannot answer in the thread (%s); telling the person", exc.response.get("error"))
    await client.chat_postMessage(channel=requester.user_id, text=sentence, blocks=blocks, unfurl_links=False)
