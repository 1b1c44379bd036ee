"""The log masker: every configured secret and every token shape is masked in every line, at every
level, in messages, arguments, exceptions (httpx's included) and stack traces; ordinary lines
stay readable. The whole-conversation scan is in tests/slack/test_hostile.py."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote_plus

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.logs import MASK, SecretMasker, configure

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
SHAPES = {
    "slack bot token": SLACK_BOT,
    "slack user token": "xoxp-1234-5678-abcdef",
    "slack refresh token": "xoxe-1-My0xLTEyMzQ",
    "slack app token": "xapp-1-A0123-456-abcdef0123",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXZhbHVl",
}
CONFIGURED = ["kitsu-p@ss word&1", "ZGVtby1rZXktZm9yLXRoZS1pc3N1ZXRyYWstY29udHJhY3Q=", "aip-token-0123456789"]


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The root logger configured by `bot.logs.configure` at DEBUG into a buffer; restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure("DEBUG", CONFIGURED, stream=stream)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_token_shapes_are_masked_at_every_level(logged: io.StringIO, level: int, name: str) -> None:
    logging.getLogger("bot.anything.deep").log(level, "calling with %s now", SHAPES[name])
    out = logged.getvalue()
    assert SHAPES[name] not in out and f"calling with {MASK} now" in out


@pytest.mark.parametrize("line", [
    "Authorization: Bearer sk-live-abcdefgh12345678",
    "authorization=Basic dXNlcjpwYXNzd29yZA==",
    "headers={'x-issuetrak-api-authorization': 'q2Ls0Jw+gN1dTQ6t5o3MGm5DbYw5/7vh8w==', 'accept': 'application/json'}",
    "GET https://aip.example.com/rest/assets?api_key=k3y-v4lue-99&startAt=0",
    '{"email": "ana@example.com", "password": "hunter2hunter2"}',
    "refresh_token=r3fr3sh-t0k3n-v4lue",
    "client_secret: s3cr3t-v4lue-123",
    "X-Projectrak-Signature=ab12cd34ef56",
])
def test_named_credentials_keep_their_name_and_lose_their_value(logged: io.StringIO, line: str) -> None:
    logging.getLogger("httpx").debug(line)
    out = logged.getvalue()
    assert MASK in out
    for secret in ("sk-live", "dXNlcjpw", "q2Ls0Jw", "k3y-v4lue", "hunter2", "r3fr3sh", "s3cr3t", "ab12cd34"):
        assert secret not in out


def test_configured_secrets_are_masked_as_written_encoded_and_escaped(logged: io.StringIO) -> None:
    log = logging.getLogger("bot.trackers")
    for secret in CONFIGURED:
        log.info("plain %s", secret)
        log.info("form body email=a%%40b.example&pw=%s", quote_plus(secret))
        log.info("json body %s", json.dumps({"k": secret}))
    out = logged.getvalue()
    for secret in CONFIGURED:
        assert secret not in out and quote_plus(secret) not in out and json.dumps(secret)[1:-1] not in out
    assert out.count(MASK) >= 3 * len(CONFIGURED)


def test_httpx_exceptions_and_tracebacks_that_echo_headers_are_masked(logged: io.StringIO) -> None:
    request = httpx.Request(
        "GET", "https://aip.example.com/rest/assets?token=t0k3n-in-the-url",
        headers={"Authorization": f"Bearer {CONFIGURED[2]}", "X-IssueTrak-API-Authorization": "c2lnbmF0dXJl+/=="},
    )
    response = httpx.Response(401, request=request, text=f"bad token {SLACK_BOT}")
    log = logging.getLogger("bot.trackers.core")
    try:
        response.raise_for_status()  # httpx's own message repeats the URL
    except httpx.HTTPStatusError:
        log.exception("AIP refused")
    try:
        raise RuntimeError(f"sending {request.headers!r} failed; answer was {response.text}")
    except RuntimeError as exc:
        log.warning("tracker call failed", exc_info=exc)
    log.error("where we were", stack_info=True)
    out = logged.getvalue()
    assert "Traceback" in out and "HTTPStatusError" in out and "RuntimeError" in out and "Stack (most recent" in out
    for secret in ("t0k3n-in-the-url", CONFIGURED[2], "c2lnbmF0dXJl", SLACK_BOT):
        assert secret not in out


def test_an_exception_formatted_by_another_handler_first_is_still_masked() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise ValueError(SLACK_BOT)
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    record.exc_text = logging.Formatter().formatException(record.exc_info)  # as an earlier handler leaves it
    record.exc_info = None
    SecretMasker().filter(record)
    assert SLACK_BOT not in (record.exc_text or "") and MASK in (record.exc_text or "")


def test_a_bad_format_string_does_not_break_the_caller(logged: io.StringIO) -> None:
    logging.getLogger("bot").info("%d items for %s", "many", SLACK_BOT)
    out = logged.getvalue()
    assert "%d items" in out and SLACK_BOT not in out


@pytest.mark.parametrize("line", [
    "Issuetrak GET issues/false/1003 -> 200 in 12 ms",
    "the token expired; minting a new one",
    "cached tokens: 3, keys: 4",
    "basic authentication is off",
    "outbox item 12 was already on issue 1003 as note 7",
    "token_type: bearer",
])
def test_ordinary_lines_stay_readable(line: str) -> None:
    assert SecretMasker(CONFIGURED).mask(line) == line


def test_short_configured_values_are_not_masked_everywhere() -> None:
    """A five-character "secret" would blank out ordinary words; only real secrets are listed."""
    assert SecretMasker(["admin"]).mask("admin user") == "admin user"


SECRET = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="[]"),
                 min_size=8, max_size=40)


@settings(max_examples=300, deadline=None)
@given(secret=SECRET, before=st.text(max_size=30), after=st.text(max_size=30))
def test_a_configured_secret_never_survives(secret: str, before: str, after: str) -> None:
    masked = SecretMasker([secret]).mask(f"{before}{secret}{after}")
    assert secret not in masked
