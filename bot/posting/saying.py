"""Telling a person how their write went, outside the request that asked for it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.services.writes import Outcome, Result
from bot.store.models import Requester
from bot.views import cards, ids, sentence_blocks

log = logging.getLogger(__name__)


async def say_in_thread(
    client: AsyncWebClient, requester: Requester, sentence: str, blocks: list[dict[str, Any]] | None = None
) -> bool:
    """Answer in the message's thread; if the bot may not post there (or there is no thread),
    tell the person in a direct message. False when Slack took neither: telling is the last step
    of work already done, so a refusal is logged rather than raised into the outbox worker."""
    channel, thread = requester.channel_id, requester.thread_ts
    if (
        channel
        and thread
        and await _posted(
            requester,
            "the thread",
            client.chat_postMessage(
                channel=channel, thread_ts=thread, text=sentence, blocks=blocks, unfurl_links=False
            ),
        )
    ):
        return True
    return await _say_in_dm(client, requester, sentence, blocks)


async def say_to_person(
    client: AsyncWebClient, requester: Requester, sentence: str, blocks: list[dict[str, Any]] | None = None
) -> bool:
    """Tell only the person: ephemeral in the message's thread, else (no thread, or Slack
    refused) in a direct message. False when Slack took neither."""
    channel, thread = requester.channel_id, requester.thread_ts
    if (
        channel
        and thread
        and await _posted(
            requester,
            "the thread (ephemeral)",
            client.chat_postEphemeral(
                channel=channel, user=requester.user_id, thread_ts=thread, text=sentence, blocks=blocks
            ),
        )
    ):
        return True
    return await _say_in_dm(client, requester, sentence, blocks)


async def _say_in_dm(
    client: AsyncWebClient, requester: Requester, sentence: str, blocks: list[dict[str, Any]] | None
) -> bool:
    return await _posted(
        requester,
        "a DM",
        client.chat_postMessage(channel=requester.user_id, text=sentence, blocks=blocks, unfurl_links=False),
    )


async def _posted(requester: Requester, where: str, post: Awaitable[Any]) -> bool:
    """Whether Slack took the message; a refusal is logged."""
    try:
        await post
        return True
    except SlackApiError as exc:
        reason = str(exc.response.get("error"))
    except Exception as exc:  # noqa: BLE001 - Slack unreachable: the worker must go on
        reason = type(exc).__name__
    log.warning("could not tell %s in %s: %s", requester.user_id, where, reason)
    return False


def outcome_blocks(outcome: Outcome) -> list[dict[str, Any]] | None:
    """A failed write's sentence with a "Try again" button, a change refused for a conflict with
    "Apply anyway"; None (text only) for the others."""
    if outcome.result is Result.CONFLICT and outcome.item_id is not None:
        return cards.as_dicts(
            sentence_blocks.said_with_button(
                outcome.sentence, ids.CHANGE_ANYWAY, str(outcome.item_id), messages.CHANGE_APPLY_ANYWAY
            )
        )
    if outcome.result is not Result.FAILED or outcome.item_id is None:
        return None
    return cards.as_dicts(
        sentence_blocks.said_with_button(
            outcome.sentence, ids.OUTBOX_RETRY, str(outcome.item_id), messages.RETRY_BUTTON
        )
    )


async def say_outcome(client: AsyncWebClient, requester: Requester, outcome: Outcome) -> bool:
    """Tell how a write went, with the retry button when it failed. Only the success of a public
    write is said in the message's thread; everything else (saved for later, a failure and its
    details, a private note, a missing Issuetrak user and the email it was looked up by) goes to
    the person alone."""
    say = say_in_thread if outcome.public else say_to_person
    return await say(client, requester, outcome.sentence, outcome_blocks(outcome))
