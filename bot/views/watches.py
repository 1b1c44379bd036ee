"""Watch news as messages: one piece of news about one watched item (what changed, new public
notes, or that it can no longer be read). The cards' "Watch here" button is in `cards`.

The news body is what the poll recorded (`bot.services.watches`): `item` is mrkdwn already
escaped; every tracker value in it is escaped here."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot import messages
from bot.slack.notes_html import safe_url
from bot.views.mrkdwn import escape, truncate
from bot.views.sentence_blocks import said


def _value(value: Any) -> str:
    return escape(truncate(str(value), 200)) if value not in (None, "") else messages.WATCH_NOTHING


def news_lines(body: dict[str, Any]) -> list[str]:
    """The news as lines of mrkdwn: what changed, then the new notes."""
    if body.get("gone"):
        return [messages.WATCH_GONE.format(item=body.get("item", ""), reason=escape(str(body["gone"])))]
    lines = [
        messages.WATCH_CHANGED.format(
            field=messages.WATCH_FIELD_NAMES.get(str(name), escape(str(name))), old=_value(old), new=_value(new)
        )
        for name, old, new in body.get("changes") or []
    ]
    if by := body.get("by"):  # a change made from Slack: named once, by who made it
        lines = [messages.CHANGE_WATCH_BY.format(line=line, person=escape(str(by))) for line in lines]
    lines += [
        messages.WATCH_NOTE.format(author=_value(note.get("author")), text=_value(note.get("text")))
        for note in body.get("notes") or []
    ]
    if more := int(body.get("more_notes") or 0):
        lines.append(messages.WATCH_MORE_NOTES.format(count=more))
    return lines


def news_title(body: dict[str, Any]) -> str:
    """ "News of <item>", the item linked to its page (`item` is mrkdwn the poll escaped)."""
    href = safe_url(body.get("url"))
    item = str(body.get("item", "")).replace("\n", " ")
    return messages.WATCH_NEWS_OF.format(item=f"<{escape(href)}|{item}>" if href else item)


def news_text(body: dict[str, Any]) -> str:
    """The notification text (plain enough for a phone's banner)."""
    return "\n".join([news_title(body), *news_lines(body)])


def news_blocks(body: dict[str, Any]) -> list[Block]:
    return said("\n".join([f"*{news_title(body)}*", *(f"• {line}" for line in news_lines(body))]))
