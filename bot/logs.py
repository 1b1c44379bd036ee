"""Logging set-up, with a filter that masks secrets in every line at every level: the
configured secrets themselves, and anything shaped like a Slack token, a JWT, a bearer token or
an Issuetrak signature, including inside formatted exceptions."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

MASK = "[redacted]"
_SHAPES = re.compile(
    r"xox[abposre]-[A-Za-z0-9-]+"                       # Slack bot/user/app tokens
    r"|xapp-[A-Za-z0-9-]+"                              # Slack app-level tokens
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # JWTs
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"               # bearer credentials
    r"|(?i:x-issuetrak-api-authorization['\"]?\s*[:=,]\s*['\"]?)[A-Za-z0-9+/=]+"
)


class SecretMasker(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _SHAPES.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.mask("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def configure(level: str, secrets: Iterable[str] = ()) -> SecretMasker:
    """Log to stderr through the masking filter (on the handler, so every logger's lines pass it)."""
    masker = SecretMasker(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(masker)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return masker
