"""A note from the "Add Issuetrak note" modal whose send is cut off because the process is
stopping (its work cancelled, as shutdown does after its bound): the write goes back to the
outbox, and the person is told it is queued and not to send it again, in the message's thread."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot import messages
from bot.demo import slack_payloads
from bot.demo.issuetrak import IssuetrakState
from bot.demo.issuetrak import create_app as create_issuetrak
from bot.demo.loopback import serve_in_thread
from bot.store import OutboxState
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.running.test_shutdown import HeldNote
from tests.slack.harness import Chat, text_values


@pytest.fixture
def held() -> HeldNote:
    return HeldNote(create_issuetrak(IssuetrakState()))


@pytest.fixture
def issuetrak_server(held: HeldNote) -> Iterator[IssuetrakServer]:
    """This module's Issuetrak holds the first note it is sent (see tests/running/test_shutdown.py)."""
    state = held.app.state.issuetrak
    with serve_in_thread(held) as base_url:
        try:
            yield IssuetrakServer(base_url + state.prefix, state)
        finally:
            held.release.set()


def test_a_modal_note_cut_off_by_shutdown_is_queued_and_the_person_told(chat: Chat, held: HeldNote) -> None:
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "Printer fixed", ts="1700000000.000100")
    view = (opened.of("views.open") + opened.of("views.update"))[-1]["view"]
    values = text_values(note_issue=("issue_number", "1003"), note_text=("text", "Printer fixed"))
    submission = slack_payloads.view_submission(chat.who("sub"), view, values, trigger_id=chat.trigger())
    answer = chat.post(urlencode({"payload": json.dumps(submission)}), "application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert held.arrived.wait(15), "the note never reached Issuetrak"

    for task in list(chat.runtime.tasks):  # what shutdown does once its bound is over
        task.get_loop().call_soon_threadsafe(task.cancel)
    chat.settle()

    told = [c.args for c in chat.slack.calls if c.args.get("text") == messages.WRITE_HANDED_OVER]
    assert len(told) == 1 and told[0]["channel"] == "C0GENERAL"
    key = f"note:C0GENERAL:1700000000.000100:1003:{chat.user}"
    item = asyncio.run(chat.runtime.store.get(key))  # the bot's store (each call its own transaction)
    assert item is not None and (item.state, item.last_error) == (OutboxState.PENDING, messages.WRITE_HANDED_OVER)
