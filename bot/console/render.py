"""Block Kit (messages and modals) as readable terminal text.

Only what the app posted is rendered here; nothing decides what the bot says. Headers become a
title line, section fields `Label: value`, mrkdwn links `label (url)`, context lines a dimmed
`›` line, actions `[Refresh] [Open in Issuetrak]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Block = Mapping[str, Any]

RULE = "─" * 40
_DIM, _BOLD, _RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"
_ANGLE = re.compile(r"<([^<>]+)>")
_FIELD = re.compile(r"\A\*([^*\n]+)\*\n(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Style:
    """ANSI emphasis for a terminal; plain text otherwise (pipes, files, tests)."""

    color: bool = False

    def dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.color and text else text

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.color and text else text


PLAIN = Style()


# --- text ------------------------------------------------------------------------------------


def _angle(match: re.Match[str], name_of: Callable[[str], str | None]) -> str:
    """One `<…>` construct of mrkdwn: a link, a mention, a channel or a special mention."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or name_of(target[1:]) or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    if label and label != target:
        return f"{label} ({target})"
    return target


def mrkdwn(text: str, name_of: Callable[[str], str | None] = lambda _: None) -> str:
    """Slack mrkdwn as terminal text: `<url|label>` as `label (url)`, mentions as `@name`,
    the three escapes undone; `*bold*` and `_italics_` are left as typed."""
    shown = _ANGLE.sub(lambda m: _angle(m, name_of), text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: Mapping[str, Any] | None, name_of: Callable[[str], str | None] = lambda _: None) -> str:
    """The words of a text object (plain_text or mrkdwn)."""
    if not obj:
        return ""
    text = str(obj.get("text") or "")
    return mrkdwn(text, name_of) if obj.get("type") == "mrkdwn" else text


def _field(obj: Mapping[str, Any], name_of: Callable[[str], str | None]) -> str:
    """`*Status*\\nOpen` as `Status: Open`; any other field as written."""
    raw = str(obj.get("text") or "")
    match = _FIELD.match(raw) if obj.get("type") == "mrkdwn" else None
    if match is None:
        return text_of(obj, name_of)
    value = mrkdwn(match.group(2), name_of).replace("\n", " · ")
    return f"{mrkdwn(match.group(1), name_of)}: {value}"


# --- elements --------------------------------------------------------------------------------


def element_label(element: Mapping[str, Any]) -> str:
    """How an interactive element shows on a card: a button by its text, a menu by its choice."""
    kind = element.get("type")
    if kind == "button":
        return text_of(element.get("text")) or "button"
    chosen = element.get("initial_option") or {}
    shown = (
        text_of(chosen.get("text"))
        or element.get("initial_date")
        or element.get("initial_time")
        or text_of(element.get("placeholder"))
        or str(kind)
    )
    return f"{shown} ▾"


def _elements_line(elements: Iterable[Mapping[str, Any]]) -> str:
    return " ".join(f"[{element_label(element)}]" for element in elements)


MENUS = frozenset({"static_select", "users_select", "datepicker", "timepicker"})


def menus(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """Every menu of a message's actions blocks (a select, a user picker, a date or time picker), with
    the block it sits in, as `buttons` gives buttons."""
    return [
        {**element, "_block_id": str(block.get("block_id") or f"b{index}")}
        for index, block in enumerate(blocks)
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if element.get("type") in MENUS
    ]


def menu_name(element: Mapping[str, Any]) -> str:
    """A menu by what it asks for (its placeholder: "Priority", "Assign…")."""
    return text_of(element.get("placeholder")) or str(element.get("type"))


def buttons(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """Every button of a message, with the block it sits in (`block_id` added when missing)."""
    found: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"b{index}")
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        accessory = block.get("accessory")
        if block.get("type") == "section" and accessory:
            candidates.append(accessory)
        found += [{**element, "_block_id": block_id} for element in candidates if element.get("type") == "button"]
    return found


# --- blocks ----------------------------------------------------------------------------------


def block_lines(
    blocks: Iterable[Block], style: Style = PLAIN, name_of: Callable[[str], str | None] = lambda _: None
) -> list[str]:
    """The lines a person would read for `blocks`, in order (input blocks are left to the
    modal walk-through)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(style.bold(text_of(block.get("text"), name_of)))
        elif kind == "section":
            if block.get("text"):
                lines += text_of(block["text"], name_of).split("\n")
            lines += [_field(field, name_of) for field in block.get("fields") or []]
            accessory = block.get("accessory")
            if accessory and accessory.get("type") != "image":
                lines.append(_elements_line([accessory]))
        elif kind == "context":
            parts = [text_of(e, name_of) if e.get("type") != "image" else "" for e in block.get("elements") or []]
            lines.append(style.dim("› " + " · ".join(p for p in parts if p)))
        elif kind == "divider":
            lines.append(style.dim(RULE))
        elif kind == "actions":
            lines.append(_elements_line(block.get("elements") or []))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text') or block.get('image_url', '')}]")
        elif kind == "rich_text":
            lines.append(_rich_text(block))
    return lines


def _rich_text(block: Block) -> str:
    """Rich text (what people type) flattened to its words."""
    words: list[str] = []

    def walk(node: Mapping[str, Any]) -> None:
        if "text" in node and isinstance(node["text"], str):
            words.append(node["text"])
        elif node.get("type") == "link":
            words.append(str(node.get("url", "")))
        for child in node.get("elements") or []:
            walk(child)

    walk(block)
    return "".join(words)


def message_lines(
    text: str | None,
    blocks: Iterable[Block] | None,
    style: Style = PLAIN,
    name_of: Callable[[str], str | None] = lambda _: None,
) -> list[str]:
    """A message: its blocks, or its text when it has none (Slack shows `text` only then)."""
    shown = block_lines(blocks or [], style, name_of)
    if shown:
        return shown
    return mrkdwn(text or "", name_of).split("\n")


# --- modals ----------------------------------------------------------------------------------


def inputs(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The input blocks of a modal, in order."""
    return [dict(block) for block in view.get("blocks") or [] if block.get("type") == "input"]


def modal_lines(view: Mapping[str, Any], style: Style = PLAIN) -> list[str]:
    """A modal's title and what it says (its inputs are asked for one by one afterwards)."""
    title = text_of(view.get("title")) or "Modal"
    return [style.bold(f"┌ {title}")] + ["│ " + line for line in block_lines(view.get("blocks") or [], style)]
