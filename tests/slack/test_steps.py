"""Workflow Builder steps: signed `function_executed` events into the real app, answered with
`functions.completeSuccess` / `functions.completeError` (with the execution's own token) at the
Slack stand-in. Each step succeeds; a replayed event files once; a person with no Issuetrak user,
a guest, a user that is not a user context and an input of the wrong type each get a sentence;
while Issuetrak is down the write is saved and made once when it is back, and the step says
honestly which it was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.demo import slack_payloads
from bot.demo.slack import SlackState
from bot.running.app import web_client
from bot.running.workers import deliver_due
from bot.runtime import Runtime
from bot.services import steps
from bot.store import Store
from bot.store.models import OutboxState
from bot.trackers.registry import build_trackers
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import FAST
from tests.slack.harness import Chat, Reply

STEP_TOKEN = "xwfp-test-step-token"
MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "app-manifest.yml").read_text())
PARAMETERS = {
    callback_id: [{"name": name, **spec} for name, spec in function["input_parameters"].items()]
    for callback_id, function in MANIFEST["functions"].items()
}


def run_step(
    chat: Chat,
    callback_id: str,
    inputs: dict[str, Any],
    *,
    person: Any = "U0ALICE",
    execution_id: str | None = None,
    settle: bool = True,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Slack runs the step: the event, signed, into the app; then what the app sent."""
    if any(p["name"] == steps.PERSON for p in PARAMETERS[callback_id]) and person is not None:
        inputs = {**inputs, steps.PERSON: slack_payloads.user_context(person) if isinstance(person, str) else person}
    body = slack_payloads.function_executed(
        chat.who("step"),
        callback_id,
        inputs,
        parameters=PARAMETERS[callback_id],
        execution_id=execution_id,
        bot_access_token=STEP_TOKEN,
    )
    before = len(chat.slack.calls)
    response = chat.post(json.dumps(body), "application/json", headers=headers)
    assert response.status_code == 200  # acknowledged at once, whatever the step does after
    if settle:
        chat.settle()
    return Reply(response.status_code, {}, chat.slack.calls[before:])


def completed(reply: Reply) -> dict[str, Any]:
    (done,) = reply.of("functions.completeSuccess")
    assert not reply.of("functions.completeError")
    return done["outputs"]


def failed(reply: Reply) -> str:
    (error,) = reply.of("functions.completeError")
    assert not reply.of("functions.completeSuccess")
    return str(error["error"])


def issues_titled(server: IssuetrakServer, subject: str) -> list[dict[str, Any]]:
    return [i for i in server.state.issues.values() if i["Subject"] == subject]


ISSUE = {
    "subject": "Printer jam",
    "description": "Floor 2, *again*",
    "type": "Hardware & Peripherals",
    "priority": "High",
}


# --- each step ---------------------------------------------------------------------------------


def test_create_issue_files_it_as_the_person_and_completes_with_its_number(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    reply = run_step(chat, "create_issuetrak_issue", {**ISSUE, "project": "render farm expansion"})
    outputs = completed(reply)
    (issue,) = issues_titled(issuetrak_server, "Printer jam")
    assert outputs == {"issue_number": issue["IssueNumber"], "issue_url": outputs["issue_url"]}
    assert outputs["issue_url"].endswith(str(issue["IssueNumber"]))
    assert issue["SubmittedBy"] == "amartin" and issue["ProjectID"] == 3 and issue["PriorityID"] is not None
    assert "<strong>again</strong>" in issue["Description"] and "U0ALICE" in issue["Description"]
    (done,) = [c for c in reply.calls if c.method == "functions.completeSuccess"]
    assert done.token == STEP_TOKEN  # the execution's own token, not the bot's
    made = [c for c in reply.calls if c.method != "auth.test"]  # Bolt's own check of the bot token
    assert made and all(c.token == STEP_TOKEN for c in made), [(c.method, c.token) for c in made]


def test_add_note_takes_rich_text_and_completes_with_the_note(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    rich = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Toner <swapped>", "style": {"bold": True}},
                    {"type": "text", "text": " by "},
                    {"type": "user", "user_id": "U0ALICE"},
                ],
            }
        ],
    }
    outputs = completed(run_step(chat, "add_issuetrak_note", {"issue_number": 1003, "text": rich, "private": False}))
    note = issuetrak_server.state.notes[outputs["note_id"]]
    assert note["IssueNumber"] == 1003 and note["CreatedBy"] == "amartin" and not note["IsPrivate"]
    assert "<strong>Toner &lt;swapped&gt;</strong> by @Alice Martin" in note["NoteText"]
    assert outputs["issue_url"].endswith("1003")


def test_get_issue_completes_with_its_fields(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    outputs = completed(run_step(chat, "get_issuetrak_issue", {"issue_number": 1001}))
    issue = issuetrak_server.state.issues[1001]
    assert outputs["subject"] == issue["Subject"] and outputs["status"] == issue["Status"]
    assert set(outputs) == {"subject", "status", "substatus", "assignee", "priority", "url"}
    assert outputs["url"].endswith("1001") and outputs["priority"]


def test_look_up_asset_and_project_status_need_no_person(chat: Chat) -> None:
    asset = completed(run_step(chat, "look_up_asset", {"query": "LAPTOP-0042"}))
    assert asset["count"] == 1 and asset["key"] == "LAPTOP-0042" and asset["name"] == "MacBook Pro 14 (Alice)"
    assert asset["url"] == ""  # the AIP client knows no web page of an asset (Kitsu's have one)
    nothing = completed(run_step(chat, "look_up_asset", {"query": "no-such-thing-zzz"}))
    assert nothing == {"count": 0}
    project = completed(run_step(chat, "project_status", {"project": "1"}))
    assert project["tracker"] == "Issuetrak" and project["name"] == "Studio network refresh"
    assert project["progress"] == 40 and project["status"]


# --- exactly once ------------------------------------------------------------------------------


def test_a_replayed_event_files_one_issue(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    first = completed(run_step(chat, "create_issuetrak_issue", ISSUE, execution_id="Fx0REPLAYED"))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    again = completed(run_step(chat, "create_issuetrak_issue", ISSUE, execution_id="Fx0REPLAYED", headers=retry))
    assert first == again and len(issues_titled(issuetrak_server, "Printer jam")) == 1
    completed(run_step(chat, "create_issuetrak_issue", ISSUE))  # another run of the workflow: another issue
    assert len(issues_titled(issuetrak_server, "Printer jam")) == 2


def test_the_same_event_twice_at_once_files_one_issue(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """A retry that arrives while the first delivery is still running (another worker, say)."""
    before = len(chat.slack.calls)
    for _ in range(2):
        run_step(chat, "create_issuetrak_issue", ISSUE, execution_id="Fx0TWICE", settle=False)
    chat.settle()
    done = [c.args for c in chat.slack.calls[before:] if c.method == "functions.completeSuccess"]
    (issue,) = issues_titled(issuetrak_server, "Printer jam")
    assert [d["outputs"]["issue_number"] for d in done] == [issue["IssueNumber"]] * 2
    assert not chat.slack.of("functions.completeError")


# --- who ---------------------------------------------------------------------------------------


def test_a_person_without_an_issuetrak_user_is_refused_with_a_sentence(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    for callback_id, inputs in (
        ("create_issuetrak_issue", ISSUE),
        ("add_issuetrak_note", {"issue_number": 1003, "text": "hello"}),
        ("get_issuetrak_issue", {"issue_number": 1001}),
    ):
        error = failed(run_step(chat, callback_id, inputs, person="U0NOBODY"))
        assert error.startswith("U0NOBODY cannot use trackerbot's Issuetrak steps:"), error
        assert "nora@elsewhere.example" in error and "Traceback" not in error
    assert not issues_titled(issuetrak_server, "Printer jam")


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_a_guest_is_refused(chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState, flag: str) -> None:
    setattr(slack_state.users["U0ALICE"], flag, True)
    for callback_id, inputs in (("create_issuetrak_issue", ISSUE), ("get_issuetrak_issue", {"issue_number": 1001})):
        error = failed(run_step(chat, callback_id, inputs))
        assert messages.GUEST_REFUSED in error
    assert not issues_titled(issuetrak_server, "Printer jam")


def test_only_a_user_context_is_an_identity(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """A builder who wires a plain user ID (or text) into `person` writes as nobody."""
    no_person = messages.STEP_NO_PERSON.format(name=steps.PERSON)
    for person in ({"id": "not a user"}, None):
        assert failed(run_step(chat, "create_issuetrak_issue", ISSUE, person=person)) == no_person
    plain = {**ISSUE, steps.PERSON: "U0ALICE"}  # a user ID, not a user context
    assert failed(run_step(chat, "create_issuetrak_issue", plain, person=None)) == no_person
    declared_as_user_id = [
        {**p, "type": "slack#/types/user_id"} if p["name"] == steps.PERSON else p
        for p in PARAMETERS["create_issuetrak_issue"]
    ]
    body = slack_payloads.function_executed(
        chat.who("step"),
        "create_issuetrak_issue",
        {**ISSUE, steps.PERSON: slack_payloads.user_context("U0ALICE")},
        parameters=declared_as_user_id,
    )
    chat.post(json.dumps(body), "application/json")
    chat.settle()
    assert chat.slack.of("functions.completeError")[-1]["error"] == no_person
    assert not issues_titled(issuetrak_server, "Printer jam")


# --- bad input ---------------------------------------------------------------------------------


def test_inputs_of_the_wrong_type_or_unknown_choices_fail_with_a_sentence(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    error = failed(run_step(chat, "add_issuetrak_note", {"issue_number": "twelve", "text": "hi"}))
    assert error == "The step's input “issue_number” must be a whole number, not “twelve”."
    error = failed(run_step(chat, "add_issuetrak_note", {"issue_number": 1003, "text": "hi", "private": "yes"}))
    assert error == "The step's input “private” must be true or false."
    error = failed(run_step(chat, "create_issuetrak_issue", {**ISSUE, "subject": ["a", "list"]}))
    assert error == "The step's input “subject” must be text."
    error = failed(run_step(chat, "create_issuetrak_issue", {**ISSUE, "priority": "Whenever"}))
    assert error == "“Whenever” is not an Issuetrak priority. Use one of: Low, Normal, High, Urgent."
    error = failed(run_step(chat, "create_issuetrak_issue", {**ISSUE, "type": "Plumbing"}))
    assert "Use one of: Hardware & Peripherals, Software, Network" in error
    error = failed(run_step(chat, "add_issuetrak_note", {"issue_number": 99999, "text": "hi"}))
    assert error == "Issue 99999 does not exist."
    assert not issues_titled(issuetrak_server, "Printer jam")


# --- Issuetrak down, then back -----------------------------------------------------------------


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[tuple[Runtime, AsyncWebClient]]:
    """The outbox worker, as in another process: same settings, database and clock."""
    rt = Runtime(
        settings=runtime.settings,
        trackers=build_trackers(runtime.settings, options=FAST),
        store=Store(runtime.settings.DATABASE_URL),
        clock=runtime.clock,
    )
    yield rt, web_client(rt)
    await rt.aclose()
    await rt.store.aclose()


async def _deliver(worker: tuple[Runtime, AsyncWebClient], clock: list[datetime]) -> None:
    clock[0] += timedelta(hours=1)  # past every backoff
    await deliver_due(*worker)


NOTE = {"issue_number": 1003, "text": "spare toner (step)"}


def notes_with(server: IssuetrakServer, marker: str) -> list[dict[str, Any]]:
    return [n for n in server.state.notes.values() if marker in n["NoteText"]]


async def test_down_longer_than_the_wait_fails_saying_saved_then_the_note_is_made_once(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    worker: tuple[Runtime, AsyncWebClient],
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(steps, "WAIT_SECONDS", 0.3)
    issuetrak_server.state.faults.fail_rate = 1.0  # every request answered 503
    reply = await asyncio.to_thread(run_step, chat, "add_issuetrak_note", NOTE, execution_id="Fx0DOWN")
    error = failed(reply)
    assert error == messages.STEP_WRITE_SAVED.format(tracker="Issuetrak", item=1)
    assert not notes_with(issuetrak_server, "spare toner")
    issuetrak_server.state.faults.fail_rate = 0.0
    await _deliver(worker, clock)
    (note,) = notes_with(issuetrak_server, "spare toner")
    assert note["CreatedBy"] == "amartin"  # found once Issuetrak answered
    assert any("Added note" in str(m.get("text")) for m in chat.slack.of("chat.postMessage"))  # the person is told
    again = await asyncio.to_thread(run_step, chat, "add_issuetrak_note", NOTE, execution_id="Fx0DOWN")
    assert completed(again)["note_id"] == note["NoteID"]  # Slack's retry: the same note, now made
    assert len(notes_with(issuetrak_server, "spare toner")) == 1


async def test_back_within_the_wait_completes_with_the_note_made_once(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    worker: tuple[Runtime, AsyncWebClient],
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(steps, "WAIT_SECONDS", 12.0)
    issuetrak_server.state.faults.fail_rate = 1.0
    before = len(chat.slack.calls)
    await asyncio.to_thread(run_step, chat, "add_issuetrak_note", NOTE, settle=False)
    store = worker[0].store
    for _ in range(200):  # the step's first attempt has failed and the write waits for a retry
        item = await store.get(1)
        if item is not None and item.state is OutboxState.PENDING and item.attempts >= 1:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the write was never saved")
    assert not chat.slack.of("functions.completeError")  # still waiting, not failed
    issuetrak_server.state.faults.fail_rate = 0.0
    await _deliver(worker, clock)
    await asyncio.to_thread(chat.settle)
    reply = Reply(200, {}, chat.slack.calls[before:])
    (note,) = notes_with(issuetrak_server, "spare toner")
    assert completed(reply) == {"note_id": note["NoteID"], "issue_url": completed(reply)["issue_url"]}


def test_reads_say_what_went_wrong_in_a_sentence(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    error = failed(run_step(chat, "project_status", {"project": "no such project zz"}))
    assert error.startswith("No project matches “no such project zz” in ")
    error = failed(run_step(chat, "get_issuetrak_issue", {"issue_number": 99999}))
    assert error == "Issue 99999 does not exist."
    issuetrak_server.state.faults.fail_rate = 1.0
    error = failed(run_step(chat, "get_issuetrak_issue", {"issue_number": 1001}))
    assert "Issuetrak is not answering right now" in error and "Traceback" not in error


async def test_a_write_key_another_person_recorded_is_never_theirs_to_change(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    slack_state: SlackState,
    worker: tuple[Runtime, AsyncWebClient],
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two runs under one execution ID (never from Slack; a replay or a bug): the second person's
    text must not replace the first person's saved write, to be sent as the first person."""
    slack_state.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")  # Issuetrak's bnguyen
    monkeypatch.setattr(steps, "WAIT_SECONDS", 0.3)
    issuetrak_server.state.faults.fail_rate = 1.0
    run = asyncio.to_thread
    assert failed(await run(run_step, chat, "add_issuetrak_note", NOTE, execution_id="Fx0SAME"))
    other = {"issue_number": 1003, "text": "written by Bao"}
    refused = failed(await run(run_step, chat, "add_issuetrak_note", other, person="U0BAO", execution_id="Fx0SAME"))
    assert "U0BAO" in refused
    issuetrak_server.state.faults.fail_rate = 0.0
    await _deliver(worker, clock)
    (note,) = notes_with(issuetrak_server, "spare toner")
    assert note["CreatedBy"] == "amartin" and not notes_with(issuetrak_server, "written by Bao")


async def test_a_retried_create_step_during_an_outage_says_saved_not_nothing_saved(
    chat: Chat,
    issuetrak_server: IssuetrakServer,
    worker: tuple[Runtime, AsyncWebClient],
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack retries an execution whose issue was saved while Issuetrak is down: the retry reports
    that write (saved, then made once), without asking Issuetrak for its choices again, which an
    outage would turn into "nothing was saved"."""
    monkeypatch.setattr(steps, "WAIT_SECONDS", 0.3)
    inputs = {"subject": "Printer jam (retried step)", "priority": "High"}
    assert completed(await asyncio.to_thread(run_step, chat, "get_issuetrak_issue", {"issue_number": 1001}))
    issuetrak_server.state.faults.fail_rate = 1.0
    first = failed(await asyncio.to_thread(run_step, chat, "create_issuetrak_issue", inputs, execution_id="Fx0RETRY"))
    chat.runtime.trackers.require_issuetrak().http._reference.clear()  # the cached lookups have expired
    again = failed(await asyncio.to_thread(run_step, chat, "create_issuetrak_issue", inputs, execution_id="Fx0RETRY"))
    assert first == again == messages.STEP_WRITE_SAVED.format(tracker="Issuetrak", item=1)
    issuetrak_server.state.faults.fail_rate = 0.0
    await _deliver(worker, clock)
    made = [i for i in issuetrak_server.state.issues.values() if i["Subject"] == "Printer jam (retried step)"]
    assert len(made) == 1
