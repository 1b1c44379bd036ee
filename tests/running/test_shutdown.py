"""SIGTERM on a real `python -m bot`: it stops taking connections, answers the request it was
reading, finishes the sends that end within its bound, gives the one that does not back to the
outbox (telling the person it is queued, not lost), and exits within the bound; a restart then
delivers that note exactly once.

Issuetrak here holds the first note it is sent until the test lets it go, and then writes it, as
a slow Issuetrak does whether or not the caller still waits for the answer."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bot import messages
from bot.demo.issuetrak import IssuetrakState
from bot.demo.issuetrak import create_app as create_issuetrak
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.services import writes
from bot.store import OutboxState, Store
from tests.bot_processes import (
    bot_environment,
    bot_process,
    command_body,
    free_port,
    send_command,
    signed_headers,
    wait_for,
)
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.test_socket_mode import _slack_socket

# README, "Several workers": 5 s for the requests being read, 10 s for the work in flight, 2 s
# for what was cancelled to give its claims back; a generous margin for a loaded machine.
EXIT_BOUND_SECONDS = 20.0


class HeldNote:
    """ASGI around the Issuetrak contract server: the first note POSTed is read whole, then held
    until `release` is set; then Issuetrak writes it (the caller may be long gone)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/notes"):
            return await self.app(scope, receive, send)
        if self.arrived.is_set():
            return await self.app(scope, receive, send)
        self.arrived.set()
        messages_in = [await receive()]
        while messages_in[-1].get("more_body"):
            messages_in.append(await receive())
        await asyncio.to_thread(self.release.wait)

        async def replay() -> Any:
            return messages_in.pop(0) if messages_in else {"type": "http.disconnect"}

        await self.app(scope, replay, send)


@pytest.fixture
def held_issuetrak() -> Iterator[tuple[IssuetrakServer, HeldNote]]:
    state = IssuetrakState()
    held = HeldNote(create_issuetrak(state))
    with serve_in_thread(held) as base_url:
        try:
            yield IssuetrakServer(base_url + state.prefix, state), held
        finally:
            held.release.set()


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def _tagged(issuetrak: IssuetrakServer, trigger: str) -> list[dict[str, Any]]:
    tag = writes.reference(f"command:{trigger}")
    return [note for note in issuetrak.state.notes.values() if tag in note["NoteText"]]


def _row(database_url: str, trigger: str) -> tuple[OutboxState, str | None] | None:
    async def read() -> tuple[OutboxState, str | None] | None:
        store = Store(database_url)
        try:
            item = await store.get(f"command:{trigger}")
            return None if item is None else (item.state, item.last_error)
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_sigterm_answers_what_it_read_finishes_quick_sends_and_hands_over_a_slow_one(
    held_issuetrak: tuple[IssuetrakServer, HeldNote], slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    issuetrak, held = held_issuetrak
    slack_url, slack_state = slack
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = bot_environment(
        port, database_url, slack_url, ISSUETRAK_URL=issuetrak.url, ISSUETRAK_API_KEY=issuetrak.state.api_key
    )

    def answers(trigger: str) -> list[str]:
        return [
            c["text"] for c in slack_state.of("response_url") if c["_hook"] == trigger and "Working" not in c["text"]
        ]

    with bot_process(env, port, tmp_path / "first.log") as first:
        assert send_command(port, slack_url, "note 1003 slow pen", "slow").status_code == 200
        assert held.arrived.wait(15), "the note never reached Issuetrak"
        # A second request, its body half sent when SIGTERM comes.
        body = command_body("note 1004 quick pen", "quick", slack_url).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in signed_headers(body.decode()).items())
        reading = socket.create_connection(("127.0.0.1", port), timeout=30)
        reading.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
            + body[:20]
        )
        # Its head was read before this later connection's request was answered (one event loop).
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        first.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        wait_for(lambda: _refused(port), 10, "the bot to stop taking connections")
        reading.sendall(body[20:])
        answer = reading.recv(65536).decode()
        reading.close()
        assert answer.startswith("HTTP/1.1 200"), answer
        assert first.wait(timeout=EXIT_BOUND_SECONDS + 5) == -signal.SIGTERM
        assert time.monotonic() - stopping < EXIT_BOUND_SECONDS

    # The quick note went out before the process stopped; the slow one was handed over.
    assert len(_tagged(issuetrak, "quick")) == 1
    assert [t for t in answers("quick") if t.startswith("Added note")], answers("quick")
    assert answers("slow") == [messages.WRITE_HANDED_OVER]
    assert _row(database_url, "slow") == (OutboxState.PENDING, messages.WRITE_HANDED_OVER)

    held.release.set()  # Issuetrak writes the slow note after all
    wait_for(lambda: _tagged(issuetrak, "slow"), 10, "Issuetrak to write the held note")
    with bot_process(env, port, tmp_path / "second.log"):
        told = wait_for(
            lambda: [m for m in slack_state.of("chat.postMessage") if "Added note" in m.get("text", "")],
            20,
            "the restarted bot to find the note and tell the person",
        )
    (note,) = _tagged(issuetrak, "slow")
    (message,) = told
    assert message["channel"] == "U0ALICE" and f"Added note {note['NoteID']} to Issuetrak issue" in message["text"]
    assert len(_tagged(issuetrak, "quick")) == 1
    assert _row(database_url, "slow") == (OutboxState.DELIVERED, None)


async def test_sigterm_in_socket_mode_hands_over_the_note_in_flight_and_exits_cleanly(
    held_issuetrak: tuple[IssuetrakServer, HeldNote], slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    """`python -m bot socket`: a note arrives over the WebSocket, Issuetrak holds it, SIGTERM; the
    process closes the socket, hands the note back to the outbox, tells the person, and exits 0."""
    issuetrak, held = held_issuetrak
    slack_url, slack_state = slack
    acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    envelope = {
        "envelope_id": "env-note",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": dict(parse_qsl(command_body("note 1003 socket pen", "socket", slack_url))),
    }
    runner, slack_state.socket_url = await _slack_socket(envelope, acks)
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = bot_environment(
        free_port(),
        database_url,
        slack_url,
        SLACK_APP_TOKEN="xapp-1-test-token",
        ISSUETRAK_URL=issuetrak.url,
        ISSUETRAK_API_KEY=issuetrak.state.api_key,
    )
    with (tmp_path / "socket.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "socket", env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        ack = await asyncio.wait_for(acks.get(), 30)
        assert ack["envelope_id"] == "env-note"
        assert await asyncio.to_thread(held.arrived.wait, 15), "the note never reached Issuetrak"
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        assert await asyncio.wait_for(process.wait(), EXIT_BOUND_SECONDS + 5) == 0, (
            tmp_path / "socket.log"
        ).read_text()
        assert time.monotonic() - stopping < EXIT_BOUND_SECONDS
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await runner.cleanup()
    told = [c["text"] for c in slack_state.of("response_url") if c["_hook"] == "socket" and "Working" not in c["text"]]
    assert told == [messages.WRITE_HANDED_OVER]
    assert await asyncio.to_thread(_row, database_url, "socket") == (OutboxState.PENDING, messages.WRITE_HANDED_OVER)
