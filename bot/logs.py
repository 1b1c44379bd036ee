"""Logging set-up, with a filter that masks secrets in every line at every level: the
configured secrets themselves (as written, URL-encoded or JSON-escaped), and anything shaped
like a Slack token, a JWT, a bearer or basic credential, an authorization header (Issuetrak's
signature included) or a key, token, secret or password given as `name=value` or `"name": value`,
including inside formatted exceptions and stack traces."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words

_SHAPES = re.compile(
    r"xox[a-z]-[A-Za-z0-9-]+"                                      # Slack bot/user/app/refresh tokens
    r"|xapp-[A-Za-z0-9-]+"                                         # Slack app-level tokens
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"          # JWTs
    r"|(?i:\bbearer)\s+[A-Za-z0-9._~+/=-]{8,}"                     # bearer credentials
    r"|\bBasic\s+[A-Za-z0-9+/=]{8,}"                                # basic credentials
)
# A named credential: the name is kept, its value masked. Covers headers as httpx and dicts
# print them ('x-issuetrak-api-authorization': '…', Authorization: Bearer …), query strings
# (?api_key=…&token=…) and JSON bodies ("password": "…").
_NAMED = re.compile(
    r"(?i)((?:[\w-]*authorization|[\w-]*api[_-]?key|[\w-]*token|[\w-]*secret|password|passwd|signature)"
    r"['\"]?\s*[:=]\s*['\"]?(?:(?:bearer|basic|token)\s+)?)"
    r"(?!\[redacted\])([^\s'\",&;}\]]+)"
)


def _variants(secret: str) -> set[str]:
    """How a secret may appear in a line: as is, URL-encoded, or inside a JSON string."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


class SecretMasker(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        found = {v for s in secrets if s and len(s) >= MIN_SECRET_LENGTH for v in _variants(s)}
        self.secrets = sorted(found, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _SHAPES.sub(MASK, text)
        return _NAMED.sub(lambda m: m.group(1) + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break the caller
            message = f"{record.msg!s} {record.args!r}"
        record.msg = self.mask(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:  # also when another handler formatted it first
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def configure(level: str, secrets: Iterable[str] = (), *, stream: TextIO | None = None) -> SecretMasker:
    """Log to `stream` (stderr) through the masking filter, on the handler, so every logger's
    lines pass it."""
    masker = SecretMasker(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(masker)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return masker
