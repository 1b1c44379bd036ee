"""Changing an issue from Slack, through signed requests into the real app and the strict
Issuetrak contract server: the card's Assign to me, Assign…, Next action…, Priority, Substatus,
Target date and Refresh; the `/tracker assign|next|priority|substatus` commands; the rules of
notes; one change and one note per request, after an outage too; no overwriting a field that moved
since the card was drawn (Apply anyway); a read-back that disagrees is reported."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import pytest

from bot import messages
from bot.demo import slack_payloads
from bot.demo.slack import SlackState
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import run_round
from bot.running.app import web_client
from bot.running.workers import deliver_due
from bot.runtime import Runtime
from bot.services import change_flow, writes
from bot.store import Store
from bot.trackers.issuetrak import NOT_ON_UPDATE
from bot.trackers.registry import build_trackers
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import FAST
from tests.slack.harness import Chat, Reply

QUICK_LOOKS = writes.Timing(second_look_seconds=0.05)  # production's, but a short wait between two looks


@pytest.fixture(autouse=True)
def _people(slack_state: SlackState) -> None:
    slack_state.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")  # Issuetrak's bnguyen
    slack_state.add_user("U0CAM", "Camille Dubois", "camille.dubois@example.com")  # cdubois


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every element of the actions blocks, each with its block's id (as Slack sends it back)."""
    return [
        {**element, "block_id": block.get("block_id", "")}
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _card(reply: Reply) -> list[dict[str, Any]]:
    """The last card the bot drew in answer (in place of the "working on it")."""
    drawn = [c.args for c in reply.calls if c.method == "response_url" and c.args.get("replace_original") is True]
    return drawn[-1]["blocks"]


def _element(blocks: list[dict[str, Any]], action_id: str, **chosen: Any) -> dict[str, Any]:
    found = next(e for e in _elements(blocks) if e["action_id"] == action_id)
    return {**found, **chosen}


def _option(blocks: list[dict[str, Any]], action_id: str, name: str) -> dict[str, Any]:
    menu = _element(blocks, action_id)
    option = next(o for o in menu["options"] if o["text"]["text"] == name)
    return {**menu, "selected_option": option}


def _puts(server: IssuetrakServer) -> list[dict[str, Any]]:
    return [json.loads(body) for method, path, body in server.state.received if method == "PUT"]


def _change_notes(server: IssuetrakServer, issue: int) -> list[dict[str, Any]]:
    return [n for n in server.state.notes.values() if n["IssueNumber"] == issue and "(from Slack)" in n["NoteText"]]


def _beside(reply: Reply) -> list[dict[str, Any]]:
    """What the clicker alone was told beside the card."""
    return [c.args for c in reply.calls if c.method == "response_url" and c.args.get("replace_original") is False]


# --- the card --------------------------------------------------------------------------------------


def test_assign_to_me_puts_the_whole_update_dto_changes_one_field_notes_it_and_redraws_the_card(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    before = dict(issuetrak_server.state.issues[1001])
    card = _card(chat.send("/tracker issue 1001"))  # the users and lookups are read (and kept a while)
    asked = len(issuetrak_server.state.received)
    clicked = chat.click(_element(card, ids.CARD_ASSIGN_ME))
    calls = [(method, path.rsplit("/api/v1/", 1)[1]) for method, path, _ in issuetrak_server.state.received[asked:]]
    assert calls == [  # the change (read, update), its note, the read-back that the card is redrawn from
        ("GET", "issues/false/1001"),
        ("PUT", "issues"),
        ("POST", "notes"),
        ("GET", "issues/true/1001"),
    ]

    (put,) = _puts(issuetrak_server)
    assert not set(NOT_ON_UPDATE) & put.keys() and not {"CauseID", "DepartmentID", "IssueSubType4ID"} & put.keys()
    assert put["AssignedTo"] == "amartin"
    after = issuetrak_server.state.issues[1001]
    assert {k: v for k, v in after.items() if k != "AssignedTo"} == {
        k: v for k, v in before.items() if k != "AssignedTo"
    }
    (note,) = _change_notes(issuetrak_server, 1001)
    assert note["CreatedBy"] == "amartin" and note["IsPrivate"] is True
    assert "Assignee: David Okafor → Alice Martin (from Slack)" in note["NoteText"]
    redrawn = clicked.of("response_url")[-1]
    assert redrawn["replace_original"] is True
    text = json.dumps(redrawn["blocks"])
    assert "<@U0ALICE> changed Assignee: David Okafor \\u2192 Alice Martin" in text
    assert "Alice Martin" in json.dumps(redrawn["blocks"][1])  # the Assignee field, read again


def test_each_menu_of_the_card_changes_its_field_once(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    card = _card(chat.send("/tracker issue 1001"))
    chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    card = _card(chat.send("/tracker issue 1001"))
    chat.click(_option(card, ids.CARD_SUBSTATUS, "Waiting on Vendor"))
    card = _card(chat.send("/tracker issue 1001"))
    chat.click(_element(card, ids.CARD_TARGET_DATE, selected_date="2027-01-15"))
    card = _card(chat.send("/tracker issue 1001"))
    chat.click(_element(card, ids.CARD_NEXT_ACTION, selected_user="U0BAO"))
    card = _card(chat.send("/tracker issue 1001"))
    chat.click(_element(card, ids.CARD_ASSIGN, selected_user="U0CAM"))

    issue = issuetrak_server.state.issues[1001]
    assert (issue["PriorityID"], issue["SubStatusID"], issue["NextActionTo"], issue["AssignedTo"]) == (
        4,
        2,
        "bnguyen",
        "cdubois",
    )
    assert issue["TargetDate"].startswith("2027-01-15T00:00:00")
    assert len(_puts(issuetrak_server)) == 5
    lines = [n["NoteText"] for n in _change_notes(issuetrak_server, 1001)]
    assert len(lines) == 5 and all(n.count("(from Slack)") == 1 for n in lines)
    assert any("Priority: High → Urgent" in n for n in lines)
    assert any("Target date:" in n and "15 Jan 2027" in n for n in lines)


def test_the_card_offers_the_sites_own_priorities_and_substatuses(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    issuetrak_server.state.lookups["priorities"].append({"PriorityID": 9, "PriorityName": "Whenever"})
    card = _card(chat.send("/tracker issue 1001"))
    priority = _element(card, ids.CARD_PRIORITY)
    assert [o["text"]["text"] for o in priority["options"]] == ["Low", "Normal", "High", "Urgent", "Whenever"]
    assert priority["initial_option"]["text"]["text"] == "High"
    substatus = _element(card, ids.CARD_SUBSTATUS)
    assert substatus["initial_option"]["text"]["text"] == "In Progress"


def test_a_person_with_no_issuetrak_user_cannot_be_chosen_and_the_card_says_why(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    card = _card(chat.send("/tracker issue 1002"))
    clicked = chat.click(_element(card, ids.CARD_ASSIGN, selected_user="U0NOBODY"))
    assert not _puts(issuetrak_server)
    redrawn = clicked.of("response_url")[-1]
    assert redrawn["replace_original"] is True
    assert "<@U0NOBODY> has no Issuetrak user" in json.dumps(redrawn["blocks"])

    chat.user = "U0NOBODY"  # a clicker with no Issuetrak user of their own hears their refusal, and no card is read
    asked = len(issuetrak_server.state.received)
    refused = chat.click(_element(card, ids.CARD_ASSIGN, selected_user="U0NOBODY"))
    assert "/tracker link" in refused.text and len(refused.of("response_url")) == 1 and _beside(refused)
    assert not [r for r in issuetrak_server.state.received[asked:] if "/issues/" in r[1]]


def test_refresh_redraws_the_card_as_issuetrak_has_it_now(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    card = _card(chat.send("/tracker issue 1004"))
    issuetrak_server.state.issues[1004]["Subject"] = "Finance share: read-write after all"
    refreshed = chat.click(_element(card, ids.CARD_REFRESH))
    assert "read-write after all" in json.dumps(refreshed.of("response_url")[-1]["blocks"])
    chat.user = "U0NOBODY"  # the read rules of the clicker
    refused = chat.click(_element(card, ids.CARD_REFRESH))
    assert "/tracker link" in refused.text and "read-write" not in json.dumps(_beside(refused))


@pytest.mark.parametrize(
    "block_id", ["", "issue_card_menus|", 'issue_card_menus|{"i":"1"}', 'issue_card_menus|{"i":-4}', "x" * 300]
)
def test_a_forged_card_changes_nothing(chat: Chat, issuetrak_server: IssuetrakServer, block_id: str) -> None:
    card = _card(chat.send("/tracker issue 1001"))
    clicked = chat.click({**_option(card, ids.CARD_PRIORITY, "Low"), "block_id": block_id})
    assert messages.MODAL_EXPIRED in clicked.text and not _puts(issuetrak_server)
    for odd in (
        {**_option(card, ids.CARD_PRIORITY, "Low"), "selected_option": {"value": "1 OR 1=1"}},
        {**_option(card, ids.CARD_PRIORITY, "Low"), "selected_option": "4"},
        _element(card, ids.CARD_ASSIGN),  # no one picked
        _element(card, ids.CARD_ASSIGN, selected_user=["U0BAO"]),
        _element(card, ids.CARD_TARGET_DATE, selected_date="2027-13-45"),
        _element(card, ids.CARD_TARGET_DATE, selected_date=None),
    ):
        assert messages.MODAL_EXPIRED in chat.click(odd).text
    assert not _puts(issuetrak_server)


# --- commands ---------------------------------------------------------------------------------------


def test_commands_assign_next_priority_and_substatus(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    assert "Assignee of Issuetrak issue #1004" in chat.send("/tracker assign 1004 me").text
    assert "Next action of Issuetrak issue #1004" in chat.send("/tracker next 1004 <@U0BAO|bao>").text
    assert "Normal → Urgent" in chat.send("/tracker priority 1004 URGENT").text
    assert "Substatus of Issuetrak issue #1004" in chat.send("/tracker substatus 1004 waiting on customer").text
    issue = issuetrak_server.state.issues[1004]
    assert (issue["AssignedTo"], issue["NextActionTo"], issue["PriorityID"], issue["SubStatusID"]) == (
        "amartin",
        "bnguyen",
        4,
        1,
    )
    assert len(_change_notes(issuetrak_server, 1004)) == 4

    puts = len(_puts(issuetrak_server))
    assert "is already Urgent" in chat.send("/tracker priority 1004 urgent").text
    unknown = chat.send("/tracker priority 1004 asap").text
    assert "no priority called “asap”" in unknown and "Low, Normal, High, Urgent" in unknown
    assert "has no Issuetrak user" in chat.send("/tracker assign 1004 <@U0NOBODY>").text
    assert "Issue 999 does not exist" in chat.send("/tracker assign 999 me").text
    assert messages.ASSIGN_USAGE in chat.send("/tracker assign 1004 bob").text
    assert len(_puts(issuetrak_server)) == puts and len(_change_notes(issuetrak_server, 1004)) == 4


def test_change_notes_public_is_a_setting(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.runtime.settings.CHANGE_NOTES = "public"
    chat.send("/tracker priority 1004 high")
    (note,) = _change_notes(issuetrak_server, 1004)
    assert note["IsPrivate"] is False


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["guest", "nobody", "write_channels"])
def test_the_rules_of_notes_refuse_clicks_and_commands(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer, who: str
) -> None:
    card = _card(chat.send("/tracker issue 1001"))
    if who == "guest":
        slack_state.users["U0BAO"].is_restricted = True
        chat.user, expected = "U0BAO", messages.GUEST_REFUSED
    elif who == "nobody":
        chat.user, expected = "U0NOBODY", "/tracker link"
    else:
        chat.runtime.settings.WRITE_CHANNELS = "C0IT"
        expected = messages.WRITES_NOT_ALLOWED_HERE
    for click in (
        _element(card, ids.CARD_ASSIGN_ME),
        _option(card, ids.CARD_PRIORITY, "Urgent"),
        _element(card, ids.CARD_NEXT_ACTION, selected_user="U0ALICE"),
    ):
        assert expected in chat.click(click).text
    assert expected in chat.send("/tracker priority 1001 urgent").text
    assert not _puts(issuetrak_server) and not _change_notes(issuetrak_server, 1001)


# --- outage, then delivery once ---------------------------------------------------------------------


async def _deliver_later(
    runtime: Runtime, clock: list[datetime], issuetrak_server: IssuetrakServer, *, down_first: bool = True
) -> None:
    """The outbox worker of another process: one round while Issuetrak is still down, then three
    once it is back, each an hour after the last (past every backoff)."""
    worker = Runtime(
        settings=runtime.settings,
        trackers=build_trackers(runtime.settings, options=FAST),
        store=Store(runtime.settings.DATABASE_URL),
        clock=runtime.clock,
    )
    try:
        client = web_client(worker)
        if down_first:
            clock[0] += timedelta(hours=1)
            await deliver_due(worker, client, timing=QUICK_LOOKS)  # still down
        issuetrak_server.state.faults.fail_rate = 0.0
        for _ in range(3):
            clock[0] += timedelta(hours=1)
            await deliver_due(worker, client, timing=QUICK_LOOKS)
    finally:
        await worker.aclose()
        await worker.store.aclose()


async def test_a_change_saved_in_an_outage_is_made_once_when_issuetrak_is_back(
    chat: Chat, issuetrak_server: IssuetrakServer, runtime: Runtime, clock: list[datetime]
) -> None:
    card = _card(chat.send("/tracker issue 1006"))  # the lookups and users are now known
    issuetrak_server.state.faults.fail_rate = 1.0  # every request: 503
    saved = chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    assert "I saved your change (Priority of issue #1006 → Urgent)" in saved.text
    assert issuetrak_server.state.issues[1006]["PriorityID"] == 3

    await _deliver_later(runtime, clock, issuetrak_server)
    assert issuetrak_server.state.issues[1006]["PriorityID"] == 4
    assert len(_puts(issuetrak_server)) == 1 and len(_change_notes(issuetrak_server, 1006)) == 1
    told = [c.args for c in chat.slack.calls if c.method == "chat.postMessage" and c.args.get("channel") == "U0ALICE"]
    assert any("Priority of Issuetrak issue #1006: High → Urgent" in m["text"] for m in told)


async def test_the_rules_are_checked_again_when_a_saved_change_is_sent(
    chat: Chat, issuetrak_server: IssuetrakServer, runtime: Runtime, clock: list[datetime]
) -> None:
    card = _card(chat.send("/tracker issue 1006"))
    issuetrak_server.state.faults.fail_rate = 1.0
    chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    runtime.settings.WRITE_CHANNELS = "C0IT"  # closed to writes while the change waited
    await _deliver_later(runtime, clock, issuetrak_server)
    assert not _puts(issuetrak_server) and not _change_notes(issuetrak_server, 1006)
    told = [c.args for c in chat.slack.calls if c.method == "chat.postMessage" and c.args.get("channel") == "U0ALICE"]
    assert any(
        "I did not change Priority of Issuetrak issue #1006 to Urgent, and will not" in m["text"]
        and messages.WRITES_NOT_ALLOWED_HERE in m["text"]
        for m in told
    )
    item = await runtime.store.get(1)
    assert item is not None and item.state.value == "refused"  # over for good: Try again cannot revive it


async def test_a_note_lost_after_its_change_is_written_alone_on_the_retry(
    chat: Chat, issuetrak_server: IssuetrakServer, runtime: Runtime, clock: list[datetime]
) -> None:
    """The PUT lands and the note is refused (503): the retry finds the field already changed,
    so it sends no second PUT, only the note."""
    card = _card(chat.send("/tracker issue 1009"))
    state = issuetrak_server.state
    state.faults.hold("POST", lambda: state.faults.fail_next.append(503))
    clicked = chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    assert state.issues[1009]["PriorityID"] == 4 and not _change_notes(issuetrak_server, 1009)
    assert "I saved your change" in clicked.text and "changed Priority" not in clicked.text
    await _deliver_later(runtime, clock, issuetrak_server, down_first=False)
    assert len(_puts(issuetrak_server)) == 1
    (note,) = _change_notes(issuetrak_server, 1009)
    assert "Priority: Normal → Urgent (from Slack)" in note["NoteText"]


def test_a_double_click_is_one_change_and_one_note(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    card = _card(chat.send("/tracker issue 1009"))
    first = chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    second = chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))  # the old card, clicked again
    assert "<@U0ALICE> changed Priority" in first.text
    assert "Priority of issue #1009 is already Urgent" in second.text
    assert len(_puts(issuetrak_server)) == 1 and len(_change_notes(issuetrak_server, 1009)) == 1


# --- no lost updates -------------------------------------------------------------------------------


def test_a_field_changed_since_the_card_was_drawn_is_not_overwritten_until_apply_anyway(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    card = _card(chat.send("/tracker issue 1001"))  # High
    issuetrak_server.state.issues[1001]["PriorityID"] = 1  # someone in Issuetrak: Low
    clicked = chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    assert not _puts(issuetrak_server) and issuetrak_server.state.issues[1001]["PriorityID"] == 1
    (told,) = _beside(clicked)
    assert "it is now Low" in told["text"]
    (anyway,) = _elements(told["blocks"])
    assert anyway["action_id"] == ids.CHANGE_ANYWAY and anyway["text"]["text"] == messages.CHANGE_APPLY_ANYWAY
    assert _element(_card(clicked), ids.CARD_PRIORITY)["initial_option"]["text"]["text"] == "Low"  # redrawn

    chat.user = "U0BAO"  # someone else's click does nothing
    assert messages.MODAL_EXPIRED in chat.click(anyway).text and not _puts(issuetrak_server)
    chat.user = "U0ALICE"
    applied = chat.click(anyway)
    assert "Priority of Issuetrak issue #1001: Low → Urgent" in applied.text
    assert issuetrak_server.state.issues[1001]["PriorityID"] == 4
    chat.click(anyway)  # twice: still one change
    assert len(_puts(issuetrak_server)) == 1 and len(_change_notes(issuetrak_server, 1001)) == 1


def test_two_people_changing_the_same_issue_at_once_lose_nothing(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    card = _card(chat.send("/tracker issue 1010"))  # priority Normal, assigned to dokafor
    clicks = [
        ("U0ALICE", _option(card, ids.CARD_PRIORITY, "Urgent")),
        ("U0BAO", _option(card, ids.CARD_PRIORITY, "Low")),
        ("U0CAM", _element(card, ids.CARD_ASSIGN_ME)),
    ]

    def click(user: str, element: dict[str, Any]) -> None:
        who = replace(chat.who("act"), user=user)
        payload = slack_payloads.block_action(who, element, trigger_id=chat.trigger())
        chat.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    threads = [threading.Thread(target=click, args=pair) for pair in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    chat.settle()

    issue = issuetrak_server.state.issues[1010]
    assert issue["AssignedTo"] == "cdubois"  # a change to another field survives both priority changes
    assert issue["PriorityID"] in (4, 1)  # one of the two priority changes, and only one
    priority_notes = [n for n in _change_notes(issuetrak_server, 1010) if "Priority:" in n["NoteText"]]
    assert len(priority_notes) == 1
    loser = "Low" if issue["PriorityID"] == 4 else "Urgent"
    refused = [
        c.args
        for c in chat.slack.calls
        if c.method == "response_url" and "changed since your card" in str(c.args.get("text"))
    ]
    assert len(refused) == 1 and f"Apply anyway to make it {loser}" in refused[0]["text"]


def test_an_edit_made_after_the_put_is_seen_by_the_read_back_and_reported(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    """The change's note waits at Issuetrak's gate (after the PUT landed); an edit made in
    Issuetrak meanwhile, to the field being changed: the read-back shows it, and the person hears
    so, not "done"."""
    card = _card(chat.send("/tracker issue 1007"))
    state = issuetrak_server.state
    state.faults.hold("POST", lambda: state.issues[1007].update(PriorityID=1))
    clicked = chat.click(_option(card, ids.CARD_PRIORITY, "High"))
    assert state.issues[1007]["PriorityID"] == 1
    assert "I set Priority of issue #1007 to High, but Issuetrak now shows Low" in clicked.text
    assert "changed Priority" not in json.dumps([c.args for c in clicked.calls])


def test_a_change_held_at_issuetrak_makes_the_next_change_of_the_issue_wait_so_neither_is_reverted(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    """Alice's PUT waits at Issuetrak's gate; Bob assigns the issue meanwhile. His change reads
    the issue only once hers is done (in one process, the changes of one issue go one at a time),
    so his whole-DTO PUT carries her priority instead of putting the old one back."""
    card = _card(chat.send("/tracker issue 1010"))
    state = issuetrak_server.state
    read = f"{state.prefix}/issues/false/1010"

    def bob_meanwhile() -> None:
        reads = sum(1 for method, path, _ in state.received if method == "GET" and path == read)
        who = replace(chat.who("act"), user="U0BAO")
        payload = slack_payloads.block_action(who, _element(card, ids.CARD_ASSIGN_ME), trigger_id=chat.trigger())
        assert chat.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded").is_success
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until Bob reads the issue, or waits his turn
            lock = change_flow._LOCKS.get(1010)
            if getattr(lock, "_waiters", None) or reads < sum(
                1 for method, path, _ in state.received if method == "GET" and path == read
            ):
                return
            time.sleep(0.01)

    state.faults.hold("PUT", bob_meanwhile)
    chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
    issue = state.issues[1010]
    assert (issue["PriorityID"], issue["AssignedTo"]) == (4, "bnguyen")
    assert len(_puts(issuetrak_server)) == 2 and len(_change_notes(issuetrak_server, 1010)) == 2


@pytest.mark.parametrize("notes", ["private", "public"])
async def test_a_watched_issue_announces_a_change_from_slack_once_naming_the_person(
    chat: Chat, issuetrak_server: IssuetrakServer, runtime: Runtime, notes: Literal["private", "public"]
) -> None:
    chat.runtime.settings.CHANGE_NOTES = notes
    poller = Runtime(
        settings=runtime.settings,
        trackers=build_trackers(runtime.settings, options=FAST),
        store=Store(runtime.settings.DATABASE_URL),
        clock=runtime.clock,
    )
    try:
        client = web_client(poller)
        chat.send("/tracker watch issue 1001")
        await run_round(poller, client, pacer=Pacer(0))  # the first poll records the issue
        card = _card(chat.send("/tracker issue 1001"))
        chat.click(_option(card, ids.CARD_PRIORITY, "Urgent"))
        chat.click(_option(card, ids.CARD_SUBSTATUS, "Waiting on Customer"))
        for _ in range(2):
            await run_round(poller, client, pacer=Pacer(0))
    finally:
        await poller.aclose()
        await poller.store.aclose()
    said = [m for m in chat.slack.of("chat.postMessage") if "News of" in m.get("text", "")]
    lines = "\n".join(m["text"] for m in said)
    assert (
        lines.count("Priority: High → Urgent") == 1 and lines.count("Substatus: In Progress → Waiting on Customer") == 1
    )
    assert lines.count("(by <@U0ALICE>, from Slack)") == 2
    assert "New note" not in lines  # the change's own note is not announced again
