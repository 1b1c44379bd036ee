"""Notes and issues written to Issuetrak from Slack: `/tracker note`, `/tracker link`, and the
two message shortcuts with their modals."""

from __future__ import annotations

import json
from typing import Any

from bot.views import ids
from tests.slack.harness import Chat, text_values


def _notes_on(issuetrak_server, issue: int) -> list[dict[str, Any]]:
    return [n for n in issuetrak_server.state.notes.values() if n["IssueNumber"] == issue]


def test_note_command_writes_html_attributed_to_the_person(chat: Chat, issuetrak_server) -> None:
    before = len(_notes_on(issuetrak_server, 1003))
    reply = chat.send("/tracker note 1003 *pen* arrived <script>x</script> & fixed")
    assert "Added note" in reply.text
    notes = _notes_on(issuetrak_server, 1003)
    assert len(notes) == before + 1
    note = notes[-1]
    assert note["CreatedBy"] == "amartin"  # alice@example.com in Slack and in Issuetrak
    assert note["IsRichText"] is True
    assert "<strong>pen</strong>" in note["NoteText"]
    assert "<script>" not in note["NoteText"]
    assert "Alice Martin (U0ALICE)" in note["NoteText"]  # the name can be changed to anything; the ID cannot


def test_unmapped_person_is_told_how_to_link_and_nothing_is_written(chat: Chat, issuetrak_server) -> None:
    chat.user = "U0NOBODY"
    before = len(issuetrak_server.state.notes)
    reply = chat.send("/tracker note 1003 hello")
    assert "/tracker link" in reply.text
    assert len(issuetrak_server.state.notes) == before


def test_linking_oneself_to_someone_elses_user_writes_nothing_as_them(chat: Chat, issuetrak_server) -> None:
    """The hole this replaced: `/tracker link bnguyen` made anyone bnguyen. Now it needs an admin
    (tests/slack/test_identity.py has each refusal)."""
    chat.user = "U0NOBODY"
    assert "no active user" in chat.send("/tracker link esato").text  # inactive in Issuetrak
    assert "Only the Issuetrak user whose email is your Slack email" in chat.send("/tracker link BNguyen").text
    before = len(issuetrak_server.state.notes)
    assert "nothing was written" in chat.send("/tracker note 1001 rebooted rn-07").text
    assert len(issuetrak_server.state.notes) == before


def test_note_on_a_missing_issue(chat: Chat, issuetrak_server) -> None:
    before = len(issuetrak_server.state.notes)
    assert "Issue 999 does not exist." in chat.send("/tracker note 999 hello").text
    assert len(issuetrak_server.state.notes) == before


def _opened_modal(reply) -> dict[str, Any]:
    views = reply.of("views.open") + reply.of("views.update")
    assert views, "no modal was opened"
    return views[-1]["view"]


def test_add_note_shortcut_prefills_validates_writes_once_and_answers_in_thread(chat: Chat, issuetrak_server) -> None:
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "Printer *fixed* by <@U0ALICE>", ts="1700000000.000100")
    view = _opened_modal(opened)
    assert view["callback_id"] == ids.NOTE_MODAL
    labels = [b.get("label", {}).get("text") for b in view["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["Issue number", "Note"]
    assert "Printer *fixed*" in json.dumps(view)
    assert not issuetrak_server.state.received, "the modal opens before any tracker call"

    wrong = chat.submit(view, text_values(note_issue=("issue_number", "999"), note_text=("text", "Printer fixed")))
    assert wrong.ack["response_action"] == "errors"
    assert wrong.ack["errors"][ids.NOTE_ISSUE[0]] == "Issue 999 does not exist."

    values = text_values(note_issue=("issue_number", "#1008"), note_text=("text", "Printer *fixed* by <@U0ALICE>"))
    first = chat.submit(view, values)
    assert first.ack == {} or first.ack.get("response_action") is None
    thread = first.of("chat.postMessage")
    assert thread and thread[-1]["thread_ts"] == "1700000000.000100"
    assert "Added note" in thread[-1]["text"]
    note = _notes_on(issuetrak_server, 1008)[-1]
    assert "<strong>fixed</strong>" in note["NoteText"]
    assert "@Alice Martin" in note["NoteText"]
    assert "archives/C0GENERAL/p1700000000000100" in note["NoteText"]  # the permalink

    count = len(_notes_on(issuetrak_server, 1008))
    again = chat.submit(view, values)  # a double click
    assert len(_notes_on(issuetrak_server, 1008)) == count
    assert "already a note" in again.of("chat.postMessage")[-1]["text"]


def test_forged_modal_metadata_is_refused(chat: Chat, issuetrak_server) -> None:
    view = _opened_modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "hello"))
    forged = {**view, "private_metadata": view["private_metadata"][:-4] + "AAAA"}
    reply = chat.submit(forged, text_values(note_issue=("issue_number", "1001"), note_text=("text", "x")))
    assert reply.ack["response_action"] == "update"
    assert "out of date" in json.dumps(reply.ack["view"])
    assert not [r for r in issuetrak_server.state.received if r[0] == "POST"]


def test_create_issue_shortcut(chat: Chat, issuetrak_server) -> None:
    opened = chat.shortcut(ids.SHORTCUT_CREATE_ISSUE, "Scanner offline\nThe scanner on floor 3 shows error E42.")
    view = _opened_modal(opened)
    assert view["callback_id"] == ids.ISSUE_MODAL
    assert "Scanner offline" in json.dumps(view)
    values = text_values(
        issue_subject=("subject", "Scanner offline"),
        issue_description=("description", "The scanner on floor 3 shows error E42."),
    )
    values["issue_type"] = {"type": {"type": "static_select", "selected_option": {"value": "1"}}}
    values["issue_priority"] = {"priority": {"type": "static_select", "selected_option": {"value": "2"}}}
    before = set(issuetrak_server.state.issues)
    reply = chat.submit(view, values)
    created = set(issuetrak_server.state.issues) - before
    assert len(created) == 1
    number = created.pop()
    assert issuetrak_server.state.issues[number]["SubmittedBy"] == "amartin"
    assert f"#{number}" in reply.of("chat.postMessage")[-1]["text"]


def test_create_issue_shortcut_shows_mentions_as_names_in_subject_and_description(chat: Chat, issuetrak_server) -> None:
    opened = chat.shortcut(ids.SHORTCUT_CREATE_ISSUE, "<@U0ALICE> scanner offline &amp; <@U0GHOST>\nask <@U0ALICE>")
    view = _opened_modal(opened)
    fields = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    assert fields[ids.ISSUE_SUBJECT[0]] == "@Alice Martin scanner offline & @user"
    assert fields[ids.ISSUE_DESCRIPTION[0]] == "@Alice Martin scanner offline & <@U0GHOST>\nask @Alice Martin"


def test_a_private_note_is_announced_as_private_when_added_repeated_and_saved(chat: Chat, issuetrak_server) -> None:
    private = {"note_private": {"private": {"type": "checkboxes", "selected_options": [{"value": "private"}]}}}
    view = _opened_modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "secret plan"))
    values = text_values(note_issue=("issue_number", "1003"), note_text=("text", "secret plan")) | private
    added = chat.submit(view, values)
    note = _notes_on(issuetrak_server, 1003)[-1]
    assert note["IsPrivate"] is True
    assert f"Added note {note['NoteID']} to Issuetrak issue" in added.text and "marked private" in added.text
    assert "marked private" in chat.submit(view, values).text  # the double click hears it too

    issuetrak_server.state.faults.fail_rate = 1.0  # every request answered 503
    later = _opened_modal(chat.shortcut(ids.SHORTCUT_ADD_NOTE, "later plan"))
    saved = chat.submit(later, text_values(note_issue=("issue_number", "1003"), note_text=("text", "later")) | private)
    assert "I saved your note for issue #1003, marked private" in saved.text
