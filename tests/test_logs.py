"""The log masker: every configured secret and every token shape is masked in every line, at every
level, in messages, arguments, exceptions (httpx's included) and stack traces; ordinary lines
stay readable. The whole-conversation scan is in tests/slack/test_hostile.py."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.masker import ADVERSARIAL, MEGABYTE
from bot.logs import (
    MASK,
    MESSAGE_LIMIT,
    TRACE_LIMIT,
    JsonFormatter,
    SecretMasker,
    configure,
    slack_request,
    slack_request_by,
)

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
SHAPES = {
    "slack bot token": SLACK_BOT,
    "slack user token": "xoxp-1234-5678-abcdef",
    "slack refresh token": "xoxe-1-My0xLTEyMzQ",
    "slack app token": "xapp-1-A0123-456-abcdef0123",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXZhbHVl",
    "slack workflow token": "xwfp-1-A0123-abcdef0123",
    "slack response_url": "https://hooks.slack.com/commands/T0TRACKER/1234567890/AbCdEf0123456789",
    "slack incoming webhook": "https://hooks.slack.com/services/T0TRACKER/B0123/AbCdEf0123456789",
    "url-encoded response_url": "https%3A%2F%2Fhooks.slack.com%2Factions%2FT0TRACKER%2F123%2FAbCdEf0123",
}
CONFIGURED = ["kitsu-p@ss word&1", "ZGVtby1rZXktZm9yLXRoZS1pc3N1ZXRyYWstY29udHJhY3Q=", "aip-token-0123456789"]


@pytest.fixture(params=["text", "json"])
def logged(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The root logger configured by `bot.logs.configure` at DEBUG into a buffer, as text and as
    JSON lines (LOG_FORMAT); restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure("DEBUG", CONFIGURED, stream=stream, log_format=request.param)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_token_shapes_are_masked_at_every_level(logged: io.StringIO, level: int, name: str) -> None:
    logging.getLogger("bot.anything.deep").log(level, "calling with %s now", SHAPES[name])
    out = logged.getvalue()
    assert SHAPES[name] not in out and f"calling with {MASK} now" in out


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer sk-live-abcdefgh12345678",
        "authorization=Basic dXNlcjpwYXNzd29yZA==",
        "headers={'x-issuetrak-api-authorization': 'q2Ls0Jw+gN1dTQ6t5o3MGm5DbYw5/7vh8w==', 'accept': 'application/json'}",
        "GET https://aip.example.com/rest/assets?api_key=k3y-v4lue-99&startAt=0",
        '{"email": "ana@example.com", "password": "hunter2hunter2"}',
        "refresh_token=r3fr3sh-t0k3n-v4lue",
        "client_secret: s3cr3t-v4lue-123",
        "X-Projectrak-Signature=ab12cd34ef56",
        # Anyone holding a response_url may post into the channel, whatever its host (the stand-in's too)
        "{'response_url': 'http://127.0.0.1:8000/response/r3sp0nse-cmd1', 'text': 'issue 1'}",
        'payload={"type": "block_actions", "response_url": "https://slack.example/r3sp0nse/x"}',
        "command=%2Ftracker&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr3sp0nse&text=x",
        # The Socket Mode ticket, as slack_sdk logs apps.connections.open's answer
        'body: {"ok": true, "url": "wss://wss-primary.slack.com/link/?ticket=t1ck3t-0123-abcd&app_id=A0TRACKER"}',
    ],
)
def test_named_credentials_keep_their_name_and_lose_their_value(logged: io.StringIO, line: str) -> None:
    logging.getLogger("httpx").debug(line)
    out = logged.getvalue()
    assert MASK in out
    for secret in (
        "sk-live",
        "dXNlcjpw",
        "q2Ls0Jw",
        "k3y-v4lue",
        "hunter2",
        "r3fr3sh",
        "s3cr3t",
        "ab12cd34",
        "r3sp0nse",
        "t1ck3t",
    ):
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
        "GET",
        "https://aip.example.com/rest/assets?token=t0k3n-in-the-url",
        headers={"Authorization": f"Bearer {CONFIGURED[2]}", "X-IssueTrak-API-Authorization": "c2lnbmF0dXJl+/=="},
    )
    response = httpx.Response(401, request=request, text=f"bad token {SLACK_BOT}")
    log = logging.getLogger("bot.trackers.http_client")
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


@pytest.mark.parametrize(
    "line",
    [
        "Issuetrak GET issues/false/1003 -> 200 in 12 ms",
        "the token expired; minting a new one",
        "cached tokens: 3, keys: 4",
        "basic authentication is off",
        "outbox item 12 was already on issue 1003 as note 7",
        "token_type: bearer",
        "ticket: 12 open, see https://api.slack.com/apps?ticket",
        "the response_url expired after 30 minutes",
        "headers a.b.c and eyJ-not-a-jwt, eyJhbGciOiJIUzI1NiJ9 alone",
    ],
)
def test_ordinary_lines_stay_readable(line: str) -> None:
    assert SecretMasker(CONFIGURED).mask(line) == line


def test_short_configured_values_are_not_masked_everywhere() -> None:
    """A five-character "secret" would blank out ordinary words; only real secrets are listed."""
    assert SecretMasker(["admin"]).mask("admin user") == "admin user"


SECRET = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="[]"), min_size=8, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(secret=SECRET, before=st.text(max_size=30), after=st.text(max_size=30))
def test_a_configured_secret_never_survives(secret: str, before: str, after: str) -> None:
    masked = SecretMasker([secret]).mask(f"{before}{secret}{after}")
    assert secret not in masked


# --- a line of any size is masked in time linear in its length ------------------------------------


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_a_megabyte_line_is_logged_in_well_under_50_ms(logged: io.StringIO, name: str) -> None:
    """The bound on a log line: each message is cut to MESSAGE_LIMIT characters before it is masked."""
    line = ADVERSARIAL[name] + CONFIGURED[2]
    log = logging.getLogger("slack_bolt.App")
    started = time.perf_counter()
    log.info("body: %s", line)
    elapsed = time.perf_counter() - started
    out = logged.getvalue()
    assert elapsed < 0.050, f"{elapsed * 1000:.1f} ms"
    assert len(out) < MESSAGE_LIMIT + 200 and f"… [{len(line) + 6 - MESSAGE_LIMIT:,} more characters]" in out


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_patterns_take_linear_time_even_uncut(name: str) -> None:
    """The patterns alone, on 20k characters (which took the old ones seconds): a generous bound
    that only a quadratic pattern misses; the whole uncut megabyte is in the benchmark."""
    text = ADVERSARIAL[name][:20_000]
    started = time.perf_counter()
    SecretMasker(CONFIGURED).mask(text)
    assert time.perf_counter() - started < 1.0


def test_a_long_message_is_cut_and_a_secret_across_the_cut_is_masked_whole(logged: io.StringIO) -> None:
    for secret in (CONFIGURED[0], SLACK_BOT, SHAPES["jwt"]):
        for offset in range(3, len(secret)):  # the cut falls inside the secret
            logged.truncate(0)
            logged.seek(0)
            logging.getLogger("bot").warning("%s%s%s", "." * (MESSAGE_LIMIT - offset), secret, "tail" * 10_000)
            out = logged.getvalue()
            assert secret[:offset] not in out.partition(": ")[2].lstrip("."), (secret, offset)
            assert "more characters]" in out and "tail" * 10 not in out


def test_a_long_traceback_is_cut_too(logged: io.StringIO) -> None:
    try:
        raise ValueError("x" * MEGABYTE + SLACK_BOT)
    except ValueError:
        logging.getLogger("bot").exception("failed")
    out = logged.getvalue()
    assert "Traceback" in out and "more characters]" in out and len(out) < TRACE_LIMIT + MESSAGE_LIMIT


# --- LOG_FORMAT=json ---------------------------------------------------------------------------


@pytest.fixture
def json_logged() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure("DEBUG", CONFIGURED, stream=stream, log_format="json")
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def test_each_json_line_parses_and_carries_time_level_logger_message_and_the_exception(
    json_logged: io.StringIO,
) -> None:
    log = logging.getLogger("bot.anything")
    log.info('two\nlines, "quoted", with %s', SLACK_BOT)
    try:
        raise ValueError(f"the password is {CONFIGURED[0]}")
    except ValueError:
        log.exception("failed with %s", CONFIGURED[2])
    log.warning("where we were", stack_info=True)
    raw = json_logged.getvalue()
    first, second, third = (json.loads(line) for line in raw.splitlines())
    assert set(first) == {"time", "level", "logger", "message"}, "no request: no ids"
    assert first["level"] == "INFO" and first["logger"] == "bot.anything"
    assert first["message"] == f'two\nlines, "quoted", with {MASK}'
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert second["level"] == "ERROR" and second["message"] == f"failed with {MASK}"
    assert second["exc_info"].startswith("Traceback") and second["exc_info"].endswith(
        f"ValueError: the password is {MASK}"
    )
    assert third["stack_info"].startswith("Stack (most recent call last)")
    for secret in (SLACK_BOT, *CONFIGURED):
        assert secret not in raw and json.dumps(secret)[1:-1] not in raw


@given(st.text())
@settings(max_examples=200)
def test_any_message_is_one_json_line_that_reads_back(message: str) -> None:
    """Whatever a person typed (a line or paragraph separator, NEL, quotes, a lone surrogate):
    one line, by any reader's idea of a line, that reads back to the message (masked)."""
    masker = SecretMasker(CONFIGURED)
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "said: %s", (message,), None)
    masker.filter(record)
    line = JsonFormatter(masker).format(record)
    assert len(line.splitlines()) == 1
    assert json.loads(line)["message"] == masker.cut(f"said: {message}")


async def test_a_requests_ids_are_on_its_lines_and_its_background_works_and_pass_the_masker(
    json_logged: io.StringIO,
) -> None:
    log = logging.getLogger("bot.anything")

    async def background_work() -> None:
        log.info("after the request")

    with slack_request() as request:
        log.info("before the body is verified")
        slack_request_by("T0TEAM", SLACK_BOT)  # an id shaped like a token is masked like one
        log.info("verified")
        later = asyncio.create_task(background_work())  # runs once the request is over
    log.info("outside any request")
    await later
    lines = [json.loads(line) for line in json_logged.getvalue().splitlines()]
    before, verified, outside, after = (line for line in lines if line["logger"] == "bot.anything")
    assert before["request_id"] == request.id and "team_id" not in before and "user_id" not in before
    assert verified["request_id"] == request.id and verified["team_id"] == "T0TEAM" and verified["user_id"] == MASK
    assert after["request_id"] == request.id and after["message"] == "after the request"
    assert "request_id" not in outside


def test_log_format_json_is_what_the_process_configures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.running.process import build_runtime
    from bot.settings import load_settings

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    settings = load_settings(_env_file=None, LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}")
    runtime = build_runtime(settings)
    try:
        logging.getLogger("bot.anything").warning("started")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        asyncio.run(runtime.store.aclose())
    [line] = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "started" in line]
    assert line["message"] == "started" and line["level"] == "WARNING"
