"""The link request an admin decides: both identities side by side, with Approve and Deny."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, PlainTextObject, SectionBlock

from bot import messages
from bot.slack.directory import SlackPerson
from bot.trackers.models import Person
from bot.views import ids
from bot.views.cards import as_dicts
from bot.views.mrkdwn import escape, truncate

FIELD_PART = 300  # each name or email shown is cut to this many characters


def _part(value: str | None) -> str:
    return escape(truncate(" ".join((value or "(none)").split()), FIELD_PART))


def request_blocks(request_id: int, person: SlackPerson, user: Person) -> list[dict[str, Any]]:
    """The request as a direct message to an admin; the buttons carry the request's id."""
    slack = messages.LINK_REQUEST_SLACK.format(name=_part(person.name), id=_part(person.id), email=_part(person.email))
    issuetrak = messages.LINK_REQUEST_ISSUETRAK.format(
        name=_part(user.name), id=_part(user.id), email=_part(user.email)
    )
    return as_dicts(
        [
            SectionBlock(
                text=MarkdownTextObject(
                    text=messages.LINK_REQUEST_TITLE.format(person=escape(person.id), user=_part(user.id))
                )
            ),
            SectionBlock(fields=[MarkdownTextObject(text=slack), MarkdownTextObject(text=issuetrak)]),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text=messages.APPROVE_BUTTON),
                        action_id=ids.LINK_APPROVE,
                        value=str(request_id),
                        style="primary",
                    ),
                    ButtonElement(
                        text=PlainTextObject(text=messages.DENY_BUTTON),
                        action_id=ids.LINK_DENY,
                        value=str(request_id),
                        style="danger",
                    ),
                ]
            ),
        ]
    )
