"""Approve and Deny on a link request sent to the admins."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.posting import identity_requests
from bot.views import ids
from handlers.listening import Heard, aside, listener
from handlers.replies import say


def register(app: AsyncApp) -> None:
    app.action(ids.LINK_APPROVE)(approve_link)
    app.action(ids.LINK_DENY)(deny_link)


@listener("link decision")
async def approve_link(heard: Heard) -> None:
    await _answer(heard, approve=True)


@listener("link decision")
async def deny_link(heard: Heard) -> None:
    await _answer(heard, approve=False)


async def _answer(heard: Heard, *, approve: bool) -> None:
    """The decision replaces the request (no button left to click twice); a refusal is said to the
    clicker alone, beside the request."""
    answer = await identity_requests.decide(
        heard.rt, heard.client, team=heard.team, admin=heard.user, value=heard.value, approve=approve
    )
    await say(heard.reply if answer.replace else aside(heard.reply), answer.sentence)
