"""Signed `private_metadata` for modals: what a modal remembers about where it came from
(channel, message, person) comes back on submission, and a forged, altered or stale copy is
refused. The signature covers the data and when it was signed; a copy older than `max_age`
(a modal left open for a day, or metadata lifted from an old payload) is refused too."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

MAX_LENGTH = 3000  # Slack's limit for private_metadata
MAX_AGE_SECONDS = 24 * 3600.0
CLOCK_SKEW_SECONDS = 60.0  # signed "in the future" by at most this much (several processes' clocks)
_SIGNED_AT = "_at"


class MetadataSigner:
    def __init__(self, key: bytes, *, max_age: float = MAX_AGE_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._max_age = max_age
        self.clock = clock  # seconds since the epoch; tests move it

    def _mac(self, payload: bytes) -> bytes:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18])

    def sign(self, data: dict[str, Any]) -> str:
        if _SIGNED_AT in data:
            raise ValueError(f"{_SIGNED_AT} is the signer's own key")
        body = json.dumps({**data, _SIGNED_AT: int(self.clock())}, separators=(",", ":"))
        payload = base64.urlsafe_b64encode(body.encode())
        signed = (payload + b"." + self._mac(payload)).decode()
        if len(signed) > MAX_LENGTH:
            raise ValueError("modal metadata too long")
        return signed

    def verify(self, signed: object) -> dict[str, Any] | None:
        """The data, or None when the metadata is missing, malformed, not ours or too old."""
        if not isinstance(signed, str) or not signed.isascii() or signed.count(".") != 1 or len(signed) > MAX_LENGTH:
            return None
        payload, mac = (part.encode() for part in signed.split("."))
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(data, dict):
            return None
        signed_at = data.pop(_SIGNED_AT, None)
        if not isinstance(signed_at, int) or isinstance(signed_at, bool):
            return None
        age = self.clock() - signed_at
        if age > self._max_age or age < -CLOCK_SKEW_SECONDS:
            return None
        return data
