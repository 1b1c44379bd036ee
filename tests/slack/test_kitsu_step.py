"""The Workflow Builder step `add_kitsu_comment`: signed `function_executed` events into the real
app and the demo Zou (which keeps `person_id` only for a manager's comments, as Zou does). The
comment is written as the person who ran the workflow, with the status asked for, once however
often Slack sends the event; a person with no Kitsu account, a guest, a bot without manager
rights and inputs naming nothing Kitsu has fail with a sentence; while Kitsu is down the comment
is saved, the step says so, and it is posted once when Kitsu is back."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.demo.kitsu import _id
from bot.demo.slack import SlackState
from bot.runtime import Runtime
from bot.services import steps
from tests.fixtures.kitsu import KitsuServer
from tests.slack.harness import Chat
from tests.slack.test_steps import _deliver, completed, failed, run_step, worker  # noqa: F401 (worker: a fixture)

ALICE = _id("person", "alice@example.com")  # Alice Moreau in the demo Kitsu; Slack's U0ALICE has her email
MOONRISE = _id("project", "Moonrise")
TIDEPOOL = _id("project", "Tidepool")
LUNA_MODELING = _id("task", "Luna/Modeling")
WIP = _id("task-status", "wip")
DONE = _id("task-status", "done")
RICH = {
    "type": "rich_text",
    "elements": [
        {
            "type": "rich_text_section",
            "elements": [
                {"type": "text", "text": "Normals fixed on the "},
                {"type": "text", "text": "hands & feet", "style": {"bold": True}},
            ],
        }
    ],
}
COMMENT = {"task": "Moonrise / Luna / Modeling", "status": "Work In Progress", "text": RICH}


def comments(kitsu_server: KitsuServer) -> list[dict[str, Any]]:
    return kitsu_server.state.data["comments"]


def test_the_comment_is_the_persons_on_the_task_with_the_status(chat: Chat, kitsu_server: KitsuServer) -> None:
    outputs = completed(run_step(chat, "add_kitsu_comment", COMMENT))
    [comment] = comments(kitsu_server)
    assert (comment["person_id"], comment["object_id"], comment["task_status_id"]) == (ALICE, LUNA_MODELING, WIP)
    assert comment["text"].startswith("Normals fixed on the *hands & feet*\n\n_from Slack · tb-")
    assert outputs == {"comment_id": comment["id"], "task_url": outputs["task_url"]}
    assert outputs["task_url"].endswith(f"/productions/{MOONRISE}/assets/tasks/{LUNA_MODELING}")
    task = next(t for t in kitsu_server.state.data["tasks"] if t["id"] == LUNA_MODELING)
    assert task["task_status_id"] == WIP

    # The task by its ID, or by its page (the URL the step gives), the status in any case.
    for ref in (LUNA_MODELING, outputs["task_url"]):
        again = completed(run_step(chat, "add_kitsu_comment", {"task": ref, "status": "done", "text": "Approved"}))
        assert again["task_url"] == outputs["task_url"]
    assert [(c["person_id"], c["task_status_id"]) for c in comments(kitsu_server)[1:]] == [(ALICE, DONE)] * 2


def test_a_replayed_event_comments_once(chat: Chat, kitsu_server: KitsuServer) -> None:
    first = completed(run_step(chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KITSU"))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    again = completed(run_step(chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KITSU", headers=retry))
    assert first == again and len(comments(kitsu_server)) == 1
    completed(run_step(chat, "add_kitsu_comment", COMMENT))  # another run of the workflow: another comment
    assert len(comments(kitsu_server)) == 2


def test_the_same_event_twice_at_once_comments_once(chat: Chat, kitsu_server: KitsuServer) -> None:
    before = len(chat.slack.calls)
    for _ in range(2):
        run_step(chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KTWICE", settle=False)
    chat.settle()
    done = [c.args for c in chat.slack.calls[before:] if c.method == "functions.completeSuccess"]
    [comment] = comments(kitsu_server)
    assert [d["outputs"]["comment_id"] for d in done] == [comment["id"]] * 2
    assert not chat.slack.of("functions.completeError")


def test_a_person_without_a_kitsu_account_is_refused(chat: Chat, kitsu_server: KitsuServer) -> None:
    error = failed(run_step(chat, "add_kitsu_comment", COMMENT, person="U0NOBODY"))
    assert error.startswith("U0NOBODY cannot use trackerbot's Kitsu steps: Your Slack email "), error
    assert "matches no active Kitsu account" in error
    assert not comments(kitsu_server)


def test_a_guest_is_refused(chat: Chat, kitsu_server: KitsuServer, slack_state: SlackState) -> None:
    slack_state.add_user("U0GUEST", "Gus Guest", "alice@example.com")  # Alice's Kitsu email, as a guest
    slack_state.users["U0GUEST"].is_restricted = True
    error = failed(run_step(chat, "add_kitsu_comment", COMMENT, person="U0GUEST"))
    assert error == messages.STEP_PERSON_REFUSED.format(
        person="U0GUEST", tracker="Kitsu", reason=messages.GUEST_REFUSED
    )
    assert not comments(kitsu_server)


def test_a_bot_without_manager_rights_writes_nothing(chat: Chat, kitsu_server: KitsuServer) -> None:
    bot = kitsu_server.state.person_by_email("dana@example.com")
    assert bot is not None
    bot["role"] = "user"  # the account trackerbot logs in with is an artist now
    assert messages.KITSU_NOT_MANAGER in failed(run_step(chat, "add_kitsu_comment", COMMENT))
    assert not comments(kitsu_server)


def test_not_on_the_productions_team_is_refused(chat: Chat, kitsu_server: KitsuServer) -> None:
    tidepool = next(p for p in kitsu_server.state.data["projects"] if p["id"] == TIDEPOOL)
    tidepool["team"] = [person for person in tidepool["team"] if person != ALICE]
    pip = _id("task", "Pip the Crab/Modeling")
    error = failed(run_step(chat, "add_kitsu_comment", {**COMMENT, "task": pip}))
    assert error.endswith(messages.KITSU_NOT_ON_TEAM.format(production="Tidepool")), error
    by_name = failed(run_step(chat, "add_kitsu_comment", {**COMMENT, "task": "Tidepool / Pip the Crab / Modeling"}))
    assert by_name == "“Tidepool” is not a Kitsu production U0ALICE is on. Use one of: Moonrise."
    assert not comments(kitsu_server)


def test_inputs_naming_nothing_kitsu_has_fail_with_the_valid_names(chat: Chat, kitsu_server: KitsuServer) -> None:
    def error(**inputs: Any) -> str:
        return failed(run_step(chat, "add_kitsu_comment", {**COMMENT, **inputs}))

    assert error(task="Sunset / Luna / Modeling") == (
        "“Sunset” is not a Kitsu production U0ALICE is on. Use one of: Moonrise, Tidepool."
    )
    assert error(task="Moonrise / Luna / Lighting") == (
        "“Lighting” is not a task of Luna. Use one of: Concept, Modeling, Rigging, Shading."
    )
    assert error(task="moonrise / Nobody / Modeling") == (
        "“Nobody” is not an asset or shot of Moonrise with tasks. Use one of: "
        "Captain Orrin, Crater Field, Luna, Lunar Rover, Moon Base, Oxygen Tank, Star Map."
    )
    assert error(status="Shipped") == (
        "“Shipped” is not a task status of Moonrise. Use one of: "
        "Todo, Work In Progress, Waiting For Approval, Retake, Done."
    )
    assert error(task="Luna Modeling") == messages.STEP_KITSU_TASK_REF.format(value="Luna Modeling")
    missing = "00000000-0000-4000-8000-000000000000"
    assert error(task=missing) == f"Kitsu has no task “{missing}”."
    assert error(text=["not", "text"]) == "The step's input “text” must be text."
    assert error(status="") == messages.STEP_INPUT_MISSING.format(name="status")
    assert error(text="x" * 20_001) == "The step's input “text” is 20,001 characters; it takes at most 20,000."
    assert error(task="/ " * 1000).startswith("The step's input “task” is 2,000 characters")
    assert not comments(kitsu_server)


def test_kitsu_down_when_the_step_runs_saves_nothing_and_says_so(chat: Chat, kitsu_server: KitsuServer) -> None:
    kitsu_server.state.faults.fail_rate = 1.0  # every request answered 503
    error = failed(run_step(chat, "add_kitsu_comment", COMMENT))
    assert error == messages.STEP_CHOICES_UNREADABLE.format(
        tracker="Kitsu", what="task", value="Moonrise / Luna / Modeling"
    )
    kitsu_server.state.faults.fail_rate = 0.0
    assert not comments(kitsu_server)
    assert not chat.slack.of("chat.postMessage")  # nothing saved, so nothing to tell later


async def test_kitsu_down_longer_than_the_wait_saves_it_then_it_is_posted_once(
    chat: Chat,
    kitsu_server: KitsuServer,
    worker: tuple[Runtime, AsyncWebClient],  # noqa: F811 (the steps tests' fixture, imported above)
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(steps, "WAIT_SECONDS", 0.3)
    kitsu_server.state.comments_down = True  # the task and status are checked; only the comment waits
    reply = await asyncio.to_thread(run_step, chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KDOWN")
    assert failed(reply) == messages.STEP_WRITE_SAVED.format(tracker="Kitsu", item=1)
    assert not comments(kitsu_server)
    kitsu_server.state.faults.fail_rate = 1.0  # all of Kitsu down now: Slack's retry hears it is saved
    retried = await asyncio.to_thread(run_step, chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KDOWN")
    assert failed(retried) == messages.STEP_WRITE_SAVED.format(tracker="Kitsu", item=1)
    kitsu_server.state.comments_down, kitsu_server.state.faults.fail_rate = False, 0.0
    await _deliver(worker, clock)
    [comment] = comments(kitsu_server)
    assert (comment["person_id"], comment["task_status_id"]) == (ALICE, WIP)
    told = [m for m in chat.slack.of("chat.postMessage") if "Commented on Kitsu task" in str(m.get("text"))]
    assert len(told) == 1  # the person hears of it once
    again = await asyncio.to_thread(run_step, chat, "add_kitsu_comment", COMMENT, execution_id="Fx0KDOWN")
    assert completed(again)["comment_id"] == comment["id"]  # Slack's retry: the same comment, now made
    assert len(comments(kitsu_server)) == 1
