"""The one way to write a listener (`handlers.listening.listener`), through signed requests into
the real Bolt app over HTTP: the click is acknowledged before its work runs, the work is handed
to the runtime under its name, and its failure reaches the person as one sentence, in place of
the message or beside it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.demo import slack_payloads
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.errors import PersonFacingError
from bot.running.app import create_app
from bot.running.web import create_web_app
from bot.runtime import Runtime
from handlers.listening import Heard, listener
from tests.slack.harness import Chat

FAILED = "The probe could not reach its tracker; try again in a few minutes."


class Probe:
    """Test listeners on the real app: one whose work fails with a sentence for the person (in
    place of the message, or beside it), one whose work waits for the test to let it go."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.heard: list[Heard] = []
        self.task_names: list[str] = []

    async def fail(self, heard: Heard) -> None:
        self.heard.append(heard)
        raise PersonFacingError(FAILED)

    async def wait(self, heard: Heard) -> None:
        self.heard.append(heard)
        task = asyncio.current_task()
        self.task_names.append(task.get_name() if task is not None else "")
        await asyncio.to_thread(self.released.wait, 10)
        await heard.reply(text="done", replace_original=True)


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def probe_chat(runtime: Runtime, slack_state: SlackState, slack_url: str, probe: Probe) -> Iterator[Chat]:
    app = create_app(runtime)
    app.action("probe_fails")(listener("probe fails")(probe.fail))
    app.action("probe_fails_beside")(listener("probe fails beside", beside=True)(probe.fail))
    app.action("probe_waits")(listener("probe waits")(probe.wait))
    try:
        with serve_in_thread(create_web_app(runtime, app), lifespan="on") as url:
            yield Chat(
                events_url=f"{url}/slack/events",
                slack=slack_state,
                runtime=runtime,
                response_base=f"{slack_url}/response",
            )
    finally:
        probe.released.set()


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": "7", "block_id": "b"}


def test_work_failing_with_a_sentence_for_the_person_answers_with_that_sentence_in_place(
    probe_chat: Chat, probe: Probe
) -> None:
    reply = probe_chat.click(_button("probe_fails"))
    assert reply.status == 200
    [answer] = [c.args for c in reply.calls if c.method == "response_url"]
    assert answer["text"] == FAILED
    assert answer["replace_original"] is True
    assert "Traceback" not in reply.text and "Something went wrong" not in reply.text
    [heard] = probe.heard
    assert (heard.team, heard.user, heard.channel, heard.value) == (TEAM_ID, probe_chat.user, probe_chat.channel, "7")


def test_beside_answers_the_clicker_alone_and_leaves_the_message(probe_chat: Chat) -> None:
    reply = probe_chat.click(_button("probe_fails_beside"))
    [answer] = [c.args for c in reply.calls if c.method == "response_url"]
    assert answer["text"] == FAILED
    assert answer["replace_original"] is False
    assert answer["response_type"] == "ephemeral"


def test_the_click_is_acknowledged_before_its_work_runs_and_the_work_is_the_runtimes(
    probe_chat: Chat, probe: Probe, runtime: Runtime
) -> None:
    before = len(probe_chat.slack.calls)
    response = probe_chat.post(*_click_body(probe_chat, "probe_waits"))
    # The work cannot finish until it is let go: an acknowledgement that waited for it would never come.
    assert response.status_code == 200
    assert not [c for c in probe_chat.slack.calls[before:] if c.method == "response_url"]
    probe.released.set()
    probe_chat.settle()
    assert probe.task_names == ["probe waits"]  # handed to Runtime.spawn under its name
    [answer] = [c.args for c in probe_chat.slack.calls[before:] if c.method == "response_url"]
    assert answer["text"] == "done"
    assert not runtime.tasks


def _click_body(chat: Chat, action_id: str) -> tuple[str, str]:
    """A click as `Chat.click` posts it (`Chat.post` signs it), without waiting for the work it starts."""
    payload = slack_payloads.block_action(chat.who("act"), _button(action_id), trigger_id=chat.trigger())
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
