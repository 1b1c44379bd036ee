"""Every acknowledged request ends in an answer: a request that gives up waiting on Issuetrak's
shared reference data (the note form's issue check, the /healthz probe) leaves the others
waiting on it answered."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import httpx
import pytest

from bot.demo.issuetrak import IssuetrakState, create_app
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID
from bot.running import health
from bot.views import ids
from handlers import submissions
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat, text_values


class Gate:
    """ASGI wrapper holding the requests whose path ends with `suffix` until `opened` is set."""

    def __init__(self, app: Any, suffix: str) -> None:
        self.app, self.suffix = app, suffix
        self.arrived, self.opened = threading.Event(), threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith(self.suffix):
            self.arrived.set()
            await anyio.to_thread.run_sync(self.opened.wait, 15)
        await self.app(scope, receive, send)


@pytest.fixture
def gate() -> Gate:
    return Gate(None, "/issuetypes")


@pytest.fixture
def issuetrak_server(gate: Gate) -> Iterator[IssuetrakServer]:
    """The demo Issuetrak, whose issue type list waits for the test's gate."""
    state = IssuetrakState()
    gate.app = create_app(state)
    try:
        with serve_in_thread(gate) as base_url:
            yield IssuetrakServer(base_url + state.prefix, state)
    finally:
        gate.opened.set()


def submit_without_waiting(chat: Chat, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A view submission as Slack posts it; returns the acknowledgement without waiting for the
    work it started (Chat.submit would)."""
    payload = {
        "type": "view_submission",
        "trigger_id": chat.trigger(),
        "team": {"id": TEAM_ID, "domain": "demo"},
        "user": {"id": chat.user, "team_id": TEAM_ID},
        "api_app_id": "A0TRACKER",
        "token": "legacy",
        "view": {**view, "state": {"values": values}},
    }
    response = chat.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    return response.json() if response.content else {}


def test_a_note_form_check_that_times_out_leaves_a_command_waiting_on_the_same_load_answered(
    chat: Chat, gate: Gate, issuetrak_server: IssuetrakServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submissions, "CHECK_SECONDS", 0.5)
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "Rebooted rn-07")
    view = (opened.of("views.open") + opened.of("views.update"))[-1]["view"]
    values = text_values(note_issue=("issue_number", "1001"), note_text=("text", "Rebooted rn-07"))

    with ThreadPoolExecutor(2) as pool:
        form = pool.submit(submit_without_waiting, chat, view, values)  # its check starts the issue type load
        assert gate.arrived.wait(10)
        command = pool.submit(chat.send, "/tracker issue 1001")  # waits on the same load
        assert form.result(timeout=10) == {}, "the check gave up and the form was accepted"
        gate.opened.set()
        reply = command.result(timeout=20)

    assert "Render node rn-07 drops off the farm overnight" in reply.text
    assert "went wrong" not in reply.text
    assert len(issuetrak_server.requests_to("issuetypes")) == 1, "one load, shared"
    notes = [n for n in issuetrak_server.state.notes.values() if n["IssueNumber"] == 1001]
    assert "Rebooted rn-07" in notes[-1]["NoteText"]


def test_a_health_probe_that_times_out_leaves_a_command_waiting_on_the_same_load_answered(
    chat: Chat, bot_url: str, gate: Gate, issuetrak_server: IssuetrakServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "PING_TIMEOUT_SECONDS", 0.5)

    with ThreadPoolExecutor(2) as pool:
        probe = pool.submit(httpx.get, f"{bot_url}/healthz", timeout=10)  # Issuetrak's ping starts the load
        assert gate.arrived.wait(10)
        command = pool.submit(chat.send, "/tracker issue 1001")
        assert probe.result(timeout=10).json()["trackers"]["issuetrak"]["reachable"] is False
        gate.opened.set()
        reply = command.result(timeout=20)

    assert "Render node rn-07 drops off the farm overnight" in reply.text
    assert len(issuetrak_server.requests_to("issuetypes")) == 1, "one load, shared"
