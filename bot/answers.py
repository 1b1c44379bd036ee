"""Telling a person how their write went, outside the request that asked for it."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.services.writes import Outcome, Result
from bot.store.records import Requester
from bot.views import cards, ids, notices

log = logging.getLogger(__name__)


async def tell(client: AsyncWebClient, requester: Requester, sentence: str,
               blocks: list[dict[str, Any]] | None = None) -> bool:
    """Answer in the message's thread; if the bot may not post there (or there is no thread),
    tell the person in a direct message. False when Slack took neither: telling is the last step
    of work already done, so a refusal is logged rather than raised into the outbox worker."""
    places = [(requester.channel_id, requester.thread_ts)] if requester.channel_id and requester.thread_ts else []
    for channel, thread_ts in [*places, (requester.user_id, None)]:
        try:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=sentence, blocks=blocks,
                                          unfurl_links=False)
            return True
        except SlackApiError as exc:
            reason = str(exc.response.get("error"))
        except Exception as exc:  # noqa: BLE001 - Slack unreachable: the worker must go on
            reason = type(exc).__name__
        log.warning("could not tell %s in %s: %s", requester.user_id, "the thread" if thread_ts else "a DM", reason)
    return False


def outcome_blocks(outcome: Outcome) -> list[dict[str, Any]] | None:
    """A failed write's sentence with a "Try again" button; None (text only) for the others."""
    if outcome.result is not Result.FAILED or outcome.item_id is None:
        return None
    return cards.as_dicts(notices.retry_notice(outcome.sentence, ids.OUTBOX_RETRY, str(outcome.item_id),
                                               messages.RETRY_BUTTON))


async def tell_outcome(client: AsyncWebClient, requester: Requester, outcome: Outcome) -> bool:
    """`tell` the outcome of a write, with the retry button when it failed."""
    return await tell(client, requester, outcome.sentence, outcome_blocks(outcome))
