"""Tests of the Block Kit views. The checks below are Slack's documented limits (docs/slack.md) and
the mrkdwn safety rule, applied to the JSON a view produces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# Our own links are `<http(s)://…|label>`; anything else in angle brackets would be Slack markup.
_OUR_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>]*>")
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")

MESSAGE_JSON_BUDGET = 15_000  # docs/slack.md: keep a message's blocks to a few thousand characters


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside `node`, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def mrkdwn_texts(node: Any) -> list[str]:
    return [obj["text"] for obj in walk(node) if obj.get("type") == "mrkdwn"]


def assert_safe_mrkdwn(text: str) -> None:
    """No Slack markup but our own http(s) links, and every `&` starts one of Slack's entities."""
    bare = _OUR_LINK.sub("", text)
    assert "<" not in bare and ">" not in bare, text
    assert not _ENTITY.search(text), text


def assert_within_limits(blocks: list[dict[str, Any]], *, max_blocks: int = 50) -> None:
    assert 0 < len(blocks) <= max_blocks
    for obj in walk(blocks):
        kind = obj.get("type")
        if kind in ("plain_text", "mrkdwn"):
            assert obj["text"].strip(), obj
        if kind == "section":
            assert len(obj.get("text", {}).get("text", "")) <= 3000
            assert len(obj.get("fields", [])) <= 10
            assert all(len(field["text"]) <= 2000 for field in obj.get("fields", []))
        elif kind == "header":
            assert len(obj["text"]["text"]) <= 150
        elif kind == "context":
            assert len(obj["elements"]) <= 10
            assert all(len(element["text"]) <= 2000 for element in obj["elements"])
        elif kind == "actions":
            assert len(obj["elements"]) <= 25
        elif kind == "button":
            assert len(obj["text"]["text"]) <= 75
            assert len(obj.get("value", "")) <= 2000 and len(obj.get("url", "")) <= 3000
        elif kind == "static_select" or kind == "checkboxes":
            assert 0 < len(obj["options"]) <= 100
            for option in obj["options"]:
                assert 0 < len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150
        elif kind == "plain_text_input":
            assert 1 <= obj.get("max_length", 3000) <= 3000
            assert len(obj.get("initial_value", "")) <= obj.get("max_length", 3000)
    if max_blocks == 50:
        assert len(json.dumps(blocks, ensure_ascii=False)) <= MESSAGE_JSON_BUDGET
