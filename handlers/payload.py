"""Reading the parts of a Slack request body every listener needs, whatever its shape."""

from __future__ import annotations

from typing import Any


def body_id(body: dict[str, Any], key: str) -> str:
    """The `id` of the body's `key` part ("team", "user", "channel"), as Slack sends it; "" when
    the part is missing or not what Slack sends (a malformed body names nobody)."""
    part = body.get(key)
    value = part.get("id") if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""
