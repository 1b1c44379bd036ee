"""Personal notifications by DM, as conversations: the Home tab's checkboxes (a signed
block_actions into the real app), `/tracker notify`, then watch rounds sending one DM per issue,
nothing for what the person did from Slack, quiet hours kept and summed up after, and nothing more
for a person who lost their identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from bot.demo import slack_payloads
from bot.demo.issuetrak import _note_record
from bot.demo.slack import TEAM_ID, SlackState
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import RoundSummary, run_round
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import Poller
from tests.slack.harness import Chat

Tick = Callable[[], Awaitable[RoundSummary]]


@pytest.fixture
def tick(poller: Poller, clock: list[datetime]) -> Callable[[], Awaitable[RoundSummary]]:
    """A watch round, a minute after the last."""

    async def run() -> RoundSummary:
        clock[0] += timedelta(minutes=1)
        rt, client = poller
        return await run_round(rt, client, pacer=Pacer(0))

    return run


def dms(chat: Chat, user: str = "U0ALICE") -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if m.get("channel") == user]


def checkbox(chat: Chat, values: list[str]) -> None:
    """A click on the Home tab's DM checkboxes, leaving `values` ticked."""
    button = {"type": "checkboxes", "action_id": ids.NOTIFY_KINDS, "block_id": "notify"}
    payload = slack_payloads.block_action(chat.who("home"), button)
    payload["actions"][0]["selected_options"] = [{"value": v} for v in values]
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    chat.interact(payload)


def quiet_pick(chat: Chat, action_id: str, value: object, shown: dict[str, object] | None = None) -> None:
    """A change of one of the Home tab's quiet-hours pickers to `value` (or a click on "No quiet
    hours"), with what the tab's pickers show (`shown`, by action id) in the view's state, as Slack sends it."""
    kind = "button" if action_id == ids.NOTIFY_QUIET_OFF else "timepicker"
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": ids.NOTIFY_QUIET_BLOCK}
    element |= {"value": "off"} if kind == "button" else {"selected_time": value}
    pickers = {name: {"type": "timepicker", "selected_time": time} for name, time in (shown or {}).items()}
    payload = slack_payloads.home_action(chat.who("home"), element, {"id": "VHOME"}, {ids.NOTIFY_QUIET_BLOCK: pickers})
    assert chat.interact(payload).status == 200


async def quiet(chat: Chat) -> tuple[str | None, str | None]:
    kept = await chat.runtime.store.notify_settings(TEAM_ID, chat.user)
    return kept.quiet_start, kept.quiet_end


def home_pickers(chat: Chat) -> list[dict[str, Any]]:
    """The quiet-hours block of the Home tab last published."""
    view = chat.slack.of("views.publish")[-1]["view"]
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.NOTIFY_QUIET_BLOCK]
    return list(block["elements"])


def note(server: IssuetrakServer, issue: int, text: str, by: str = "bnguyen") -> None:
    note_id = max(server.state.notes) + 1
    server.state.notes[note_id] = _note_record(note_id, issue, text, by, datetime.now(UTC))


async def test_dms_per_issue_saved_choices_no_self_notification(
    chat: Chat, tick: Tick, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker issue 1004")  # Alice is amartin (her email): she may be notified
    shown = chat.send("/tracker notify").text
    assert "☑ an issue is assigned to me" in shown and "☐ a public note" in shown and "Home" in shown
    checkbox(chat, ["assigned", "next_action", "notes"])
    settings = await chat.runtime.store.notify_settings(TEAM_ID, "U0ALICE")
    assert settings.kinds == ("assigned", "next_action", "notes")
    [published] = chat.slack.of("views.publish")[-1:]
    assert "notify_kinds" in str(published["view"])  # the Home tab, published again with the boxes

    await tick()
    await tick()  # the first rounds after a choice are silent
    assert dms(chat) == []

    issue = issuetrak_server.state.issues[1004]  # submitted by amartin, nobody assigned
    issue["AssignedTo"] = issue["NextActionTo"] = "amartin"
    note(issuetrak_server, 1004, "<p>On it.</p>")
    issuetrak_server.state.issues[1006]["AssignedTo"] = "cdubois"  # nothing of Alice's
    await tick()
    [dm] = dms(chat)  # one DM for one issue, however many changes
    assert "#1004" in dm["text"] and "Assignee: — → Alice Martin" in dm["text"]
    assert "Next action: — → Alice Martin" in dm["text"] and "New note by Bao Nguyen: On it." in dm["text"]
    assert (await tick()).posted == 0 and len(dms(chat)) == 1

    chat.send("/tracker note 1004 Done from Slack")
    assert any("Done from Slack" in n["NoteText"] for n in issuetrak_server.state.notes.values())
    await tick()
    assert len(dms(chat)) == 1, "nothing for a note Alice wrote herself from Slack"


@pytest.mark.parametrize("where", ["command", "home"])
async def test_quiet_hours_keep_dms_for_one_summary_after(
    chat: Chat, tick: Tick, issuetrak_server: IssuetrakServer, clock: list[datetime], where: str
) -> None:
    chat.send("/tracker issue 1004")
    local = chat.runtime.clock().astimezone(ZoneInfo("Europe/Paris"))  # Alice's Slack time zone
    start, end = (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=1)).strftime("%H:%M")
    if where == "command":
        assert "Quiet hours set" in chat.send(f"/tracker notify quiet {start}-{end}").text
    else:  # the Home tab's pickers: the same hours, kept the same way
        quiet_pick(chat, ids.NOTIFY_QUIET_FROM, start)
        quiet_pick(chat, ids.NOTIFY_QUIET_TO, end, {ids.NOTIFY_QUIET_FROM: start})
        assert await quiet(chat) == (start, end)
    await tick()
    await tick()
    for number in (1004, 1006):
        issuetrak_server.state.issues[number]["AssignedTo"] = "amartin"
    await tick()
    assert dms(chat) == []  # kept during the quiet hours
    clock[0] += timedelta(hours=2)  # the quiet hours are over
    await tick()
    [summary] = dms(chat)
    assert summary["text"].startswith("While your quiet hours lasted") and "#1004" in summary["text"]
    assert "#1006" in summary["text"]


async def test_a_person_who_lost_their_identity_hears_nothing_more(
    chat: Chat, tick: Tick, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker issue 1004")
    await tick()
    await tick()
    chat.slack.users["U0ALICE"].deleted = True  # after the round recorded it: asked again before the DM
    issuetrak_server.state.issues[1004]["AssignedTo"] = "amartin"
    summary = await tick()
    assert dms(chat) == [] and summary.posted == 0
    assert await chat.runtime.store.claim_notify_news(chat.runtime.clock(), 10, 30) == []  # settled, never sent


HOME_LINK = "<slack://app?team=T0TRACKER&amp;id=A0TRACKER&amp;tab=home|Home tab>"


def test_notify_links_to_the_home_tab_by_the_apps_own_id(chat: Chat) -> None:
    shown = chat.send("/tracker notify").text
    assert HOME_LINK in shown and "For now you get none" not in shown
    for app_id in (None, "A0X&tab=messages", "<!channel>"):  # an unknown (or odd) app id: the words of old
        form = slack_payloads.slash_command(chat.who("cmd"), "/tracker", "notify")
        form.pop("api_app_id")
        if app_id is not None:
            form["api_app_id"] = app_id
        before = len(chat.slack.calls)
        chat.post(urlencode(form), "application/x-www-form-urlencoded")
        chat.settle()
        said = " ".join(str(c.args.get("text")) for c in chat.slack.calls[before:] if c.method == "response_url")
        assert "click my name, then Home" in said and "slack://" not in said, app_id


def test_notify_says_when_no_dm_will_come(chat: Chat) -> None:
    chat.user = "U0NOBODY"  # her Slack email matches no Issuetrak user
    shown = chat.send("/tracker notify").text
    assert "For now you get none of these DMs" in shown and "nora@elsewhere.example" in shown


async def test_a_person_who_only_asked_notify_hears_of_an_issue_assigned_to_them(
    chat: Chat, tick: Tick, slack_state: SlackState
) -> None:
    """Only a person trackerbot knows in Issuetrak is notified: `/tracker notify` is enough to be known."""
    slack_state.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")  # Issuetrak's bnguyen
    chat.user = "U0BAO"
    assert "For now you get none" not in chat.send("/tracker notify").text
    chat.user = "U0ALICE"
    await tick()
    await tick()
    assert "Bao Nguyen" in chat.send("/tracker assign 1004 <@U0BAO>").text
    await tick()
    [dm] = [m for m in chat.slack.of("chat.postMessage") if m.get("channel", "").startswith(("U", "D"))]
    assert dm["channel"] == "U0BAO" and "#1004" in dm["text"] and "Assignee: — → Bao Nguyen" in dm["text"]


async def test_quiet_hours_on_the_home_tab_are_saved_at_once_once_both_ends_are_picked(chat: Chat) -> None:
    published = len(chat.slack.of("views.publish"))
    quiet_pick(chat, ids.NOTIFY_QUIET_FROM, "22:00")  # the end is still to be picked: nothing to keep yet
    assert await quiet(chat) == (None, None) and len(chat.slack.of("views.publish")) == published
    quiet_pick(chat, ids.NOTIFY_QUIET_TO, "07:00", {ids.NOTIFY_QUIET_FROM: "22:00"})
    assert await quiet(chat) == ("22:00", "07:00")
    start, end, off = home_pickers(chat)  # the Home tab, published again: the pickers show what is kept
    assert (start["initial_time"], end["initial_time"], off["action_id"]) == ("22:00", "07:00", ids.NOTIFY_QUIET_OFF)
    assert "Quiet hours: 22:00–07:00 in your Slack time zone" in chat.send("/tracker notify").text

    quiet_pick(chat, ids.NOTIFY_QUIET_FROM, "23:30")  # the other end as kept when the state says nothing
    assert await quiet(chat) == ("23:30", "07:00")
    quiet_pick(chat, ids.NOTIFY_QUIET_OFF, None)
    assert await quiet(chat) == (None, None)
    assert [p["action_id"] for p in home_pickers(chat)] == [ids.NOTIFY_QUIET_FROM, ids.NOTIFY_QUIET_TO]
    assert all("initial_time" not in p for p in home_pickers(chat))
    assert dms(chat) == []  # nothing to say when all went well: the tab shows it


@pytest.mark.parametrize("value", ["25:00", "7pm", "7:00", 2200, ["22:00"], "22:00" * 2000, "07:00"])
async def test_a_malformed_quiet_hours_value_from_home_changes_nothing_and_says_why(chat: Chat, value: object) -> None:
    """A value Slack's picker would never send (or the same time at both ends: no quiet hours at all)."""
    chat.send("/tracker notify quiet 22:00-07:00")
    quiet_pick(chat, ids.NOTIFY_QUIET_FROM, value, {ids.NOTIFY_QUIET_TO: "07:00"})
    assert await quiet(chat) == ("22:00", "07:00")
    [told] = dms(chat)
    assert told["text"].startswith("Your quiet hours are as they were:") and "Home tab" in told["text"]
    assert str(value)[:20] not in told["text"]  # nothing of the value said back
    assert [p.get("initial_time") for p in home_pickers(chat)[:2]] == ["22:00", "07:00"]  # the tab as kept
    assert "slack://" not in chat.send("/tracker notify quiet 08:00-08:00").text  # the command's rule too
    assert await quiet(chat) == ("22:00", "07:00")


async def test_a_quiet_hours_pick_with_a_state_that_is_no_state_waits_for_the_other_end(chat: Chat) -> None:
    picker = {"type": "timepicker", "action_id": ids.NOTIFY_QUIET_TO, "block_id": ids.NOTIFY_QUIET_BLOCK}
    values = {ids.NOTIFY_QUIET_BLOCK: "22:00"}  # not {action_id: state}
    payload = slack_payloads.home_action(chat.who("home"), {**picker, "selected_time": "07:00"}, {"id": "V"}, values)
    assert chat.interact(payload).status == 200
    assert await quiet(chat) == (None, None) and chat.slack.of("views.publish") == [] and dms(chat) == []
