"""Comment on a Kitsu task and move its status, from the "Add as Kitsu comment" shortcut and from
the "Comment" button of a production card's task line: signed requests into the real app, the
form's typeahead through the options endpoint, and the demo Zou, which keeps `person_id` only
for a manager's comments as Zou does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import messages
from bot.demo import slack_payloads
from bot.demo.kitsu import _id
from bot.views import ids
from tests.fixtures.kitsu import KitsuServer
from tests.slack.harness import Chat, Reply
from tests.slack.test_outbox import Clock, Worker, run_worker, said, worker  # noqa: F401 (worker: a fixture)

ALICE = _id("person", "alice@example.com")  # Alice Moreau in the demo Kitsu; Slack's U0ALICE has her email
MOONRISE = _id("project", "Moonrise")
LUNA = _id("asset", "Luna")
LUNA_MODELING = _id("task", "Luna/Modeling")
WIP = _id("task-status", "wip")
SELECTS = {
    "production": ids.KITSU_PRODUCTION,
    "entity": ids.KITSU_ENTITY,
    "task": ids.KITSU_TASK,
    "status": ids.KITSU_STATUS,
}


def _form(reply: Reply) -> dict[str, Any]:
    """The form (or sentence) the loading modal was replaced with."""
    return reply.of("views.update")[-1]["view"]


def _option(value: str, text: str = "x") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _values(chosen: dict[str, str], text: str = "Normals fixed") -> dict[str, Any]:
    values: dict[str, Any] = {
        block: {
            action: {"type": "external_select", "selected_option": _option(chosen[name]) if name in chosen else None}
        }
        for name, (block, action) in SELECTS.items()
    }
    block, action = ids.KITSU_TEXT
    values[block] = {action: {"type": "plain_text_input", "value": text}}
    return values


def _choices(chat: Chat, view: dict[str, Any], which: str, chosen: dict[str, str], typed: str = "") -> dict[str, str]:
    """The options the form offers for `which` as `typed` is typed: {label: value}."""
    block, action = SELECTS[which]
    payload = slack_payloads.block_suggestion(chat.who("opt"), view, _values(chosen), block, action, typed)
    reply = chat.interact(payload)
    assert reply.status == 200
    return {o["text"]["text"]: o["value"] for o in reply.ack.get("options", [])}


def _comments(kitsu_server: KitsuServer) -> list[dict[str, Any]]:
    return kitsu_server.state.data["comments"]


def test_the_shortcut_comments_as_the_person_and_moves_the_status_once(chat: Chat, kitsu_server: KitsuServer) -> None:
    opened = chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "Normals fixed on the *hands*", ts="1700000000.000500")
    assert "Loading…" in json.dumps(opened.of("views.open")[0]["view"], ensure_ascii=False)  # before any tracker call
    view = _form(opened)
    assert view["callback_id"] == ids.KITSU_COMMENT_MODAL
    assert "Normals fixed on the *hands*" in json.dumps(view)

    productions = _choices(chat, view, "production", {})
    assert set(productions) == {"Moonrise", "Tidepool"}  # open, with Alice on the team (not Paper Lanterns)
    assert productions["Moonrise"] == MOONRISE
    assert set(_choices(chat, view, "entity", {"production": MOONRISE}, "lu")) == {"Luna", "Lunar Rover"}
    tasks = _choices(chat, view, "task", {"production": MOONRISE, "entity": LUNA})
    assert set(tasks) == {"Concept", "Modeling", "Rigging", "Shading"} and tasks["Modeling"] == LUNA_MODELING
    statuses = _choices(chat, view, "status", {"production": MOONRISE}, "work")
    assert statuses == {"Work In Progress": WIP}

    chosen = {"production": MOONRISE, "entity": LUNA, "task": LUNA_MODELING, "status": WIP}
    submitted = chat.submit(view, _values(chosen, "Normals fixed on the *hands*"))
    assert submitted.ack == {} or submitted.ack.get("response_action") is None, submitted.ack
    [comment] = _comments(kitsu_server)
    assert comment["person_id"] == ALICE  # written as Alice, not as the bot
    assert comment["task_status_id"] == WIP and comment["object_id"] == LUNA_MODELING
    assert comment["text"].startswith("Normals fixed on the *hands*\n\n_from Slack · tb-")
    task = next(t for t in kitsu_server.state.data["tasks"] if t["id"] == LUNA_MODELING)
    assert task["task_status_id"] == WIP
    [told] = submitted.of("chat.postMessage")
    assert told["thread_ts"] == "1700000000.000500"
    assert "Commented on Kitsu task *Moonrise / Luna / Modeling*, now *Work In Progress*." in told["text"]

    again = chat.submit(view, _values(chosen, "Normals fixed on the *hands*"))  # a double submit: one comment
    assert len(_comments(kitsu_server)) == 1
    assert "already on Kitsu task" in again.text


def test_the_comment_button_of_a_production_cards_task_line(chat: Chat, kitsu_server: KitsuServer) -> None:
    card = chat.send("/tracker project moonrise")
    buttons = [b for b in _accessories(card) if b["action_id"] == ids.KITSU_TASK_COMMENT]
    assert buttons and all(b["text"]["text"] == "Comment" for b in buttons)
    assert "Luna / Modeling" in card.text
    button = next(b for b in buttons if b["value"] == LUNA_MODELING)
    clicked = chat.interact(
        slack_payloads.block_action(
            chat.who("act"), button, {"type": "message", "ts": "1700000000.000600"}, trigger_id=chat.trigger()
        )
    )
    view = _form(clicked)
    shown = json.dumps(view)
    assert "Moonrise" in shown and "Luna" in shown and LUNA_MODELING in shown  # the task chosen already
    done = _id("task-status", "done")
    chosen = {"production": MOONRISE, "entity": LUNA, "task": LUNA_MODELING, "status": done}
    chat.submit(view, _values(chosen, "Approved by the director"))
    [comment] = _comments(kitsu_server)
    assert (comment["person_id"], comment["task_status_id"]) == (ALICE, done)


def _accessories(reply: Reply) -> list[dict[str, Any]]:
    return [
        block["accessory"]
        for call in reply.calls
        for block in call.args.get("blocks") or []
        if block.get("type") == "section" and block.get("accessory")
    ]


def test_a_person_with_no_kitsu_account_is_told_so(chat: Chat, kitsu_server: KitsuServer) -> None:
    chat.user = "U0NOBODY"
    opened = chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "hello")
    assert "matches no active Kitsu account" in json.dumps(_form(opened))
    assert not _comments(kitsu_server)


def test_without_manager_rights_the_bot_refuses_rather_than_comment_as_itself(
    chat: Chat, kitsu_server: KitsuServer
) -> None:
    bot = kitsu_server.state.person_by_email("dana@example.com")
    assert bot is not None
    bot["role"] = "user"  # the account trackerbot logs in with is an artist now
    opened = chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "hello")
    assert "is not a manager" in json.dumps(_form(opened))
    assert not _comments(kitsu_server)


def test_the_form_refuses_a_task_outside_the_choices_and_a_forged_form(chat: Chat, kitsu_server: KitsuServer) -> None:
    view = _form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "hello"))
    pip = _id("task", "Pip the Crab/Modeling")  # Tidepool's, not Luna's
    wrong = chat.submit(view, _values({"production": MOONRISE, "entity": LUNA, "task": pip, "status": WIP}))
    assert wrong.ack["response_action"] == "errors"
    assert wrong.ack["errors"] == {ids.KITSU_TASK[0]: messages.KITSU_TASK_ELSEWHERE}
    unchosen = chat.submit(view, _values({"production": MOONRISE}))
    assert unchosen.ack["errors"] == {ids.KITSU_TASK[0]: messages.KITSU_CHOOSE_TASK}
    forged = chat.submit({**view, "private_metadata": "forged"}, _values({}))
    assert messages.MODAL_EXPIRED in json.dumps(forged.ack)
    chat.user = "U0NOBODY"  # someone else's form: no choices offered
    assert _choices(chat, view, "production", {}) == {}
    assert not _comments(kitsu_server)


def test_kitsu_down_at_submit_keeps_the_form_open(chat: Chat, kitsu_server: KitsuServer) -> None:
    view = _form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "hello"))
    kitsu_server.state.faults.fail_next.extend([503] * 10)
    chosen = {"production": MOONRISE, "entity": LUNA, "task": LUNA_MODELING, "status": WIP}
    reply = chat.submit(view, _values(chosen))
    assert reply.ack["errors"] == {ids.KITSU_TASK[0]: messages.KITSU_NOT_ANSWERING_FORM}
    assert not _comments(kitsu_server)


@pytest.mark.parametrize("flag", ["is_restricted"])
def test_a_guest_may_not_comment(chat: Chat, kitsu_server: KitsuServer, slack_state: Any, flag: str) -> None:
    slack_state.add_user("U0GUEST", "Gus Guest", "alice@example.com")
    setattr(slack_state.users["U0GUEST"], flag, True)
    chat.user = "U0GUEST"
    assert messages.GUEST_REFUSED in json.dumps(_form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "hello")))


async def test_a_comment_saved_while_kitsu_is_down_is_posted_once_when_it_answers(
    chat: Chat,
    kitsu_server: KitsuServer,
    worker: Worker,  # noqa: F811 (the outbox tests' fixture, imported above)
    clock: Clock,
) -> None:
    view = _form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "Rig updated", ts="1700000000.000700"))
    kitsu_server.state.comments_down = True
    chosen = {"production": MOONRISE, "entity": LUNA, "task": LUNA_MODELING, "status": WIP}
    submitted = chat.submit(view, _values(chosen, "Rig updated"))
    assert "response_action" not in submitted.ack  # the task was checked; only the comment waits
    assert "is saved: it is posted when Kitsu answers" in submitted.text
    assert not _comments(kitsu_server)

    await run_worker(worker, clock)  # still down: nobody is told again
    assert not _comments(kitsu_server) and len(said(chat, "is saved")) == 1

    kitsu_server.state.comments_down = False
    await run_worker(worker, clock, rounds=2)
    [comment] = _comments(kitsu_server)
    assert (comment["person_id"], comment["task_status_id"]) == (ALICE, WIP)
    assert any(m.get("thread_ts") == "1700000000.000700" for m in said(chat, "Commented on Kitsu task"))


async def test_a_saved_comment_is_not_posted_once_its_person_left_the_productions_team(
    chat: Chat,
    kitsu_server: KitsuServer,
    worker: Worker,  # noqa: F811 (the outbox tests' fixture, imported above)
    clock: Clock,
) -> None:
    """The rights of the moment it is sent: the team is asked again then, not only when saved."""
    view = _form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "Rig updated", ts="1700000000.000800"))
    kitsu_server.state.comments_down = True
    chosen = {"production": MOONRISE, "entity": LUNA, "task": LUNA_MODELING, "status": WIP}
    assert "is saved" in chat.submit(view, _values(chosen, "Rig updated")).text
    moonrise = next(p for p in kitsu_server.state.data["projects"] if p["id"] == MOONRISE)
    moonrise["team"] = [person for person in moonrise["team"] if person != ALICE]
    kitsu_server.state.comments_down = False
    await run_worker(worker, clock, rounds=2)
    assert not _comments(kitsu_server)
    assert said(chat, messages.KITSU_NOT_ON_TEAM.format(production="Moonrise"))
