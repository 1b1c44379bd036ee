"""Nothing lost, nothing twice: notes and issues go through the outbox while Issuetrak is down,
slow, flaky or loses its answers; each person hears "saved" and then "posted" (or a failure with a
"Try again" button that works); Slack retries, double submits and worker retries after a lost
answer all make one note.

Issuetrak is the strict contract server behind `Faults`, an ASGI layer that plays a bad network:
503s, requests dropped before the server sees them, answers lost after the server wrote (sent
after the client's read timeout), and connections cut halfway through the answer. The outbox
worker is `deliver_due` in a runtime of its own (its own tracker clients, the same database),
as in a second process, with the clock moved past each backoff.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.demo.issuetrak import IssuetrakState, create_app
from bot.demo.loopback import serve_in_thread
from bot.running.app import web_client
from bot.running.workers import Workers, deliver_due
from bot.runtime import Runtime
from bot.services import writes
from bot.store import Store
from bot.trackers.http_client import HttpOptions
from bot.trackers.registry import build_trackers
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat, text_values

READ_TIMEOUT = 0.3  # the bot's read timeout for Issuetrak in these tests
HANG = 0.6  # how long a "dropped" or "lost" answer keeps the client waiting (beyond READ_TIMEOUT)
FAULTS = ("503", "drop", "lost", "reset")
FORM = "application/x-www-form-urlencoded"
FAST_OPTIONS = HttpOptions(read_timeout=READ_TIMEOUT, connect_timeout=2.0, wait_initial=0.01, wait_max=0.05)
Worker = tuple[Runtime, AsyncWebClient]
Clock = list[datetime]


@dataclass
class Faults:
    """An ASGI layer in front of a contract server that misbehaves like a bad network.

    `script` holds (method, path suffix, fault) for the next matching requests; otherwise `down`
    answers everything with 503 and `rate` picks a random fault for that share of requests.
    Faults: "503"; "drop" (the server never sees it; the client times out); "lost" (the server
    handles it, the answer comes after the client gave up); "reset" (the server handles it, the
    connection is cut halfway through the answer). Scripted only: "slow" (a slow commit: the
    client times out, and the server writes only once the next read of an issue's notes was
    answered without it; every later request sees the write)."""

    app: Any = None
    script: list[tuple[str, str, str]] = field(default_factory=list)
    down: bool = False
    rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(6))
    injected: list[tuple[str, str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _first_look: asyncio.Future[None] | None = None  # a slow commit waits for it
    _committed: asyncio.Event | None = None

    def _choose(self, method: str, path: str) -> str | None:
        with self._lock:
            for entry in self.script:
                if entry[0] == method and path.endswith(entry[1]):
                    self.script.remove(entry)
                    return entry[2]
            if self.down:
                return "503"
            if self.rate and self.rng.random() < self.rate:
                return self.rng.choice(FAULTS)
            return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        fault = self._choose(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if fault is None:
            await self._committing(scope)
            await self.app(scope, receive, send)
            if self._first_look is not None and scope["method"] == "GET" and "/notes/issue/" in scope["path"]:
                self._first_look.set_result(None)  # ...answered without the write: now it lands
                self._first_look = None
            return
        self.injected.append((scope["method"], scope["path"], fault))
        if fault == "slow":
            self._first_look, self._committed = asyncio.get_running_loop().create_future(), asyncio.Event()
            request = [await receive()]
            while request[-1].get("more_body"):
                request.append(await receive())
            await self._first_look  # the client times out meanwhile

            async def replay() -> dict[str, Any]:
                return request.pop(0) if request else {"type": "http.disconnect"}

            await self.app(scope, replay, send)
            self._committed.set()
            return
        if fault in ("503", "drop"):
            if fault == "drop":
                await asyncio.sleep(HANG)
            await _answer_503(send)
            return
        held: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            held.append(message)

        await self.app(scope, receive, hold)  # the server does the work...
        if fault == "lost":
            await asyncio.sleep(HANG)  # ...and answers after the client gave up
            for message in held:
                await send(message)
        else:  # ...and the connection breaks halfway through the answer
            await send(held[0])
            await send({"type": "http.response.body", "body": b"{", "more_body": True})

    async def _committing(self, scope: dict[str, Any]) -> None:
        """Requests after a slow commit's first look wait until the write has landed."""
        first_look = self._first_look is not None and scope["method"] == "GET" and "/notes/issue/" in scope["path"]
        if self._committed is not None and not first_look:
            await self._committed.wait()


async def _answer_503(send: Any) -> None:
    body = json.dumps({"Message": "An error has occurred."}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def issuetrak_server(faults: Faults) -> Iterator[IssuetrakServer]:
    """The Issuetrak contract server behind `faults` (this module's own, replacing the shared one)."""
    state = IssuetrakState()
    faults.app = create_app(state)
    with serve_in_thread(faults) as base_url:
        yield IssuetrakServer(base_url + state.prefix, state)


@pytest.fixture(autouse=True)
def short_reads(runtime: Runtime) -> None:
    """The bot gives up on an Issuetrak answer after READ_TIMEOUT (settings, not a stand-in)."""
    runtime.trackers.require_issuetrak().http.client.timeout = httpx.Timeout(READ_TIMEOUT, connect=2.0)


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[Worker]:
    """The outbox worker's side: same settings, database and clock, its own tracker clients."""
    settings = runtime.settings
    rt = Runtime(
        settings=settings,
        trackers=build_trackers(settings, options=FAST_OPTIONS),
        store=Store(settings.DATABASE_URL),
        clock=runtime.clock,
    )
    yield rt, web_client(rt)
    await rt.aclose()
    await rt.store.aclose()


# The production timing, but a short real wait between the two looks for a write sent without an answer.
TIMING = writes.Timing(second_look_seconds=0.05)


async def run_worker(worker: Worker, clock: Clock, *, rounds: int = 1, after: timedelta = timedelta(hours=1)) -> None:
    """`rounds` passes of the outbox worker, each `after` the last (by default: after every backoff ran out)."""
    rt, client = worker
    for _ in range(rounds):
        clock[0] += after
        await deliver_due(rt, client, timing=TIMING)


def notes_with(server: IssuetrakServer, marker: str) -> list[dict[str, Any]]:
    return [n for n in server.state.notes.values() if marker in n["NoteText"]]


def said(chat: Chat, fragment: str) -> list[dict[str, Any]]:
    """Every message to a person (answers to requests, thread replies, DMs) containing `fragment`."""
    return [
        call.args
        for call in chat.slack.calls
        if call.method in ("response_url", "chat.postMessage", "chat.postEphemeral")
        and fragment in str(call.args.get("text", "")) + json.dumps(call.args.get("blocks") or [])
    ]


def open_note_modal(chat: Chat, text: str, ts: str) -> dict[str, Any]:
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, text, ts=ts)
    return opened.of("views.open")[-1]["view"]


def note_values(issue: int, text: str) -> dict[str, dict[str, Any]]:
    return text_values(note_issue=("issue_number", str(issue)), note_text=("text", text))


# --- Issuetrak down, then back ----------------------------------------------------------------


async def test_saved_while_down_then_posted_and_told_in_the_thread_and_by_dm(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    faults.down = True
    by_command = chat.send("/tracker note 1003 pen arrived (command)")
    assert "I saved your note for issue #1003" in by_command.text
    view = open_note_modal(chat, "pen arrived (shortcut)", "1700000000.000200")
    submitted = chat.submit(view, note_values(1003, "pen arrived (shortcut)"))
    assert submitted.status == 200 and "response_action" not in submitted.ack  # Issuetrak's silence is no error
    (saved,) = submitted.of("chat.postEphemeral")  # only the person hears it, in the thread
    assert saved["thread_ts"] == "1700000000.000200" and saved["user"] == "U0ALICE"
    assert "I saved your note" in saved["text"] and not submitted.of("chat.postMessage")
    assert not notes_with(issuetrak_server, "pen arrived")

    await run_worker(worker, clock)  # still down: nobody is told again
    assert len(said(chat, "I saved your note")) == 2 and not said(chat, "Added note")

    faults.down = False
    await run_worker(worker, clock, rounds=2)
    for how in ("command", "shortcut"):
        assert len(notes_with(issuetrak_server, f"pen arrived ({how})")) == 1
    (dm,) = [m for m in said(chat, "Added note") if m["channel"] == "U0ALICE"]
    (thread,) = [m for m in said(chat, "Added note") if m.get("thread_ts") == "1700000000.000200"]
    assert "#1003" in dm["text"] and "#1003" in thread["text"]
    assert notes_with(issuetrak_server, "(command)")[0]["CreatedBy"] == "amartin"  # found once Issuetrak was back


async def test_last_retry_fails_with_a_try_again_button_that_works_once(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    faults.down = True
    chat.send("/tracker note 1001 swapped the PSU")
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS - 2)
    assert not said(chat, "I could not post")  # attempts left: nobody is bothered
    await run_worker(worker, clock, rounds=2)
    (failed,) = said(chat, "I could not post your note to Issuetrak issue #1001")
    assert failed["channel"] == "U0ALICE" and "not answering" in failed["text"]
    (button,) = [e for b in failed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == ids.OUTBOX_RETRY and button["text"]["text"] == messages.RETRY_BUTTON
    await run_worker(worker, clock, rounds=3)
    assert len(said(chat, "I could not post")) == 1  # given up means given up: no more attempts, no more messages

    chat.user = "U0NOBODY"  # someone else's click does nothing but say so
    other = chat.click(button)
    assert messages.MODAL_EXPIRED in other.text
    assert other.of("response_url")[-1].get("replace_original") in (False, "false")  # the button stays for Alice
    chat.user = "U0ALICE"
    assert messages.MODAL_EXPIRED in chat.click({**button, "value": "999999"}).text
    assert messages.MODAL_EXPIRED in chat.click({**button, "value": "1 OR 1=1"}).text
    assert not notes_with(issuetrak_server, "swapped the PSU")

    faults.down = False
    retried = chat.click(button)
    replaced = retried.of("response_url")[0]
    assert replaced["text"] == messages.RETRY_QUEUED and replaced["replace_original"] in (True, "true")
    (note,) = notes_with(issuetrak_server, "swapped the PSU")
    assert f"Added note {note['NoteID']} to Issuetrak issue" in retried.text
    again = chat.click(button)  # a double click on the old button
    assert "already a note" in again.text
    assert len(notes_with(issuetrak_server, "swapped the PSU")) == 1


# --- the same write twice -------------------------------------------------------------------------


async def test_the_same_write_twice_is_one_note(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """A Slack retry carries the same body (same trigger_id): it is processed like the first and
    the write's idempotency key makes it one note; double submits of a modal at the same moment
    too. Every request is answered with where the one note stands."""
    command = urlencode(
        {
            "team_id": "T0TRACKER",
            "channel_id": chat.channel,
            "user_id": chat.user,
            "command": "/tracker",
            "text": "note 1007 laptop imaged",
            "trigger_id": "trigger-retried",
            "response_url": f"{chat.response_base}/retried",
        }
    )
    first = chat.post(command, FORM)
    retry = chat.post(command, FORM, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    chat.settle()
    assert first.status_code == retry.status_code == 200
    (note,) = notes_with(issuetrak_server, "laptop imaged")
    answers = [c.args["text"] for c in chat.slack.calls if c.method == "response_url"]
    assert len(answers) == 2 and all(f"note {note['NoteID']}" in a for a in answers)
    assert sum(a.startswith("Added note") for a in answers) == 1  # the other: "This message is already a note…"

    view = open_note_modal(chat, "render node back online", "1700000000.000300")
    submission = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "view_submission",
                    "team": {"id": "T0TRACKER"},
                    "user": {"id": chat.user},
                    "api_app_id": "A0TRACKER",
                    "trigger_id": "t",
                    "view": {**view, "id": "V1", "state": {"values": note_values(1001, "render node back online")}},
                }
            )
        }
    )
    statuses: list[int] = []

    def submit() -> None:
        statuses.append(chat.post(submission, FORM).status_code)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    chat.settle()
    assert statuses == [200, 200, 200]
    (note,) = notes_with(issuetrak_server, "render node back online")
    in_thread = [m["text"] for m in said(chat, f"note {note['NoteID']}") if m.get("thread_ts") == "1700000000.000300"]
    assert len(in_thread) == 3 and sum(a.startswith("Added note") for a in in_thread) == 1


# --- answers lost after the write ---------------------------------------------------------------


async def test_writes_whose_answer_was_lost_are_found_not_repeated(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """Issuetrak wrote the note (or issue) but the answer never arrived: the person hears "saved",
    and the worker finds the write by its tag instead of sending it again."""
    for fault in ("lost", "reset"):
        faults.script.append(("POST", "/notes", fault))
        reply = chat.send(f"/tracker note 1009 alert rule {fault}")
        assert "I saved your note" in reply.text  # the bot cannot know the note landed
        (note,) = notes_with(issuetrak_server, f"alert rule {fault}")  # ...but it did
        await run_worker(worker, clock)
        assert len(notes_with(issuetrak_server, f"alert rule {fault}")) == 1
        (told,) = said(chat, f"Added note {note['NoteID']} ")
        assert told["channel"] == "U0ALICE"
        assert ("POST", issuetrak_server.path("notes"), fault) in faults.injected

    opened = chat.shortcut(ids.SHORTCUT_CREATE_ISSUE, "Scanner offline", ts="1700000000.000400")
    view = (opened.of("views.open") + opened.of("views.update"))[-1]["view"]
    values = text_values(issue_subject=("subject", "Scanner offline"), issue_description=("description", "E42"))
    values["issue_type"] = {"type": {"type": "static_select", "selected_option": {"value": "1"}}}
    values["issue_priority"] = {"priority": {"type": "static_select", "selected_option": {"value": "2"}}}
    faults.script.append(("POST", "/issues", "lost"))
    before = set(issuetrak_server.state.issues)
    assert "I saved your new issue" in chat.submit(view, values).text
    await run_worker(worker, clock)
    (number,) = set(issuetrak_server.state.issues) - before
    (told,) = said(chat, "Created Issuetrak issue")
    assert f"#{number}" in told["text"] and told["thread_ts"] == "1700000000.000400"


# --- under fire -----------------------------------------------------------------------------------


async def test_under_thirty_percent_faults_every_note_lands_once_and_everyone_is_told(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    chat.slack.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")
    faults.rate = 0.3
    sent: list[tuple[str, str]] = []
    for i, issue in enumerate([1001, 1003, 1007, 1009, 1001, 1003, 1007, 1009]):
        chat.user = ("U0ALICE", "U0BAO")[i % 2]
        marker = f"note-{i}-{uuid.uuid4().hex[:8]}"
        if i % 3:
            chat.send(f"/tracker note {issue} {marker}")
        else:
            view = open_note_modal(chat, marker, f"1700000001.{i:06d}")
            chat.submit(view, note_values(issue, marker))
        sent.append((chat.user, marker))
    for _ in range(12):
        if all(_delivered_and_told(chat, issuetrak_server, marker) for _, marker in sent):
            break
        await run_worker(worker, clock)
    faults.rate = 0.0

    kinds = {fault for _, _, fault in faults.injected}
    unseen = sum(f in ("503", "drop") for _, _, f in faults.injected)
    assert len(faults.injected) >= 0.2 * (len(issuetrak_server.state.received) + unseen)
    assert kinds == set(FAULTS), kinds
    assert any(m == "POST" and f in ("lost", "reset") for m, _, f in faults.injected), "no answer lost after a write"
    for user, marker in sent:
        (note,) = notes_with(issuetrak_server, marker)
        assert note["CreatedBy"] == {"U0ALICE": "amartin", "U0BAO": "bnguyen"}[user]
        (told,) = said(chat, f"Added note {note['NoteID']} ")
        assert told.get("channel") in (None, user, chat.channel), told  # the request's answer, the DM or the thread


def _delivered_and_told(chat: Chat, server: IssuetrakServer, marker: str) -> bool:
    notes = notes_with(server, marker)
    return bool(notes) and bool(said(chat, f"Added note {notes[0]['NoteID']} "))


# --- a write sent without an answer -------------------------------------------------------------


async def test_a_slow_commit_after_a_timed_out_post_is_found_by_a_second_look(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """The POST times out and Issuetrak writes the note only after the next attempt's first look
    came back empty: the second look, a moment later, finds it, and nothing is sent again."""
    faults.script.append(("POST", "/notes", "slow"))
    assert "I saved your note" in chat.send("/tracker note 1009 badge reader rebooted").text
    await run_worker(worker, clock)
    (note,) = notes_with(issuetrak_server, "badge reader rebooted")
    assert len(issuetrak_server.requests_to("notes")) == 1
    (told,) = said(chat, "Added note")
    assert f"Added note {note['NoteID']} " in told["text"]


async def test_after_a_timed_out_post_nothing_is_sent_again_before_issuetrak_had_time_to_show_it(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    faults.script.append(("POST", "/notes", "drop"))  # Issuetrak never got it, but the bot cannot know
    assert "I saved your note" in chat.send("/tracker note 1009 door code changed").text
    await run_worker(worker, clock, after=timedelta(seconds=10))  # past the backoff, not past the settle time
    assert not issuetrak_server.requests_to("notes") and not said(chat, "Added note")
    assert len(issuetrak_server.requests_to("notes/issue/1009")) == 1  # looked, and will look again
    await run_worker(worker, clock, after=timedelta(seconds=TIMING.settle_seconds))
    assert len(issuetrak_server.requests_to("notes/issue/1009")) == 3  # late enough, twice, then sent
    assert len(notes_with(issuetrak_server, "door code changed")) == 1
    assert len(said(chat, "Added note")) == 1

    faults.script.append(("POST", "/notes", "503"))  # an answer: nothing was written, no need to wait
    assert "I saved your note" in chat.send("/tracker note 1009 door code changed again").text
    await run_worker(worker, clock, after=timedelta(seconds=10))
    assert len(notes_with(issuetrak_server, "door code changed again")) == 1


# --- Issuetrak answers again ----------------------------------------------------------------------


async def test_saved_notes_go_out_on_the_next_tick_after_issuetrak_answers_again(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """During a long outage the backoff grows; the tick after Issuetrak answers a probe, every
    waiting note goes out, not after its backoff."""
    faults.down = True
    for n in range(3):
        chat.send(f"/tracker note 1003 outage note {n}")
    await run_worker(worker, clock, rounds=3)  # the next waits are now 300 s
    assert not notes_with(issuetrak_server, "outage note")
    faults.down = False
    await run_worker(worker, clock, after=timedelta(seconds=5))  # one tick
    assert all(len(notes_with(issuetrak_server, f"outage note {n}")) == 1 for n in range(3))
    assert len(said(chat, "Added note")) == 3


async def test_any_answer_from_issuetrak_wakes_the_outbox_worker(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """In a serving process, any call Issuetrak answers (someone's `/tracker issue`, here made on
    the process's own client) makes the waiting notes due and wakes the outbox worker at once,
    long before its next interval."""
    faults.down = True
    chat.send("/tracker note 1003 toner replaced")
    rt, client = worker
    workers = Workers(rt, client, outbox_seconds=3600, digest_seconds=3600)
    workers.start()  # its first run finds Issuetrak down: a probe, tried three times
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + 10
        while (
            len([f for f in faults.injected if f[1].endswith("/projects")]) < FAST_OPTIONS.attempts
            and loop.time() < deadline
        ):
            await asyncio.sleep(0.02)
        clock[0] += timedelta(seconds=1)  # the note waits out its backoff
        faults.down = False
        await rt.trackers.require_issuetrak().get_issue(1001)
        deadline = loop.time() + 10  # a generous bound; it takes milliseconds
        while not said(chat, "Added note") and loop.time() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await workers.stop()
    assert len(notes_with(issuetrak_server, "toner replaced")) == 1
    assert len(said(chat, "Added note")) == 1


# --- the rules at send time -----------------------------------------------------------------------


async def test_rules_are_checked_again_when_a_saved_write_is_sent(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """WRITE_CHANNELS and ALLOW_PRIVATE_NOTES may change while a write waits: the worker and the
    "Try again" button follow the rules of the moment."""
    settings = chat.runtime.settings
    faults.down = True
    chat.send("/tracker note 1001 from general, saved")
    settings.WRITE_CHANNELS = "C0IT"
    faults.down = False
    await run_worker(worker, clock)
    assert not notes_with(issuetrak_server, "from general")
    (refused,) = said(chat, "I did not send your saved note for Issuetrak issue #1001, and will not")
    assert messages.WRITES_NOT_ALLOWED_HERE in refused["text"] and not refused.get("blocks")  # no Try again
    settings.WRITE_CHANNELS = ""

    private = {"note_private": {"private": {"type": "checkboxes", "selected_options": [{"value": "private"}]}}}
    faults.down = True
    view = open_note_modal(chat, "salary review", "1700000000.000700")
    chat.submit(view, note_values(1001, "salary review") | private)
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS)
    (failed,) = said(chat, "I could not post your note")
    (button,) = [e for b in failed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    settings.ALLOW_PRIVATE_NOTES = False
    faults.down = False
    assert messages.PRIVATE_NOT_ALLOWED in chat.click(button).text
    assert not notes_with(issuetrak_server, "salary review")


# --- a corrected form -----------------------------------------------------------------------------


async def test_a_corrected_form_sent_again_posts_what_was_typed_last(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    faults.down = True
    view = open_note_modal(chat, "fan noisy", "1700000000.000800")
    chat.submit(view, note_values(1003, "fan noisy"))
    chat.submit(open_note_modal(chat, "fan noisy", "1700000000.000800"), note_values(1003, "fan noisy, replaced"))
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS)  # given up
    assert said(chat, "I could not post your note")
    faults.down = False
    again = chat.submit(
        open_note_modal(chat, "fan noisy", "1700000000.000800"), note_values(1003, "fan noisy, replaced and tested")
    )
    (note,) = notes_with(issuetrak_server, "fan noisy")
    assert "fan noisy, replaced and tested" in note["NoteText"]
    assert f"Added note {note['NoteID']} " in again.text


# --- who hears what -------------------------------------------------------------------------------


async def test_only_a_public_success_is_said_in_the_thread(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    thread = "1700000000.000900"
    public = chat.submit(open_note_modal(chat, "fixed", thread), note_values(1001, "fixed"))
    (posted,) = public.of("chat.postMessage")
    assert posted["thread_ts"] == thread and "Added note" in posted["text"]

    private = {"note_private": {"private": {"type": "checkboxes", "selected_options": [{"value": "private"}]}}}
    secret = chat.submit(
        open_note_modal(chat, "root cause: Bob", "1700000000.000901"), note_values(1001, "root cause: Bob") | private
    )
    (told,) = secret.of("chat.postEphemeral")
    assert told["user"] == "U0ALICE" and "Added note" in told["text"] and not secret.of("chat.postMessage")

    faults.down = True
    chat.submit(open_note_modal(chat, "later", "1700000000.000902"), note_values(1001, "later"))
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS)
    (failed,) = said(chat, "I could not post your note")
    assert failed["user"] == "U0ALICE" and failed["thread_ts"] == "1700000000.000902"
    in_threads = [c.args for c in chat.slack.calls if c.method == "chat.postMessage" and c.args.get("thread_ts")]
    assert [m["text"] for m in in_threads] == [posted["text"]]


# --- rights decided when the write goes out -------------------------------------------------------


async def _states(worker: Worker) -> list[str]:
    """The state of every outbox row, oldest first."""
    rows = [await worker[0].store.get(n) for n in range(1, 20)]
    return [row.state.value for row in rows if row is not None]


async def test_a_note_saved_before_an_unlink_is_refused_when_it_goes_out(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """Mallory (Nora here) is linked by an admin, saves a note while Issuetrak is down, and is
    unlinked: when Issuetrak is back the worker writes nothing as the user she no longer holds."""
    chat.runtime.settings.TRACKER_ADMINS = "U0ALICE"
    assert "now writes in Issuetrak as *cdubois*" in chat.send("/tracker link <@U0NOBODY|nora> cdubois").text
    faults.down = True
    chat.user = "U0NOBODY"
    assert "I saved your note for issue #1001" in chat.send("/tracker note 1001 from mallory").text
    chat.user = "U0ALICE"
    assert "no longer writes" in chat.send("/tracker unlink <@U0NOBODY>").text
    faults.down = False
    await run_worker(worker, clock)

    assert not notes_with(issuetrak_server, "from mallory")
    (told,) = said(chat, "I did not send your saved note for Issuetrak issue #1001, and will not")
    assert told["channel"] == "U0NOBODY" and "matches no active Issuetrak user" in told["text"]
    assert await _states(worker) == ["refused"]
    await run_worker(worker, clock, rounds=2)  # refused is over: never tried again, never told again
    assert len(said(chat, "I did not send your saved note")) == 1 and not notes_with(issuetrak_server, "from mallory")


async def test_try_again_after_an_unlink_writes_nothing(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """A note that failed for good keeps its Try again button; once its person was unlinked the
    click sends nothing (and neither does a second click, nor the worker)."""
    chat.runtime.settings.TRACKER_ADMINS = "U0ALICE"
    chat.send("/tracker link <@U0NOBODY|nora> cdubois")
    faults.down = True
    chat.user = "U0NOBODY"
    chat.send("/tracker note 1001 retried by mallory")
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS)
    (failed,) = said(chat, "I could not post your note to Issuetrak issue #1001")
    (button,) = [e for b in failed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    chat.user = "U0ALICE"
    chat.send("/tracker unlink <@U0NOBODY>")
    faults.down = False

    chat.user = "U0NOBODY"
    retried = chat.click(button)
    assert "I did not send your saved note for Issuetrak issue #1001, and will not" in retried.text
    assert not notes_with(issuetrak_server, "retried by mallory")
    again = chat.click(button)
    assert "I did not send your saved note" in again.text and "Added note" not in again.text
    await run_worker(worker, clock)
    assert not notes_with(issuetrak_server, "retried by mallory") and await _states(worker) == ["refused"]


def _email_changed(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.slack.users["U0ALICE"].email = "alice@new.example"


def _became_a_guest(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.slack.users["U0ALICE"].is_restricted = True


def _deactivated_in_slack(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.slack.users["U0ALICE"].deleted = True


def _inactive_in_issuetrak(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issuetrak_server.state.users["amartin"]["IsActive"] = False


@pytest.mark.parametrize("linked_by_admin", [False, True], ids=["email match", "admin link"])
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_email_changed, "matches no active Issuetrak user"),
        (_became_a_guest, messages.GUEST_REFUSED),
        (_deactivated_in_slack, messages.SLACK_ACCOUNT_DEACTIVATED),
        (_inactive_in_issuetrak, "inactive in Issuetrak"),
    ],
    ids=["email changed", "became a guest", "deactivated in Slack", "inactive in Issuetrak"],
)
async def test_a_saved_note_goes_out_only_under_the_rights_of_that_moment(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    faults: Faults,
    worker: Worker,
    clock: Clock,
    change: Any,
    reason: str,
    linked_by_admin: bool,
) -> None:
    """Whatever Alice could do when she saved the note, it is sent only if she still may when it
    goes out; otherwise it is refused and she hears why."""
    if linked_by_admin:
        chat.runtime.settings.TRACKER_ADMINS = "U0ALICE"
        chat.send("/tracker link amartin")
    faults.down = True
    assert "I saved your note" in chat.send("/tracker note 1001 saved before the change").text
    change(chat, issuetrak_server)
    if linked_by_admin and change is _email_changed:
        reason = ""  # an admin's link does not hang on the email: the note goes out
    faults.down = False
    await run_worker(worker, clock)

    if not reason:
        (note,) = notes_with(issuetrak_server, "saved before the change")
        assert note["CreatedBy"] == "amartin"
        return
    assert not notes_with(issuetrak_server, "saved before the change")
    (told,) = said(chat, "I did not send your saved note for Issuetrak issue #1001, and will not")
    assert reason in told["text"] and told["channel"] == "U0ALICE"
    assert await _states(worker) == ["refused"]


async def test_while_slack_or_issuetrak_cannot_say_who_the_person_is_the_note_waits(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """Never sent unchecked: while Issuetrak's user list or Slack's users.info does not answer,
    the saved note stays in the outbox; it goes out once both can say."""
    faults.down = True
    chat.send("/tracker note 1001 waits for its author")
    faults.down = False
    faults.script.extend([("GET", "/users/false", "503")] * 20)  # every try of the worker's client
    await run_worker(worker, clock)
    assert not notes_with(issuetrak_server, "waits for its author") and await _states(worker) == ["pending"]
    faults.script.clear()
    chat.slack.rate_limits["users.info"] = 4  # the first try and every retry the client makes
    await run_worker(worker, clock)
    assert not notes_with(issuetrak_server, "waits for its author") and await _states(worker) == ["pending"]
    await run_worker(worker, clock)
    (note,) = notes_with(issuetrak_server, "waits for its author")
    assert note["CreatedBy"] == "amartin"


# --- a corrected issue number ---------------------------------------------------------------------


async def test_a_corrected_issue_number_replaces_the_note_not_sent_yet_and_says_which_went(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """The same message's note form sent again with another issue number is a write of its own
    (another key): the earlier one, still waiting, is cancelled; typing the first number again
    brings it back and cancels the second. Only the last choice is ever written."""
    message = "1700000000.001000"
    faults.down = True
    chat.submit(open_note_modal(chat, "fan noisy", message), note_values(1003, "fan noisy"))
    corrected = chat.submit(open_note_modal(chat, "fan noisy", message), note_values(1001, "fan noisy"))
    (aside,) = [m for m in corrected.of("chat.postEphemeral") if "earlier note" in m["text"]]
    assert aside["text"] == messages.CORRECTION_REPLACED.format(issue=1003) and aside["user"] == "U0ALICE"
    assert await _states(worker) == ["cancelled", "pending"]

    back = chat.submit(open_note_modal(chat, "fan noisy", message), note_values(1003, "fan noisy, really"))
    assert messages.CORRECTION_REPLACED.format(issue=1001) in [m["text"] for m in back.of("chat.postEphemeral")]
    assert await _states(worker) == ["pending", "cancelled"]
    faults.down = False
    await run_worker(worker, clock, rounds=2)
    (note,) = notes_with(issuetrak_server, "fan noisy")
    assert note["IssueNumber"] == 1003 and "fan noisy, really" in note["NoteText"]
    assert await _states(worker) == ["delivered", "cancelled"]


async def test_a_correction_after_the_first_note_went_out_says_so(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    message = "1700000000.001100"
    first = chat.submit(open_note_modal(chat, "PSU swapped", message), note_values(1003, "PSU swapped"))
    assert "Added note" in first.text
    corrected = chat.submit(open_note_modal(chat, "PSU swapped", message), note_values(1001, "PSU swapped"))
    assert messages.CORRECTION_TOO_LATE.format(issue=1003) in [m["text"] for m in corrected.of("chat.postEphemeral")]
    assert sorted(n["IssueNumber"] for n in notes_with(issuetrak_server, "PSU swapped")) == [1001, 1003]


async def test_a_failed_note_a_correction_replaced_cannot_be_tried_again(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    message = "1700000000.001200"
    faults.down = True
    chat.submit(open_note_modal(chat, "toner", message), note_values(1003, "toner"))
    await run_worker(worker, clock, rounds=writes.MAX_ATTEMPTS)
    (failed,) = said(chat, "I could not post your note to Issuetrak issue #1003")
    (button,) = [e for b in failed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    faults.down = False
    corrected = chat.submit(open_note_modal(chat, "toner", message), note_values(1001, "toner"))
    assert messages.CORRECTION_REPLACED.format(issue=1003) in [m["text"] for m in corrected.of("chat.postEphemeral")]
    assert messages.WRITE_REPLACED in chat.click(button).text
    (note,) = notes_with(issuetrak_server, "toner")
    assert note["IssueNumber"] == 1001


async def test_a_saved_new_issue_goes_out_under_the_rights_of_that_moment_too(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """Every kind of write passes the same send-time check: a new issue saved while Issuetrak
    refused it is not created once its person became a guest."""
    opened = chat.shortcut(ids.SHORTCUT_CREATE_ISSUE, "Plotter jammed", ts="1700000000.001300")
    view = (opened.of("views.open") + opened.of("views.update"))[-1]["view"]
    values = text_values(issue_subject=("subject", "Plotter jammed"), issue_description=("description", "tray 2"))
    values["issue_type"] = {"type": {"type": "static_select", "selected_option": {"value": "1"}}}
    values["issue_priority"] = {"priority": {"type": "static_select", "selected_option": {"value": "2"}}}
    faults.script.append(("POST", "/issues", "503"))
    before = set(issuetrak_server.state.issues)
    assert "I saved your new issue" in chat.submit(view, values).text
    chat.slack.users["U0ALICE"].is_ultra_restricted = True
    await run_worker(worker, clock)
    assert set(issuetrak_server.state.issues) == before
    (told,) = said(chat, "I did not create your saved Issuetrak issue “Plotter jammed”, and will not")
    assert messages.GUEST_REFUSED in told["text"] and await _states(worker) == ["refused"]


async def test_under_organization_scope_a_note_goes_only_to_the_writers_organizations_issues(
    chat: Chat, issuetrak_server: IssuetrakServer, faults: Faults, worker: Worker, clock: Clock
) -> None:
    """ISSUE_SCOPE=organization holds for notes when they are asked for (#1005 is Northlight Post's,
    not Alice's) and again when a saved one goes out (#1001 moved to Northlight Post meanwhile)."""
    chat.runtime.settings.ISSUE_SCOPE = "organization"
    refused = chat.send("/tracker note 1005 not my organization's")
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in refused.text
    assert not notes_with(issuetrak_server, "not my organization's")

    faults.down = True
    assert "I saved your note" in chat.send("/tracker note 1001 saved, then the issue moved").text
    issuetrak_server.state.issues[1001]["OrganizationID"] = 2
    faults.down = False
    await run_worker(worker, clock)
    assert not notes_with(issuetrak_server, "saved, then the issue moved")
    (told,) = said(chat, "I did not send your saved note for Issuetrak issue #1001, and will not")
    assert messages.SCOPE_NOT_YOURS.format(number=1001) in told["text"]
    assert await _states(worker) == ["refused"]
    issuetrak_server.state.issues[1001]["OrganizationID"] = 1  # back in Alice's organization
    assert "Added note" in chat.send("/tracker note 1001 once it is ours again").text
    (note,) = notes_with(issuetrak_server, "once it is ours again")
    assert note["CreatedBy"] == "amartin"


def test_a_person_who_just_became_a_guest_writes_nothing_though_slack_was_asked_of_them_a_moment_ago(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    """A write is made under the rights of the moment it is sent: who the person is is asked of
    Slack then, not taken from what a read a moment ago remembered."""
    assert "Render node" in chat.send("/tracker issue 1001").text  # Slack asked who Alice is
    chat.slack.users["U0ALICE"].is_restricted = True
    refused = chat.send("/tracker note 1001 written as a guest")
    assert messages.GUEST_REFUSED in refused.text and not notes_with(issuetrak_server, "written as a guest")
