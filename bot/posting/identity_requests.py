"""Link requests at the Slack edge: the identity service decides, this module sends.

`/tracker link <id>` to a user whose email is not the person's becomes a request: each admin
gets it by direct message (`bot.views.identity_request_card` draws it), and the service hears whom it reached
(none: it is withdrawn). An admin's Approve or Deny is decided by the service; the requester is
told the outcome here, by direct message. Whenever an admin would tie someone to an Issuetrak user,
the service first asks Slack here whether another person's Slack email is that user's.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import identity
from bot.slack.directory import SlackPerson, email_owner
from bot.views import identity_request_card

log = logging.getLogger(__name__)


async def link_self(rt: Runtime, client: AsyncWebClient, *, team: str, person: SlackPerson, issuetrak_user: str) -> str:
    """`/tracker link <id>`: the sentence for the person, after any request went to the admins."""
    asked = await identity.link_self(
        rt, team=team, person=person, issuetrak_user=issuetrak_user, owner_of=_owners(client)
    )
    if isinstance(asked, str):
        return asked
    blocks = identity_request_card.request_blocks(asked.id, asked.person, asked.user)
    text = messages.LINK_REQUEST_TEXT.format(person=asked.person.id, user=asked.user.id)
    told = [admin for admin in asked.admins if await _say_in_dm(client, admin, text, blocks)]
    return await identity.request_sent(rt, team=team, request=asked, told=told)


async def decide(
    rt: Runtime, client: AsyncWebClient, *, team: str, admin: str, value: str, approve: bool
) -> identity.Answer:
    """An Approve or Deny click: the service's answer for the clicking admin, once the requester
    was told the outcome (when the click decided it)."""
    answer = await identity.decide(rt, team=team, admin=admin, value=value, approve=approve, owner_of=_owners(client))
    if answer.requester is not None:
        await _say_in_dm(client, answer.requester, answer.told)
    return answer


async def link_other(
    rt: Runtime, client: AsyncWebClient, *, team: str, admin: str, person: str, issuetrak_user: str
) -> str:
    """`/tracker link @person <id>`: the service's sentence for the admin."""
    return await identity.link_other(
        rt, team=team, admin=admin, person=person, issuetrak_user=issuetrak_user, owner_of=_owners(client)
    )


def _owners(client: AsyncWebClient) -> identity.EmailOwner:
    return lambda email: email_owner(client, email)


async def _say_in_dm(client: AsyncWebClient, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> bool:
    """A direct message from the bot; False (logged) when Slack refused it."""
    try:
        opened = await client.conversations_open(users=user)
        await client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not send a direct message to %s: %s", user, exc.response.get("error"))
        return False
    return True
