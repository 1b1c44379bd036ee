"""Nobody let in, nothing slipped past: requests that are not Slack's are refused before any
listener runs; hostile and broken input gets a clear answer and changes nothing; modals with
forged, stale or someone else's metadata write nothing; writes obey WRITE_CHANNELS and
ALLOW_PRIVATE_NOTES; and a whole conversation logged at DEBUG shows no secret."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot import logs, messages
from bot.demo.kitsu import DEMO_PASSWORD
from bot.services.writes import note_html, reference
from bot.store import IdentityLinkHow
from bot.views import ids
from tests.fixtures.aip import AipServer
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.projectrak import ProjectrakServer
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, Chat, Reply, text_values
from tests.slack.test_notes_html import check

FORM = "application/x-www-form-urlencoded"
WRITES = ("/notes", "/issues")  # the paths of Issuetrak writes (searches are POSTs too, and harmless)


def _writes(issuetrak_server: IssuetrakServer) -> list[tuple[str, str, bytes]]:
    return [r for r in issuetrak_server.state.received if r[0] == "POST" and r[1].endswith(WRITES)]


def _modal(reply: Reply) -> dict[str, Any]:
    return (reply.of("views.open") + reply.of("views.update"))[-1]["view"]


# --- requests that are not Slack's --------------------------------------------------------------


def _interactions(chat: Chat, view: dict[str, Any]) -> dict[str, str]:
    """Form bodies of a shortcut, a note submission and a retry click, as Slack would send them."""
    common = {"team": {"id": "T0TRACKER"}, "user": {"id": chat.user}, "api_app_id": "A0TRACKER", "trigger_id": "t"}
    payloads = {
        "shortcut": {
            **common,
            "type": "message_action",
            "callback_id": ids.SHORTCUT_ADD_NOTE,
            "message": {"text": "hi", "ts": "1.2"},
            "channel": {"id": chat.channel},
        },
        "submission": {
            **common,
            "type": "view_submission",
            "view": {
                **view,
                "state": {"values": text_values(note_issue=("issue_number", "1001"), note_text=("text", "x"))},
            },
        },
        "button": {
            **common,
            "type": "block_actions",
            "actions": [{"action_id": ids.OUTBOX_RETRY, "block_id": "b", "value": "1", "type": "button"}],
        },
    }
    return {name: urlencode({"payload": json.dumps(p)}) for name, p in payloads.items()}


def test_requests_that_are_not_slacks_are_refused_before_any_listener(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "hello"))
    calls, received = len(chat.slack.calls), len(issuetrak_server.state.received)
    command = urlencode(
        {
            "team_id": "T0TRACKER",
            "channel_id": chat.channel,
            "user_id": chat.user,
            "command": "/tracker",
            "text": "note 1001 forged",
            "trigger_id": "t",
            "response_url": f"{chat.response_base}/forged",
        }
    )
    for name, body in {"command": command, **_interactions(chat, view)}.items():
        now = str(int(time.time()))
        refusals = {
            "no signature headers": chat.http.post(chat.events_url, content=body, headers={"Content-Type": FORM}),
            "timestamp only": chat.http.post(
                chat.events_url, content=body, headers={"Content-Type": FORM, "X-Slack-Request-Timestamp": now}
            ),
            "signature only": chat.http.post(
                chat.events_url,
                content=body,
                headers={"Content-Type": FORM, "X-Slack-Signature": _signature(SIGNING_SECRET, now, body)},
            ),
            "bad signature": chat.post(body, FORM, signature="v0=" + "1" * 64),
            "stale timestamp": chat.post(body, FORM, timestamp=int(time.time()) - 6 * 60),
            "timestamp from the future": chat.post(body, FORM, timestamp=int(time.time()) + 6 * 60),
            "another app's secret": chat.post(
                body, FORM, timestamp=int(now), signature=_signature("not-our-secret", now, body)
            ),
            "body changed after signing": chat.post(
                body + "&extra=1", FORM, timestamp=int(now), signature=_signature(SIGNING_SECRET, now, body)
            ),
        }
        for how, response in refusals.items():
            assert response.status_code == 401, (name, how, response.status_code)
    chat.settle()
    assert chat.slack.calls[calls:] == [] and len(issuetrak_server.state.received) == received


async def test_an_unsigned_body_that_is_not_json_is_refused_cleanly(tmp_path) -> None:
    from bot.running.app import create_app
    from bot.running.web import create_web_app
    from bot.runtime import Runtime
    from bot.settings import load_settings
    from bot.store import Store
    from bot.trackers.registry import Trackers

    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    runtime = Runtime(settings=settings, trackers=Trackers(), store=Store(settings.DATABASE_URL))
    transport = httpx.ASGITransport(app=create_web_app(runtime, create_app(runtime)), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        for body in ("payload=%7Bnot+json", urlencode({"payload": "[1, 2]"})):
            response = await client.post("/slack/events", content=body, headers={"Content-Type": FORM})
            assert response.status_code in (400, 401)


def _signature(secret: str, timestamp: str, body: str) -> str:

    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return signature


# --- hostile and broken input -------------------------------------------------------------------

HUGE = "x" * 40_000
HOSTILE = {  # subcommand -> arguments: missing, extra, huge, Unicode, control characters, injection-shaped
    "issue": [
        "",
        "1001 1002",
        HUGE,
        "١٠٠١",
        "\x00\x1b[31m#10\x0701",
        "1001; DROP TABLE issues; --",
        "<!channel>",
        "0",
        "99999999999",
    ],
    "note": [
        "",
        "1003",
        f"1003 {HUGE}",
        "١٠٠٣ hello",
        "1003 \x00\x07\x1b",
        "999999 <script>alert(1)</script>",
        "'; DELETE FROM outbox; -- hello",
        "-1 hi",
    ],
    "project": ["", HUGE, "💥 ünïcödé 完成", "\x00\x7f", "' OR 1=1 --", "<!channel> <@U0ALICE>", "{{7*7}} ${jndi:x}"],
    "projects": ["extra words here", HUGE, "\u202e\u200b"],
    "asset": ["", HUGE, "ノートパソコン", "../../../etc/passwd", "\x00", "*", "<https://evil.example|LAPTOP-0042>"],
    "digest": [
        "",
        "weekly",
        f"daily {HUGE}",
        "daily 25:00",
        "daily 09:00 Mars/Olympus",
        "daily 09:00 ../../etc/passwd",
        "daily 09:00 '; DROP TABLE digest_subscriptions; --",
        "daily\x0009:00",
        "off now please",
        "list all",
    ],
    "link": ["", "two words", HUGE, "ünï", "\x00", "' OR '1'='1", "../admin", "<@U0ALICE>", "nobody-here"],
    "frobnicate": ["", HUGE],
}


def test_every_subcommand_with_hostile_arguments_gets_an_answer_and_changes_nothing(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    notes, issues = dict(issuetrak_server.state.notes), dict(issuetrak_server.state.issues)
    for verb, arguments in HOSTILE.items():
        for argument in arguments:
            reply = chat.send(f"/tracker {verb} {argument}".rstrip())
            shown = f"/tracker {verb} {argument[:40]!r}"
            assert reply.status == 200, shown
            answers = [reply.ack.get("text", "")] + [a.get("text", "") for a in reply.of("response_url")]
            final = answers[-1]
            assert final and final != messages.WORKING, shown
            assert messages.UNEXPECTED not in reply.text and "Traceback" not in reply.text, (shown, reply.text[:300])
            assert not [c for c in reply.calls if c.method == "chat.postMessage"], shown  # nothing posted for others
            blocks = [c.args.get("blocks") for c in reply.calls] + [reply.ack.get("blocks")]
            assert "<!channel>" not in json.dumps(blocks), shown  # shown escaped, never as a mention
    assert "The note is 40,000 characters" in chat.send(f"/tracker note 1003 {HUGE}").text
    assert issuetrak_server.state.notes == notes and issuetrak_server.state.issues == issues
    assert not _writes(issuetrak_server)
    assert _no_subscription_or_link(chat)


def _no_subscription_or_link(chat: Chat) -> bool:
    import asyncio

    async def check() -> bool:
        store = chat.runtime.store
        link = await store.identity_link("T0TRACKER", chat.user)  # only the email match, used by reads
        return await store.subscription("T0TRACKER", chat.channel) is None and (
            link is None or (link.how, link.issuetrak_user_id) == (IdentityLinkHow.EMAIL, "amartin")
        )

    return asyncio.run(check())


NO_LISTENER: list[dict[str, Any]] = [
    {"type": "weird_new_type"},
    {"type": "block_actions", "actions": [{"action_id": "no_such_button", "block_id": "b", "value": "1"}]},
    {"type": "message_action", "callback_id": "no_such_shortcut", "trigger_id": "t", "message": {"ts": "1.2"}},
    {"type": "view_submission", "view": {"type": "modal", "callback_id": "no_such_modal", "state": {"values": {}}}},
    {"type": "view_closed", "view": {"type": "modal", "callback_id": ids.NOTE_MODAL}},
    {"type": "block_suggestion", "action_id": "anything", "value": "x"},
]


def test_broken_payloads_change_nothing(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """Bolt answers 404 to what no listener matches. That is right for trackerbot: it subscribes to
    no events (which Slack would retry), Slack shows the person its own error for an unknown
    interaction, and nothing runs. A slash command missing its fields still gets an answer."""
    for payload in NO_LISTENER:
        reply = chat.interact(payload)
        assert reply.status == 404, payload
        assert [c.method for c in reply.calls if c.method != "auth.test"] == [], payload
    assert chat.interact({"type": "block_actions"}).status == 400  # no action at all: malformed, not unmatched
    assert not issuetrak_server.state.received
    assert chat.post(urlencode({"command": "/other", "text": "x"}), FORM).status_code == 404

    bare = chat.post(urlencode({"command": "/tracker"}), FORM)
    assert bare.status_code == 200 and "/tracker issue 123" in bare.text
    nobody = chat.post(
        urlencode(
            {
                "command": "/tracker",
                "text": "note 1003 hi",
                "team_id": "T0TRACKER",
                "response_url": f"{chat.response_base}/nobody",
            }
        ),
        FORM,
    )
    chat.settle()
    assert nobody.status_code == 200
    assert messages.SLACK_ACCOUNT_DEACTIVATED in chat.slack.of("response_url")[-1]["text"]  # nobody to write as
    assert not _writes(issuetrak_server)


def test_modals_with_broken_forged_stale_or_someone_elses_metadata_write_nothing(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "hello", ts="1700000000.000900"))
    values = text_values(note_issue=("issue_number", "1001"), note_text=("text", "x"))
    signer = chat.runtime.signer
    variants = {
        "missing": {k: v for k, v in view.items() if k != "private_metadata"},
        "empty": {**view, "private_metadata": ""},
        "not a string": {**view, "private_metadata": {"user": chat.user}},
        "non-ASCII": {**view, "private_metadata": "é.é"},
        "unsigned": {**view, "private_metadata": json.dumps({"team": "T0TRACKER", "user": chat.user})},
        "signed for another team": {
            **view,
            "private_metadata": signer.sign(
                {"team": "T0OTHER", "user": chat.user, "channel": chat.channel, "ts": "1.2", "thread_ts": "1.2"}
            ),
        },
        "signed without a message": {
            **view,
            "private_metadata": signer.sign(
                {"team": "T0TRACKER", "user": chat.user, "channel": chat.channel, "ts": "", "thread_ts": ""}
            ),
        },
        "signed with a number for a channel": {
            **view,
            "private_metadata": signer.sign(
                {"team": "T0TRACKER", "user": chat.user, "channel": 7, "ts": "1.2", "thread_ts": "1.2"}
            ),
        },
    }
    for name, forged in variants.items():
        reply = chat.submit(forged, values)
        assert reply.ack.get("response_action") == "update", name
        assert messages.MODAL_EXPIRED in json.dumps(reply.ack["view"]), name
    chat.user = "U0NOBODY"  # Alice's modal submitted by someone else
    assert messages.MODAL_EXPIRED in json.dumps(chat.submit(view, values).ack["view"])
    chat.user = "U0ALICE"
    signer.clock = lambda: time.time() + 2 * 24 * 3600  # the modal was left open for two days
    assert messages.MODAL_EXPIRED in json.dumps(chat.submit(view, values).ack["view"])
    signer.clock = time.time
    huge = chat.submit(view, text_values(note_issue=("issue_number", "1001"), note_text=("text", HUGE)))
    assert "40,000 characters" in huge.ack["errors"][ids.NOTE_TEXT[0]]
    broken_state = chat.interact(
        {"type": "view_submission", "view": {**view, "state": {"values": ["not", "a", "map"]}}}
    )
    assert messages.MODAL_EXPIRED in json.dumps(broken_state.ack["view"])
    assert not _writes(issuetrak_server)
    assert "Added note" in chat.submit(view, values).text  # the genuine one still works


# --- permissions ----------------------------------------------------------------------------------


def test_who_may_write_what_and_where(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """WRITE_CHANNELS limits where writes come from; private notes need ALLOW_PRIVATE_NOTES; and
    writes need a person tied to an Issuetrak user."""
    chat.slack.channels["C0IT"] = "it"
    chat.runtime.settings.WRITE_CHANNELS = "C0IT, C0OPS"
    received = len(issuetrak_server.state.received)
    assert messages.WRITES_NOT_ALLOWED_HERE in chat.send("/tracker note 1003 from general").text
    assert len(issuetrak_server.state.received) == received  # refused before any tracker call
    for shortcut, title in ((ids.SHORTCUT_ADD_NOTE, "Add Issuetrak note"), (ids.SHORTCUT_CREATE_ISSUE, "Create issue")):
        said = _modal(chat.shortcut(shortcut, "from general"))  # said before any form opens
        assert said["title"]["text"] == title and messages.WRITES_NOT_ALLOWED_HERE in json.dumps(said)
        assert not [b for b in said["blocks"] if b["type"] == "input"]
    assert len(issuetrak_server.state.received) == received
    chat.runtime.settings.WRITE_CHANNELS = ""  # a form opened while writes were allowed here ...
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "from general"))
    chat.runtime.settings.WRITE_CHANNELS = "C0IT, C0OPS"  # ... is refused once they no longer are
    refused = chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "from general")))
    assert messages.WRITES_NOT_ALLOWED_HERE in json.dumps(refused.ack["view"])
    assert not _writes(issuetrak_server)

    chat.channel = "C0IT"
    assert "Added note" in chat.send("/tracker note 1003 from it").text
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "from it too"))
    assert (
        "Added note"
        in chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "from it too"))).text
    )
    assert len(_writes(issuetrak_server)) == 2
    chat.runtime.settings.WRITE_CHANNELS = ""

    # Private notes, only while ALLOW_PRIVATE_NOTES is on
    private = {"note_private": {"private": {"type": "checkboxes", "selected_options": [{"value": "private"}]}}}
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "secret plan"))
    assert ids.NOTE_PRIVATE[0] in [b.get("block_id") for b in view["blocks"]]
    chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "secret plan")) | private)
    written = [n for n in issuetrak_server.state.notes.values() if "secret plan" in n["NoteText"]]
    assert [n["IsPrivate"] for n in written] == [True]

    chat.runtime.settings.ALLOW_PRIVATE_NOTES = False
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "another plan"))
    assert ids.NOTE_PRIVATE[0] not in [b.get("block_id") for b in view["blocks"]]
    values = text_values(note_issue=("issue_number", "1003"), note_text=("text", "another plan"))
    forced = chat.submit(view, values | private)
    assert forced.ack["errors"] == {ids.NOTE_PRIVATE[0]: messages.PRIVATE_NOT_ALLOWED}
    assert not [n for n in issuetrak_server.state.notes.values() if "another plan" in n["NoteText"]]

    # A person with no Issuetrak user writes nothing, and is told how to link
    chat.user = "U0NOBODY"
    writes_so_far = len(_writes(issuetrak_server))
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "not mine to write", ts="1700000000.000950"))
    reply = chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "not mine to write")))
    (answer,) = reply.of("chat.postEphemeral")  # it names their email: only they see it
    assert answer["thread_ts"] == "1700000000.000950" and "/tracker link" in answer["text"]
    assert answer["user"] == "U0NOBODY" and not reply.of("chat.postMessage")
    assert len(_writes(issuetrak_server)) == writes_so_far


# --- secrets ----------------------------------------------------------------------------------------


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, through bot.logs.configure (the root logger is put back after)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def test_a_whole_conversation_at_debug_logs_no_secret(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    projectrak_server: ProjectrakServer,
    aip_server: AipServer,
    debug_log: io.StringIO,
) -> None:
    settings = chat.runtime.settings
    logs.configure("DEBUG", settings.secret_values(), stream=debug_log)
    careless = logging.getLogger("bot.careless")

    async def log_everything(request: httpx.Request) -> None:
        """What a careless debugging session adds: every tracker request's headers and body."""
        careless.debug("%s %s headers=%s body=%s", request.method, request.url, dict(request.headers), request.content)

    for client in chat.runtime.trackers.configured().values():
        cast(Any, client).http.client.event_hooks["request"].append(log_everything)
    chat.send("/tracker issue 1003")
    chat.send("/tracker projects")  # Issuetrak, Projectrak (a minted JWT) and Kitsu (a login)
    chat.send("/tracker project web")
    chat.send("/tracker asset LAPTOP-0042")  # AIP's bearer token
    view = _modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "logged note"))
    chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "logged note")))
    issuetrak_server.state.faults.fail_next.extend([503] * 3)
    assert "not answering" in chat.send("/tracker issue 1001").text  # a tracker failure, logged
    revealed = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in vars(settings).items()}
    careless.info("settings: %r", revealed)
    logged = debug_log.getvalue()

    assert logged.count("\n") > 50 and "Issuetrak answered 503" in logged
    assert "x-issuetrak-api-authorization" in logged and "/api-keys/jwt" in logged  # the careless lines are there
    secrets = {
        "Slack bot token": BOT_TOKEN,
        "signing secret": SIGNING_SECRET,
        "Issuetrak key": issuetrak_server.state.api_key,
        "Projectrak key": projectrak_server.state.api_key,
        "AIP token": aip_server.state.token,
        "Kitsu password": DEMO_PASSWORD,
    }
    assert set(secrets.values()) <= set(settings.secret_values())
    for name, value in secrets.items():
        assert value not in logged, name
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", logged), "a JWT (a minted Projectrak or Kitsu token) was logged"
    assert not re.search(r"xox[a-z]-", logged)
    # Every response_url the bot was given (and answered on) is masked: anyone holding one can post.
    assert chat.slack.of("response_url") and chat.response_base not in logged, logged[
        logged.find(chat.response_base) - 100 :
    ][:700]


# --- the note written to Issuetrak ---------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(),
    names=st.dictionaries(st.from_regex(r"U[0-9A-Z]{3}", fullmatch=True), st.text(max_size=30)),
    person=st.text(max_size=40),
    channel=st.text(max_size=40),
    permalink=st.none() | st.text(max_size=60),
    key=st.text(min_size=1, max_size=60),
    escaped=st.booleans(),
)
def test_the_whole_note_is_safe_html_and_carries_its_tag(
    text: str, names: dict[str, str], person: str, channel: str, permalink: str | None, key: str, escaped: bool
) -> None:
    """What is sent to Issuetrak (message, footer and tag) is safe HTML for any message, names,
    person, channel and link; and it carries the tag a re-send looks for."""
    html = note_html(
        text,
        names=names,
        person=person,
        person_id="U0ANA",
        channel=channel,
        permalink=permalink,
        key=key,
        slack_escaped=escaped,
    )
    body, tag = html.rsplit("<p><small>", 1)
    check(body)
    assert tag == f"{reference(key)}</small></p>"


# --- bodies: too big, unsigned, malformed ------------------------------------------------------------

MB = 1024 * 1024
CHUNK = b"x" * 65536


class Chunks:
    """A 128 MB body handed to httpx 64 KB at a time, counting how much of it was ever asked for."""

    def __init__(self, total: int = 128 * MB) -> None:
        self.total, self.pulled = total, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.pulled < self.total:
            self.pulled += len(CHUNK)
            yield CHUNK


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(chat: Chat) -> None:
    """By its Content-Length before a byte is read, or (chunked, no length) once 1 MiB is
    counted; either way the client never gets to send most of the 128 MB (what it does send
    fills the socket buffers: at most 4 MB to send and 32 MB to receive on this kernel)."""
    declared, chunked = Chunks(), Chunks()
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=0"}
    with_length = chat.http.post(
        chat.events_url, content=iter(declared), headers={**headers, "Content-Length": str(declared.total)}
    )
    without_length = chat.http.post(chat.events_url, content=iter(chunked), headers=headers)
    assert with_length.status_code == 413 and without_length.status_code == 413
    assert with_length.text == messages.BODY_TOO_LARGE
    assert declared.pulled < 48 * MB and chunked.pulled < 48 * MB, (declared.pulled, chunked.pulled)
    assert chat.send("/tracker help").status == 200  # the bot is still there


def test_a_body_just_under_the_limit_is_still_read(chat: Chat) -> None:
    from bot.running.web import MAX_BODY_BYTES

    body = urlencode({"command": "/tracker", "text": "help", "team_id": "T0TRACKER"})
    padded = body + "&pad=" + "p" * (MAX_BODY_BYTES - len(body) - len("&pad="))
    assert len(padded) == MAX_BODY_BYTES
    assert chat.post(padded, FORM).status_code == 200
    assert chat.post(padded + "p", FORM).status_code == 413


@pytest.fixture
def info_log() -> Iterator[io.StringIO]:
    """Everything logged at INFO through bot.logs.configure, as `python -m bot` logs (put back after)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("INFO", [SIGNING_SECRET, BOT_TOKEN], stream=stream)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def test_the_body_of_an_unsigned_request_is_never_logged(chat: Chat, info_log: io.StringIO) -> None:
    body = urlencode({"command": "/tracker", "text": "issue 1", "marker": "UNSIGNED-MARKER-" + "m" * 60_000})
    assert chat.post(body, FORM, signature="v0=" + "0" * 64).status_code == 401
    assert chat.post(body, FORM, timestamp=int(time.time()) - 3600).status_code == 401
    logged = info_log.getvalue()
    assert "refused a request without a valid Slack signature" in logged
    assert "UNSIGNED-MARKER" not in logged and "mmmmmmmm" not in logged


def _signed_post(chat: Chat, body: bytes, content_type: str, *, timestamp: str | None = None) -> httpx.Response:
    """`body` as bytes (not necessarily UTF-8), signed with the app's secret."""
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    signature = f"v0={digest}"
    return chat.http.post(
        chat.events_url,
        content=body,
        headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature},
    )


NESTED = "[" * 100_000 + "]" * 100_000
MALFORMED_SIGNED = {  # body, content type: what only the holder of the signing secret could send
    "not UTF-8": (b"command=/tracker&text=\xff\xfe\xfa", FORM),
    "nested JSON payload": (urlencode({"payload": NESTED}).encode(), FORM),
    "nested JSON event": (NESTED.encode(), "application/json"),
    "a JSON list": (b"[1, 2]", "application/json"),
    "broken JSON": (b'{"type": ', "application/json"),
    "payload that is a list": (urlencode({"payload": "[1, 2]"}).encode(), FORM),
    "payload that is not JSON": (b"payload=%7Bnot+json", FORM),
    "payload that is a string": (urlencode({"payload": '"x"'}).encode(), FORM),
    "a binary blob": (bytes(range(256)) * 100, "application/octet-stream"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_SIGNED))
def test_a_signed_but_malformed_body_gets_400_not_500(chat: Chat, issuetrak_server: IssuetrakServer, name: str) -> None:
    body, content_type = MALFORMED_SIGNED[name]
    response = _signed_post(chat, body, content_type)
    assert response.status_code in (400, 404), (name, response.status_code, response.text[:200])
    assert "Traceback" not in response.text
    chat.settle()
    assert not issuetrak_server.state.received


@pytest.mark.parametrize("name", sorted(name for name, (body, _) in MALFORMED_SIGNED.items() if body.isascii()))
def test_an_unsigned_malformed_body_is_refused_for_its_signature_before_any_parsing(chat: Chat, name: str) -> None:
    """The same bodies unsigned: 401 every time, so nothing of an unsigned body is ever parsed.
    (A body that is not even UTF-8 gets 400 before its signature is checked: Slack signs text.)"""
    body, content_type = MALFORMED_SIGNED[name]
    response = chat.http.post(
        chat.events_url,
        content=body,
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    assert (response.status_code, response.text) == (401, messages.BAD_SIGNATURE), name


BAD_HEADERS = {  # X-Slack-Request-Timestamp, X-Slack-Signature
    "a timestamp that is not a number": ("yesterday", None),
    "an Arabic-digit timestamp": ("١٧٠٠٠٠٠٠٠٠", None),
    "a timestamp with a sign": ("+1700000000", None),
    "a timestamp of 5,000 digits": ("9" * 5000, None),
    "a float timestamp": ("1.7e9", None),
    "an empty timestamp": ("", None),
    "a non-ASCII signature": (None, "v0=é" + "0" * 62),
    "an empty signature": (None, ""),
    "a huge signature": (None, "v0=" + "0" * 60_000),
}


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_malformed_signature_headers_get_401_not_500(chat: Chat, name: str) -> None:
    timestamp, signature = BAD_HEADERS[name]
    body = urlencode({"command": "/tracker", "text": "help", "team_id": "T0TRACKER"})
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": _signature(SIGNING_SECRET, str(int(time.time())), body),
    }
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    response = chat.http.post(
        chat.events_url,
        content=body.encode("utf-8"),
        headers=[(k.encode(), v.encode("utf-8")) for k, v in headers.items()],
    )
    assert response.status_code == 401, (name, response.status_code, response.text[:200])


async def test_the_socket_mode_ticket_is_masked_at_debug(runtime, slack_state, debug_log: io.StringIO) -> None:
    """apps.connections.open answers a wss URL whose `ticket` lets anyone open the app's socket;
    slack_sdk logs that answer at DEBUG."""
    import asyncio

    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.running.app import create_app
    from tests.slack.test_socket_mode import _slack_socket

    logs.configure("DEBUG", runtime.settings.secret_values(), stream=debug_log)
    ticket = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": "T0TRACKER",
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/tracker",
            "text": "help",
            "trigger_id": "t1",
        },
    }
    runner, url = await _slack_socket(envelope, acks)
    slack_state.socket_url = f"{url}?ticket={ticket}&app_id=A0TRACKER"
    handler = AsyncSocketModeHandler(create_app(runtime, socket_mode=True), "xapp-1-A0TRACKER-1-abcdef0123")
    try:
        await handler.connect_async()
        await asyncio.wait_for(acks.get(), 10)
    finally:
        await handler.close_async()
        await runner.cleanup()
        await runtime.trackers.aclose()
    logged = debug_log.getvalue()
    assert "apps.connections.open" in logged and "ticket=" in logged
    assert ticket not in logged and ticket[:8] not in logged


def _raw_head(size: int) -> bytes:
    """The head of an unsigned form POST to /slack/events declaring a `size`-byte body."""
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: {FORM}\r\nContent-Length: {size}\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=0\r\n\r\n"
    ).encode()


async def _status(reader: Any) -> int | str:
    """The status code of the answer on a raw connection, or "reset" when the bot closed it while
    the client was still sending (the answer is then lost to the client)."""
    try:
        return int((await reader.readline()).split()[1])
    except (ConnectionResetError, IndexError):
        return "reset"


@pytest.fixture
def raw_bot(runtime, monkeypatch: pytest.MonkeyPatch):
    """(host, port, URL) of a bot whose shared body budget is 2 MB."""
    from urllib.parse import urlsplit

    from bot.demo.loopback import serve_in_thread
    from bot.running import web
    from bot.running.app import create_app

    monkeypatch.setattr(web, "MAX_BUFFERED_BYTES", 2 * MB)
    with serve_in_thread(web.create_web_app(runtime, create_app(runtime)), lifespan="on") as url:
        address = urlsplit(url)
        yield address.hostname, address.port, url


async def test_many_big_bodies_at_once_get_503_instead_of_the_memory(raw_bot) -> None:
    """Five requests each send 600 kB of a 650 kB body at once, against a 2 MB budget for all
    bodies held together: the two that do not fit are refused at once (503, connection closed);
    the three that fit are read to the end when the rest comes (401, unsigned); and then the
    budget is whole again (a 1 MB body is read)."""
    import asyncio

    host, port, url = raw_bot
    connections = [await asyncio.open_connection(host, port) for _ in range(5)]
    for _, writer in connections:
        writer.write(_raw_head(650_000) + b"x" * 600_000)
    answers = {asyncio.ensure_future(_status(reader)): writer for reader, writer in connections}
    refused: set[asyncio.Future[int | str]] = set()
    while len(refused) < 2:
        done, _ = await asyncio.wait(set(answers) - refused, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert done, f"only {len(refused)} of the requests over the budget were refused"
        refused |= done
    assert {answer.result() for answer in refused} <= {503, "reset"} and len(refused) == 2
    held = [answer for answer in answers if answer not in refused]
    for answer in held:
        answers[answer].write(b"x" * 50_000)
    assert [await asyncio.wait_for(answer, 10) for answer in held] == [401, 401, 401]
    for writer in answers.values():
        writer.close()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        after = await client.post("/slack/events", content=b"x" * MB, headers={"Content-Type": FORM})
        assert after.status_code == 401


async def test_a_body_still_arriving_after_the_deadline_gets_408_and_gives_the_budget_back(
    raw_bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow clients (a body sent a byte now and then, or never finished) cannot hold a worker or
    the body budget: after BODY_SECONDS they get 408 and the connection is closed."""
    import asyncio

    from bot.running import web

    monkeypatch.setattr(web, "BODY_SECONDS", 0.5)
    host, port, url = raw_bot
    stalled = [await asyncio.open_connection(host, port) for _ in range(4)]
    for _, writer in stalled:
        writer.write(_raw_head(1_000_000) + b"x" * 600_000)  # 4 x 600 kB would not fit in 2 MB together
    statuses = await asyncio.wait_for(asyncio.gather(*(_status(reader) for reader, _ in stalled)), 10)
    assert statuses.count(408) >= 2 and set(statuses) <= {408, 503, "reset"}, statuses
    for _, writer in stalled:
        writer.close()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        after = await client.post("/slack/events", content=b"x" * MB, headers={"Content-Type": FORM})
        assert after.status_code == 401
        assert (await client.get("/healthz")).status_code == 200


HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
).map(str.strip)
CONTENT_TYPES = st.sampled_from(
    [
        FORM,
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=latin-1",
        "",
    ]
)
FORMS = st.dictionaries(
    st.sampled_from(["payload", "command", "text", "team_id", "user_id", "type", "ssl_check"]),
    st.one_of(st.text(max_size=60), st.from_regex(r"[\[\{\"0-9a-z:,\]\} ]{0,60}", fullmatch=True)),
    max_size=4,
).map(urlencode)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(st.binary(max_size=300), FORMS.map(str.encode)),
    content_type=CONTENT_TYPES,
    timestamp=st.one_of(st.none(), HEADER_TEXT),
    signature=st.one_of(st.none(), HEADER_TEXT),
    sign=st.booleans(),
)
def test_no_body_or_header_gets_a_500(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    body: bytes,
    content_type: str,
    timestamp: str | None,
    signature: str | None,
    sign: bool,
) -> None:
    """Whatever the body and the signature headers, signed or not: 400, 401 or 404, never 500,
    and nothing reaches a tracker."""
    headers = {"Content-Type": content_type}
    if sign:
        timestamp = str(int(time.time()))
        signature = (
            "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
        )
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    response = chat.http.post(
        chat.events_url, content=body, headers=[(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    )
    assert response.status_code < 500, (response.status_code, response.text[:200])
    assert response.status_code in (200, 400, 401, 404), response.status_code
    chat.settle()
    assert not [r for r in issuetrak_server.state.received if r[0] == "POST" and r[1].endswith(WRITES)]


@pytest.fixture(scope="module")
def served_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`python -m bot` as it is deployed (its own uvicorn settings), no tracker, on a free port."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from benchmarks.servers import free_port

    workdir = tmp_path_factory.mktemp("served-bot")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "PYTHONPATH": str(Path(__file__).parents[2]),
        "PORT": str(port),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}",
    }
    with (workdir / "bot.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None and time.monotonic() < deadline, (workdir / "bot.log").read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield "127.0.0.1", port
        finally:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "head",
    [
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slack-Signature: v0=" + b"0" * 70_000,  # one endless header
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n" + b"X-A: b\r\n" * 10_000,  # endless small headers
        b"GET /healthz?" + b"q" * 70_000,  # an endless request line
    ],
)
def test_a_request_head_over_64_kb_is_refused_with_431(served_bot: tuple[str, int], head: bytes) -> None:
    """httptools buffers a head, however long, until it ends: one that never ends would take all
    the memory. `python -m bot` answers 431 and closes once it passes 64 KB; big bodies are not
    heads and still get through."""
    import socket

    with socket.create_connection(served_bot, timeout=10) as sock:
        sock.sendall(head)  # the head never ends
        try:
            answer = sock.recv(200)
        except ConnectionResetError:
            answer = b"reset"  # closed while our bytes were still unread: the answer is lost, not the point
    assert answer.startswith(b"HTTP/1.1 431 ") or answer in (b"", b"reset"), answer
    # Ordinary requests, big bodies included, still get through, several on one connection.
    with httpx.Client(base_url=f"http://{served_bot[0]}:{served_bot[1]}", timeout=10) as client:
        for size in (300_000, MB, 10, MB):
            assert client.post("/slack/events", content=b"x" * size, headers={"Content-Type": FORM}).status_code == 401
        assert client.get("/healthz").status_code == 200
