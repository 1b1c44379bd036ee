"""Kill -9 mid-outage: `python -m bot` saves a note while Issuetrak is down and is killed with
SIGKILL before it can deliver it; Issuetrak comes back, the bot starts again, and its outbox worker
delivers the note exactly once and tells the person.

The bot runs as a real process (its own settings from the environment, a temporary SQLite file)
against a loopback Slack stand-in and the Issuetrak contract server."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.demo.loopback import serve_in_thread
from bot.demo.slack import SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.store import OutboxState, Store
from tests.bot_processes import bot_environment, bot_process, free_port, send_command, wait_for
from tests.fixtures.issuetrak import IssuetrakServer

TRIGGER = "trigger-kill-9"


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


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
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = bot_environment(
        port,
        database_url,
        slack_url,
        ISSUETRAK_URL=issuetrak_server.url,
        ISSUETRAK_API_KEY=issuetrak_server.state.api_key,
    )
    notes = issuetrak_server.state.notes
    issuetrak_server.state.faults.fail_next.extend([503] * 100_000)  # Issuetrak is down

    with bot_process(env, port, tmp_path / "first.log") as first:
        assert send_command(port, slack_url, "note 1003 replacement pen handed over", TRIGGER).status_code == 200
        saved = wait_for(
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
        told = wait_for(
            lambda: [m for m in slack_state.of("chat.postMessage") if "Added note" in m.get("text", "")],
            15,
            "the restarted bot to deliver the note",
        )
    (note,) = [n for n in notes.values() if "replacement pen" in n["NoteText"]]
    assert note["CreatedBy"] == "amartin" and note["IssueNumber"] == 1003
    (message,) = told
    assert message["channel"] == "U0ALICE" and f"Added note {note['NoteID']} to Issuetrak issue" in message["text"]
    assert _outbox_state(database_url) == (OutboxState.DELIVERED, 2)
