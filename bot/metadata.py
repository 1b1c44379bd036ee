"""Signed `private_metadata` for modals: what a modal remembers about where it came from
(channel, message, person) comes back on submission, and a forged or altered copy is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

MAX_LENGTH = 3000  # Slack's limit for private_metadata


class MetadataSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def sign(self, data: dict[str, Any]) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
        signed = f"{payload}.{self._mac(payload.encode())}"
        if len(signed) > MAX_LENGTH:
            raise ValueError("modal metadata too long")
        return signed

    def verify(self, signed: str | None) -> dict[str, Any] | None:
        """The data, or None when the metadata is missing, malformed or not ours."""
        if not signed or signed.count(".") != 1:
            return None
        payload, mac = signed.split(".")
        if not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
