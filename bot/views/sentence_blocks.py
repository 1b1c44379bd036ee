"""Short answers about a person's own request: sentences from `bot.messages` whose variable
parts were escaped (or are our own links), shown as mrkdwn; optionally with a button."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.views.limits import BUTTON_TEXT_LIMIT, BUTTON_VALUE_LIMIT, SECTION_LIMIT
from bot.views.text import truncate, truncate_mrkdwn


def notice(mrkdwn: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(mrkdwn, SECTION_LIMIT) or "—"))]


def retry_notice(mrkdwn: str, action_id: str, value: str, button: str) -> list[Block]:
    """A failure the person can retry with one click."""
    return [
        *notice(mrkdwn),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=PlainTextObject(text=truncate(button, BUTTON_TEXT_LIMIT)),
                    action_id=action_id,
                    value=value[:BUTTON_VALUE_LIMIT],
                ),
            ]
        ),
    ]
