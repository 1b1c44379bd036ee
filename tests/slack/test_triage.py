"""Triage channels, as conversations: `/tracker subscribe`, `subscriptions` (Edit, Remove),
`unsubscribe`, then watch rounds (the poller's, on a process of its own against the same
database) posting each new matching issue as its card and later news in its thread. The
contract Issuetrak evaluates the search filters it is sent: an exclusion the client forgot would
show up as a card."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.demo.issuetrak import _issue_record, _note_record
from bot.demo.slack import TEAM_ID
from bot.services import subscriptions
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import Poller, tick
from tests.slack.harness import Chat, blocks_text

SUBSCRIBE = (
    "/tracker subscribe issues PRIORITY:high,Urgent -submitter:<mailto:camille.dubois@example.com|"
    'camille.dubois@example.com> -substatus:"waiting on VENDOR"'
)


def new_issue(server: IssuetrakServer, number: int, *, priority: int, by: str, substatus: int | None = None) -> None:
    server.state.issues[number] = _issue_record(
        number,
        f"Issue {number}",
        "",
        submitted=datetime.now(UTC),
        submitted_by=by,
        type_id=1,
        priority_id=priority,
        substatus_id=substatus,
        assigned_to="dokafor",
    )


def cards_posted(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if str(m.get("text", "")).startswith("Issue #")]


def replies(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if m.get("thread_ts")]


async def test_a_channel_hears_of_new_matching_issues_once_as_cards_and_later_news_in_their_thread(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    said = chat.send(SUBSCRIBE + " events:new,closed,notes").text
    assert "Subscribed" in said and "-submitter:camille.dubois@example.com" in said
    assert (await tick(poller)).posted == 0 and cards_posted(chat) == []  # what existed before: nothing

    new_issue(issuetrak_server, 2001, priority=3, by="amartin")  # High: told
    new_issue(issuetrak_server, 2002, priority=4, by="cdubois")  # Urgent, but its submitter is left out
    new_issue(issuetrak_server, 2003, priority=1, by="amartin")  # Low: not asked for
    new_issue(issuetrak_server, 2004, priority=3, by="amartin", substatus=2)  # Waiting on Vendor: left out
    new_issue(issuetrak_server, 2005, priority=4, by="bnguyen")  # Urgent: told
    await tick(poller)
    posted = cards_posted(chat)
    assert sorted(m["text"].split(":")[0] for m in posted) == ["Issue #2001", "Issue #2005"]
    assert all(m["channel"] == "C0GENERAL" and not m.get("thread_ts") for m in posted)
    assert any(b.get("action_id") == ids.ISSUE_ADD_NOTE for b in _elements(posted[0]["blocks"]))  # the card's buttons
    assert any(b.get("action_id") == ids.CARD_PRIORITY for b in _elements(posted[0]["blocks"]))  # and its menus
    searched = [json.loads(body) for _, _, body in issuetrak_server.requests_to("issues/search")]
    sent = json.dumps(searched)
    assert '"FieldName": "SubmittedBy", "FieldFilterValue1": "cdubois"' in sent and '"NotEqual"' in sent

    assert (await tick(poller)).posted == 0  # announced once
    issue = issuetrak_server.state.issues[2001]
    issue.update(Status="Closed", ClosedDate=issue["SubmittedDate"], AssignedTo="bnguyen")  # assigned: not chosen
    note = max(issuetrak_server.state.notes) + 1
    issuetrak_server.state.notes[note] = _note_record(
        note,
        2001,
        "<p>Fixed the cable.</p><p>Posted from Slack by x (U0X)</p><p><small>tb-0123456789</small></p>",
        "dokafor",
        datetime.now(UTC),
    )
    await tick(poller)
    [reply] = replies(chat)
    [sub] = await chat.runtime.store.subscriptions_at(TEAM_ID, "C0GENERAL")
    assert reply["thread_ts"] == await chat.runtime.store.thread_ts(sub.id, 2001)
    assert (
        "Closed" in reply["text"]
        and "New note by David Okafor" in reply["text"]
        and "Fixed the cable." in reply["text"]
    )
    assert "tb-" not in reply["text"] and "Posted from Slack" not in reply["text"] and "Assignee" not in reply["text"]
    [update] = chat.slack.of("chat.update")
    assert update["ts"] == reply["thread_ts"] and "Closed" in blocks_text(update["blocks"])
    assert len(cards_posted(chat)) == 2  # nothing new in the channel itself


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks for e in b.get("elements", []) if isinstance(e, dict)]


async def test_subscribing_again_updates_and_edit_changes_only_what_was_edited(chat: Chat) -> None:
    chat.send("/tracker subscribe issues priority:High events:new,notes")
    assert "Subscription changed" in chat.send('/tracker subscribe issues type:"hardware &amp; peripherals"').text
    listed = chat.send("/tracker subscriptions")
    assert "(1 of 20)" in listed.text
    line = listed.text
    assert "type:hardware &amp; peripherals" in line and "events new,notes" in line and "priority" not in line

    edit = next(b for b in listed.buttons() if b["action_id"] == ids.SUBSCRIPTION_EDIT)
    [opened] = chat.click(edit).of("views.open")
    view = opened["view"]
    events = [o["value"] for o in _block(view, ids.SUBSCRIPTION_EVENTS_BLOCK)["element"]["initial_options"]]
    assert events == ["new", "notes"]
    assert _block(view, "subscription_filter_type")["element"]["initial_value"] == "hardware & peripherals"

    # Meanwhile someone changes the events; the modal changes only the priority.
    chat.send('/tracker subscribe issues type:"hardware &amp; peripherals" events:new,closed')
    values: dict[str, dict[str, Any]] = {
        ids.SUBSCRIPTION_EVENTS_BLOCK: {
            ids.SUBSCRIPTION_EVENTS: {"type": "checkboxes", "selected_options": [{"value": "new"}, {"value": "notes"}]}
        },
        **{
            f"subscription_filter_{name}": {ids.SUBSCRIPTION_FILTER: {"type": "plain_text_input", "value": shown}}
            for name, shown in {"priority": "Urgent, -Low", "type": "hardware & peripherals"}.items()
        },
    }
    told = chat.submit(view, values).of("chat.postEphemeral")
    assert "Subscription changed" in told[0]["text"]
    [found] = await chat.runtime.store.subscriptions_at(TEAM_ID, "C0GENERAL")
    assert found.filters["priority"] == {"in": ["Urgent"], "out": ["Low"]}
    assert found.filters["type"]["in"] == ["hardware & peripherals"]
    assert set(found.events) == {"new", "closed"}, "events the modal did not change are not reset"


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_bad_subscriptions_get_clear_answers(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "don't know the filter `colour`" in chat.send("/tracker subscribe issues colour:red").text
    assert "No Issuetrak priority is called “Bogus”" in chat.send("/tracker subscribe issues priority:Bogus").text
    assert "don't know the event `foo`" in chat.send("/tracker subscribe issues events:foo").text
    assert "Use `/tracker subscribe" in chat.send("/tracker subscribe everything").text
    assert "no subscription 3" in chat.send("/tracker unsubscribe 3").text
    chat.slack.closed_channels.add("C0GENERAL")
    assert "/invite @trackerbot" in chat.send("/tracker subscribe issues").text
    chat.slack.closed_channels.discard("C0GENERAL")
    monkeypatch.setattr(subscriptions, "MAX_SUBSCRIPTIONS", 1)
    assert "Subscribed" in chat.send("/tracker subscribe issues").text
    assert "as many as it may" in chat.send("/tracker subscribe project 3").text
    assert "Unsubscribed" in chat.send("/tracker unsubscribe 1").text
    assert "no subscriptions" in chat.send("/tracker subscriptions").text
