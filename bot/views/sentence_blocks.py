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

from bot.views.text import truncate, truncate_mrkdwn

SECTION_LIMIT = 3000


def notice(mrkdwn: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(mrkdwn, SECTION_LIMIT) or "—"))]


def retry_notice(mrkdwn: str, action_id: str, value: str, button: str) -> list[Block]:
    """A failure the person can retry with one click."""
    return [
        *notice(mrkdwn),
        ActionsBlock(
            elements=[
                ButtonElement(text=PlainTextObject(text=truncate(button, 75)), action_id=action_id, value=value[:2000]),
            ]
        ),
    ]
