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
from bot.views.mrkdwn import escape, truncate, truncate_mrkdwn


def said(sentence: str, *, as_written: bool = False) -> list[Block]:
    """One sentence said to a person, as one section: `sentence` is mrkdwn from `bot.messages`
    whose variable parts were escaped (or are our own links); `as_written` escapes it first, for
    text that is not mrkdwn (a parser's reason, a literal the person typed), so it formats nothing."""
    text = truncate_mrkdwn(escape(sentence) if as_written else sentence, SECTION_LIMIT)
    return [SectionBlock(text=MarkdownTextObject(text=text if text.strip() else "—"))]  # Slack refuses blank text


def said_with_button(mrkdwn: str, action_id: str, value: str, button: str) -> list[Block]:
    """A failure the person can retry with one click."""
    return [
        *said(mrkdwn),
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
