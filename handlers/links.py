"""Approve and Deny on a link request sent to the admins."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting import link_requests
from bot.runtime import Runtime
from bot.views import cards, ids, sentence_blocks
from handlers.context import runtime_of
from handlers.payload import body_id
from handlers.responding import Reply, guarded, show


def register(app: AsyncApp) -> None:
    app.action(ids.LINK_APPROVE)(approve_link)
    app.action(ids.LINK_DENY)(deny_link)


async def approve_link(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await _decide(ack, action, body, respond, client, context, approve=True)


async def deny_link(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await _decide(ack, action, body, respond, client, context, approve=False)


async def _decide(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    *,
    approve: bool,
) -> None:
    await ack()
    rt = runtime_of(context)
    admin = body_id(body, "user")
    team = body_id(body, "team")
    work = _answer(rt, client, respond, team=team, admin=admin, value=str(action.get("value") or ""), approve=approve)
    rt.spawn(guarded(respond, work, what="link decision"), name="link decision")


async def _answer(
    rt: Runtime, client: AsyncWebClient, respond: Reply, *, team: str, admin: str, value: str, approve: bool
) -> None:
    """The decision replaces the request (no button left to click twice); a refusal is said to the
    clicker alone, beside the request."""
    answer = await link_requests.decide(rt, client, team=team, admin=admin, value=value, approve=approve)
    if answer.replace:
        await show(respond, sentence_blocks.notice(answer.sentence), answer.sentence)
    else:
        await respond(
            text=answer.sentence,
            blocks=cards.as_dicts(sentence_blocks.notice(answer.sentence)),
            replace_original=False,
            response_type="ephemeral",
        )
