"""Slack's rich text (a `rich_text` block, what a Workflow Builder rich-text input carries) as
mrkdwn in Slack's own escaped form, so notes made from it go through the one mrkdwn-to-HTML path
(`bot.slack.notes_html`). Unknown elements are skipped, never guessed at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

_MARKS = (("code", "`"), ("bold", "*"), ("italic", "_"), ("strike", "~"))


def is_rich_text(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping) and value.get("type") == "rich_text" and isinstance(value.get("elements"), list)


def rich_text_to_mrkdwn(value: Mapping[str, Any]) -> str:
    """The block's sections, lists, quotes and code blocks as mrkdwn lines."""
    return "\n".join(_block(element) for element in _elements(value)).strip("\n")


def _elements(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in node.get("elements") or [] if isinstance(e, Mapping)]


def _block(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "rich_text_section":
        return _inline(element)
    if kind == "rich_text_list":
        ordered = element.get("style") == "ordered"
        return "\n".join(
            f"{n}. {_inline(item)}" if ordered else f"• {_inline(item)}"
            for n, item in enumerate(_elements(element), start=1)
        )
    if kind == "rich_text_quote":
        return "\n".join(f"> {line}" for line in _inline(element).split("\n"))
    if kind == "rich_text_preformatted":
        return f"```{_inline(element)}```"
    return ""


def _inline(section: Mapping[str, Any]) -> str:
    return "".join(_piece(piece) for piece in _elements(section))


def _piece(piece: Mapping[str, Any]) -> str:
    kind = piece.get("type")
    if kind == "text":
        return _styled(_escape(str(piece.get("text") or "")), piece.get("style"))
    if kind == "link":
        url, label = _escape(str(piece.get("url") or "")), _escape(str(piece.get("text") or ""))
        return f"<{url}|{label}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{_escape(str(piece.get('user_id') or ''))}>"
    if kind == "channel":
        return f"<#{_escape(str(piece.get('channel_id') or ''))}>"
    if kind == "emoji":
        return f":{_escape(str(piece.get('name') or ''))}:"
    return ""


def _styled(text: str, style: Any) -> str:
    if not isinstance(style, Mapping) or not text.strip():
        return text
    for key, mark in _MARKS:
        if style.get(key) is True:
            text = f"{mark}{text}{mark}"
    return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
