"""The "Add note" button of an issue card: the note form opens before any tracker call, and what
it writes goes through the same rules as the shortcut's note, checked when clicked and sent, as
the person who clicked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import messages
from bot.demo import slack_payloads
from bot.demo.slack import Call, SlackState
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat, Reply, text_values
from tests.slack.test_unfurls import paste, site

MESSAGE_TS = "1700000000.000300"  # the message the link was pasted in (tests.slack.test_unfurls)


@pytest.fixture(autouse=True)
def _camille(slack_state: SlackState) -> None:
    slack_state.add_user("U0CAM", "Camille Dubois", "camille.dubois@example.com")  # Issuetrak's cdubois


def _add_note(blocks_or_reply: Reply | list[dict[str, Any]]) -> dict[str, Any]:
    """The card's Add note button (of a reply's messages, or of an unfurl's blocks)."""
    if isinstance(blocks_or_reply, Reply):
        found = blocks_or_reply.buttons()
    else:
        found = [e for b in blocks_or_reply if b["type"] == "actions" for e in b["elements"]]
    return next(button for button in found if button["action_id"] == ids.ISSUE_ADD_NOTE)


def _unfurled_card(chat: Chat, issuetrak_server: IssuetrakServer, number: int) -> dict[str, Any]:
    """Alice pastes the issue's link; the Add note button of the card it unfurled into."""
    user, chat.user = chat.user, "U0ALICE"
    url = f"{site(issuetrak_server)}/Issue_View.asp?ID={number}"
    [call] = paste(chat, url).of("chat.unfurl")
    chat.user = user
    return _add_note(call["unfurls"][url]["blocks"])


def _click_under_message(chat: Chat, button: dict[str, Any]) -> Reply:
    """A click on a button of an unfurl, as Slack sends it (the container is the pasted message's attachment)."""
    message = {"type": "message", "ts": MESSAGE_TS, "text": "see this"}
    payload = slack_payloads.block_action(chat.who("act"), button, message, trigger_id=chat.trigger())
    payload["container"] = {
        "type": "message_attachment",
        "message_ts": MESSAGE_TS,
        "attachment_id": 1,
        "channel_id": chat.channel,
        "is_ephemeral": False,
        "is_app_unfurl": True,
    }
    return chat.interact(payload)


def _form(reply: Reply) -> dict[str, Any]:
    [opened] = reply.of("views.open")
    return opened["view"]


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}


def _notes_on(issuetrak_server: IssuetrakServer, issue: int) -> list[dict[str, Any]]:
    return [n for n in issuetrak_server.state.notes.values() if n["IssueNumber"] == issue]


def _note(text: str, issue: str = "1001") -> dict[str, dict[str, Any]]:
    return text_values(note_issue=("issue_number", issue), note_text=("text", text))


def test_add_note_opens_the_form_before_any_tracker_call_and_writes_as_whoever_clicks(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer
) -> None:
    button = _unfurled_card(chat, issuetrak_server, 1001)  # Alice's link...
    chat.user = "U0CAM"  # ... Camille clicks
    seen_at_open: list[int] = []

    def on_call(call: Call) -> None:
        if call.method == "views.open":
            seen_at_open.append(len(issuetrak_server.state.received))

    assert chat.runtime.trackers.issuetrak is not None
    chat.runtime.trackers.issuetrak.http.forget_reference()  # a check before the form would call Issuetrak
    asked = len(issuetrak_server.state.received)
    slack_state.on_call = on_call
    view = _form(_click_under_message(chat, button))
    assert seen_at_open == [asked], "the form opens before any tracker call"
    fields = _inputs(view)
    assert view["callback_id"] == ids.NOTE_MODAL
    assert fields[ids.NOTE_ISSUE[0]]["initial_value"] == "1001"
    assert "initial_value" not in fields[ids.NOTE_TEXT[0]]

    before = len(_notes_on(issuetrak_server, 1001))
    sent = chat.submit(view, _note("Fan *replaced*"))
    note = _notes_on(issuetrak_server, 1001)[-1]
    assert len(_notes_on(issuetrak_server, 1001)) == before + 1
    assert note["CreatedBy"] == "cdubois" and "<strong>replaced</strong>" in note["NoteText"]
    assert "Camille Dubois (U0CAM)" in note["NoteText"]
    [answer] = sent.of("chat.postMessage")
    assert answer["thread_ts"] == MESSAGE_TS and "Added note" in answer["text"]  # in the pasted message's thread

    chat.submit(view, _note("Fan *replaced*"))  # the same form sent twice: one note
    assert len(_notes_on(issuetrak_server, 1001)) == before + 1
    chat.submit(_form(_click_under_message(chat, button)), _note("And cleaned"))  # another click: its own note
    assert len(_notes_on(issuetrak_server, 1001)) == before + 2


def test_add_note_on_a_commands_card_tells_the_person_alone(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """`/tracker issue` answers only the person, so its card has no thread to answer in."""
    card = chat.send("/tracker issue 1002")
    view = _form(chat.click(_add_note(card)))
    sent = chat.submit(view, _note("VPN profile reinstalled", "1002"))
    assert _notes_on(issuetrak_server, 1002)[-1]["CreatedBy"] == "amartin"
    [answer] = sent.of("chat.postMessage")
    assert answer["channel"] == "U0ALICE" and "thread_ts" not in answer


def test_a_clicker_without_an_issuetrak_user_sees_why_and_nothing_is_written(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    button = _unfurled_card(chat, issuetrak_server, 1003)
    chat.user = "U0NOBODY"
    clicked = _click_under_message(chat, button)
    [replaced] = clicked.of("views.update")
    assert "/tracker link" in json.dumps(replaced["view"]) and not _inputs(replaced["view"])

    before = len(issuetrak_server.state.notes)
    sent = chat.submit(_form(clicked), _note("written by nobody", "1003"))  # the form, sent before it was replaced
    assert len(issuetrak_server.state.notes) == before
    assert "/tracker link" in sent.of("chat.postEphemeral")[-1]["text"]


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_a_guest_clicking_add_note_sees_the_refusal_and_nothing_is_written(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer, flag: str
) -> None:
    button = _unfurled_card(chat, issuetrak_server, 1004)
    setattr(slack_state.users["U0CAM"], flag, True)
    chat.user = "U0CAM"
    clicked = _click_under_message(chat, button)
    assert messages.GUEST_REFUSED in json.dumps(clicked.of("views.update")[-1]["view"])
    before = len(issuetrak_server.state.notes)
    sent = chat.submit(_form(clicked), _note("a guest's note", "1004"))
    assert len(issuetrak_server.state.notes) == before
    assert messages.GUEST_REFUSED in sent.of("chat.postEphemeral")[-1]["text"]


def test_writes_closed_to_the_channel_are_checked_when_clicked_and_when_sent(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    button = _unfurled_card(chat, issuetrak_server, 1005)  # drawn while the channel could write
    chat.runtime.settings.WRITE_CHANNELS = "C0IT"
    refused = _form(_click_under_message(chat, button))
    assert messages.WRITES_NOT_ALLOWED_HERE in json.dumps(refused) and not _inputs(refused)

    chat.runtime.settings.WRITE_CHANNELS = ""
    view = _form(_click_under_message(chat, button))  # opened while writes were allowed here ...
    chat.runtime.settings.WRITE_CHANNELS = "C0IT"
    before = len(issuetrak_server.state.notes)
    sent = chat.submit(view, _note("too late", "1005"))  # ... is refused once they no longer are
    assert sent.ack["response_action"] == "update"
    assert messages.WRITES_NOT_ALLOWED_HERE in json.dumps(sent.ack["view"])
    assert len(issuetrak_server.state.notes) == before


def test_private_notes_are_offered_by_the_rule_of_the_moment_of_the_click(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    button = _unfurled_card(chat, issuetrak_server, 1006)
    assert ids.NOTE_PRIVATE[0] in _inputs(_form(_click_under_message(chat, button)))
    chat.runtime.settings.ALLOW_PRIVATE_NOTES = False
    assert ids.NOTE_PRIVATE[0] not in _inputs(_form(_click_under_message(chat, button)))


@pytest.mark.parametrize("value", ["", "abc", "1001 ", "-5", "１００１", "12345678901"])
def test_a_forged_add_note_button_opens_no_form(chat: Chat, issuetrak_server: IssuetrakServer, value: str) -> None:
    reply = _click_under_message(chat, {"action_id": ids.ISSUE_ADD_NOTE, "value": value, "type": "button"})
    view = _form(reply)
    assert messages.MODAL_EXPIRED in json.dumps(view) and not _inputs(view)
    assert not issuetrak_server.state.received
