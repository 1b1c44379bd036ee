"""Kill -9 mid-outage: `python -m bot` saves a note while Issuetrak is down and is killed with
SIGKILL before it can deliver it; Issuetrak comes back, the bot starts again, and its outbox worker
delivers the note exactly once and tells the person.

The bot runs as a real process (its own settings from the environment, a temporary SQLite file)
against a loopback Slack stand-in and the Issuetrak contract server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.store import OutboxState, Store
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

TRIGGER = "trigger-kill-9"
ROOT = Path(__file__).resolve().parents[1]  # the bot under test is this checkout's, whatever is installed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


@contextmanager
def bot_process(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot` serving on `port`; killed with SIGKILL (if still running) on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT
        )
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(ready, 15, "the bot to serve /healthz")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def _send_note(port: int, slack_url: str, text: str) -> int:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/tracker",
            "text": text,
            "trigger_id": TRIGGER,
            "response_url": f"{slack_url}/response/kill9",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return httpx.post(
        f"http://127.0.0.1:{port}/slack/events",
        content=body,
        timeout=10,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    ).status_code


def _outbox_state(database_url: str) -> tuple[OutboxState, int] | None:
    async def read() -> tuple[OutboxState, int] | None:
        store = Store(database_url)
        try:
            item = await store.get(f"command:{TRIGGER}")
            return None if item is None else (item.state, item.attempts)
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_a_note_saved_before_kill_9_is_delivered_once_after_restart(
    issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    slack_url, slack_state = slack
    port = _free_port()
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "ISSUETRAK_URL": issuetrak_server.url,
        "ISSUETRAK_API_KEY": issuetrak_server.state.api_key,
    }
    notes = issuetrak_server.state.notes
    issuetrak_server.state.faults.fail_next.extend([503] * 100_000)  # Issuetrak is down

    with bot_process(env, port, tmp_path / "first.log") as first:
        assert _send_note(port, slack_url, "note 1003 replacement pen handed over") == 200
        saved = _wait_for(
            lambda: [c for c in slack_state.of("response_url") if "saved your note" in c["text"]],
            10,
            "the person to hear the note was saved",
        )
        assert saved[0]["text"].startswith("Issuetrak is not answering, so I saved your note for issue #1003")
        assert _outbox_state(database_url) == (OutboxState.PENDING, 1)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    assert not [n for n in notes.values() if "replacement pen" in n["NoteText"]]

    issuetrak_server.state.faults.fail_next.clear()  # Issuetrak is back
    with bot_process(env, port, tmp_path / "second.log"):
        told = _wait_for(
            lambda: [m for m in slack_state.of("chat.postMessage") if "Added note" in m.get("text", "")],
            15,
            "the restarted bot to deliver the note",
        )
    (note,) = [n for n in notes.values() if "replacement pen" in n["NoteText"]]
    assert note["CreatedBy"] == "amartin" and note["IssueNumber"] == 1003
    (message,) = told
    assert message["channel"] == "U0ALICE" and f"Added note {note['NoteID']} to Issuetrak issue" in message["text"]
    assert _outbox_state(database_url) == (OutboxState.DELIVERED, 2)
