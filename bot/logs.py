"""Logging set-up, with a filter that masks secrets in every line at every level: the
configured secrets themselves (as written, URL-encoded or JSON-escaped), and anything shaped
like a Slack token, a JWT, a bearer or basic credential, an authorization header (Issuetrak's
signature included) or a key, token, secret or password given as `name=value` or `"name": value`,
including inside formatted exceptions and stack traces; and, since anyone holding one can post
into the channel or open the app's socket, Slack's response_url and webhook URLs and the Socket
Mode `ticket`.

Each message is cut to `MESSAGE_LIMIT` characters (tracebacks to `TRACE_LIMIT`) before it is
masked, and the patterns take time linear in the line, so no line can stall the process.

With `LOG_FORMAT=json` each line is one JSON object (`JsonFormatter`): time, level, logger,
message, the exception and stack as text, and, for the lines logged while a Slack request is
handled (and by the background work it starts, which inherits the context variable
`SLACK_REQUEST`), that request's id and its team and user ids. Every field passes the masker."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, TextIO
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words
MESSAGE_LIMIT = 4096  # characters of a message kept (and masked); the rest is counted, not logged
TRACE_LIMIT = 16384  # the same for a formatted exception or stack
WINDOW_MARGIN = 512  # masked beyond the cut, so a secret that straddles it is masked whole
ID_LIMIT = 64  # characters of a team or user id kept (Slack's are about 11)

# Every pattern below runs in time linear in the line: each alternative starts with a literal,
# and every run of characters is matched possessively (`++`, `*+`), so no position is scanned
# twice. (The old `[\w-]*token` prefix rescanned every run of word characters from each of its
# positions: 40k characters took 38 s.)
_TOKEN_RUN = r"[A-Za-z0-9_-]"
_SHAPES = re.compile(
    r"(?:xox[a-z]|xapp|xwfp)-[A-Za-z0-9-]++"  # Slack bot/user/refresh/app/workflow tokens
    rf"|eyJ{_TOKEN_RUN}*+(?P<jwt>\.{_TOKEN_RUN}++\.{_TOKEN_RUN}*+)?"  # JWTs (the whole run is taken; see _shape)
    r"|(?i:\bbearer)\s{1,8}+[A-Za-z0-9._~+/=-]{8,}+"  # bearer credentials
    r"|\bBasic\s{1,8}+[A-Za-z0-9+/=]{8,}+"  # basic credentials
    # Slack's response_url and incoming webhooks (anyone holding one can post to the channel),
    # as written or URL-encoded.
    r"|(?i:(?:https?(?::|%3A)(?://|%2F%2F))?hooks\.slack(?:-gov)?\.com(?:/|%2F)[^\s'\"<>&]++)"
)
# A named credential: the name is kept, its value masked. Covers headers as httpx and dicts
# print them ('x-issuetrak-api-authorization': '…', Authorization: Bearer …), query strings
# (?api_key=…&token=…), JSON bodies ("password": "…"), a `response_url` (whatever its host) and
# the Socket Mode `?ticket=` in the WebSocket URL.
_NAMED = re.compile(
    r"(?i)((?:authorization|api[_-]?key|token|secret|password|passwd|signature|response_url|(?<=[?&])ticket)"
    r"['\"]?\s{0,8}+[:=]\s{0,8}+['\"]?(?:(?:bearer|basic|token)\s{1,8}+)?)"
    r"(?!\[redacted\])([^\s'\",&;}\]]++)"
)
# slack_sdk's webhook client only ever posts to a response_url or an incoming webhook, so every
# URL in its lines is one, whatever its host.
WEBHOOK_LOGGER = "slack_sdk.webhook"
_URL = re.compile(r"(?i:https?)://[^\s'\",]++")


def _shape(match: re.Match[str]) -> str:
    """A shape's mask; a run that starts like a JWT but is not one (no two dots) stays as is."""
    text = match.group(0)
    return text if text.startswith("eyJ") and match.group("jwt") is None else MASK


def _variants(secret: str) -> set[str]:
    """How a secret may appear in a line: as is, URL-encoded, or inside a JSON string."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


class SecretMasker(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        found = {v for s in secrets if s and len(s) >= MIN_SECRET_LENGTH for v in _variants(s)}
        self.secrets = sorted(found, key=len, reverse=True)
        self._margin = max([WINDOW_MARGIN, *map(len, self.secrets)])

    def mask(self, text: str) -> str:
        """`text` with every secret masked, in time linear in its length."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _SHAPES.sub(_shape, text)
        return _NAMED.sub(lambda m: m.group(1) + MASK, text)

    def cut(self, text: str, limit: int = MESSAGE_LIMIT) -> str:
        """The first `limit` characters of `text`, masked, and how many more there were. A bit
        beyond the cut is masked too, so a secret that straddles it leaves no prefix behind."""
        if len(text) <= limit:
            return self.mask(text)
        head = self.mask(text[: limit + self._margin])[:limit]
        return f"{head}… [{len(text) - limit:,} more characters]"

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break the caller
            message = f"{record.msg!s} {record.args!r}"
        if record.name.startswith(WEBHOOK_LOGGER):
            message = _URL.sub(MASK, message)
        record.msg = self.cut(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:  # also when another handler formatted it first
            record.exc_text = self.cut(record.exc_text, TRACE_LIMIT)
        if record.stack_info:
            record.stack_info = self.cut(record.stack_info, TRACE_LIMIT)
        return True


# Characters some readers take for the end of a line (Python's str.splitlines, JavaScript) that
# json.dumps leaves as they are: escaped, so a message carrying one is still one line.
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


@dataclass(frozen=True)
class SlackRequest:
    """The Slack request being handled: an id of our own, and the team and user of its verified body."""

    id: str
    team: str | None = None
    user: str | None = None


SLACK_REQUEST: contextvars.ContextVar[SlackRequest | None] = contextvars.ContextVar("slack_request", default=None)


@contextmanager
def slack_request() -> Iterator[SlackRequest]:
    """A fresh request id for the block (one Slack request): the lines logged in it, and in the
    tasks it starts (they copy the context), carry it."""
    request = SlackRequest(uuid.uuid4().hex)
    token = SLACK_REQUEST.set(request)
    try:
        yield request
    finally:
        SLACK_REQUEST.reset(token)


def slack_request_by(team: object, user: object) -> None:
    """The current request's team and user, once its body is verified (ids, cut to `ID_LIMIT`)."""
    current = SLACK_REQUEST.get()
    if current is not None:
        SLACK_REQUEST.set(replace(current, team=_id(team), user=_id(user)))


def _id(value: object) -> str | None:
    return None if value is None else str(value)[:ID_LIMIT]


class JsonFormatter(logging.Formatter):
    """One JSON object a line. The message and the exception were masked by the `SecretMasker`
    filter on the same handler; the other fields pass the same masker here."""

    def __init__(self, masker: SecretMasker) -> None:
        super().__init__()
        self.masker = masker

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": self.masker.mask(record.name),
            "message": record.getMessage(),
        }
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = record.stack_info
        request = SLACK_REQUEST.get()
        if request is not None:
            ids = {"request_id": request.id, "team_id": request.team, "user_id": request.user}
            line.update({name: self.masker.mask(value) for name, value in ids.items() if value is not None})
        return json.dumps(line, ensure_ascii=False).translate(_LINE_BREAKS)


def configure(
    level: str,
    secrets: Iterable[str] = (),
    *,
    stream: TextIO | None = None,
    log_format: Literal["text", "json"] = "text",
) -> SecretMasker:
    """Log to `stream` (stderr) through the masking filter, on the handler, so every logger's
    lines pass it; as text, or as one JSON object a line."""
    masker = SecretMasker(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(masker))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(masker)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return masker
