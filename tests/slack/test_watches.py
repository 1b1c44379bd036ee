"""Watches, as conversations: `/tracker watch`, `unwatch`, `watching`, then a watch round (the
poller's, run here on a process of its own against the same database and clock) and the news it
posts in the channel's thread for the item, or by DM."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.demo import slack_payloads
from bot.demo.issuetrak import _note_record
from bot.demo.slack import TEAM_ID
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import post_news, run_round
from bot.running.app import web_client
from bot.running.workers import Workers
from bot.runtime import Runtime
from bot.services import watches
from bot.store import NewsClaim
from bot.trackers.registry import build_trackers
from bot.views import ids
from bot.views.home import MAX_WATCH_LINES, home_view
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import FAST, Poller, tick
from tests.slack.harness import Chat, Reply, blocks_text


def news(chat: Chat) -> list[dict[str, Any]]:
    """Every piece of watch news the bot posted so far."""
    return [m for m in chat.slack.of("chat.postMessage") if "News of" in m.get("text", "")]


def add_note(server: IssuetrakServer, issue: int, text: str, *, by: str = "bnguyen", private: bool = False) -> int:
    note_id = max(server.state.notes, default=0) + 1
    server.state.notes[note_id] = _note_record(note_id, issue, text, by, datetime.now(UTC), private=private)
    return note_id


async def test_a_channel_watches_an_issue_and_hears_each_change_once_in_one_thread(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    reply = chat.send("/tracker watch issue 1001")
    assert "This channel will hear of changes to Issuetrak issue #1001" in reply.text
    assert "already watching" in chat.send("/tracker watch issue #1001").text

    first = await tick(poller)
    assert (first.items, first.posted) == (1, 0)  # the first poll only records the issue
    assert news(chat) == []

    issue = issuetrak_server.state.issues[1001]
    issue["Status"] = "Closed"
    issue["AssignedTo"] = issue["NextActionTo"] = "cdubois"
    add_note(issuetrak_server, 1001, "Swapped the fuser.\nSecond line\nthird\nfourth line never shown")
    add_note(issuetrak_server, 1001, "internal: the vendor overcharged", private=True)
    second = await tick(poller)
    assert (second.items, second.changed, second.posted) == (1, 1, 1)
    [parent] = news(chat)
    assert parent["channel"] == "C0GENERAL" and parent.get("thread_ts") is None
    text = blocks_text(parent["blocks"])
    assert "Status: Open → Closed" in text
    assert "Next action:" in text and "Assignee:" in text
    assert "Swapped the fuser. / Second line / third" in text and "fourth line" not in text
    assert "overcharged" not in parent["text"] + text  # a private note never

    assert (await tick(poller)).posted == 0  # nothing new: nothing said again

    issue["Status"] = "Open"
    await tick(poller)
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")
    later = news(chat)[1]
    assert watch.thread_ts and later["thread_ts"] == watch.thread_ts
    assert "Status: Closed → Open" in blocks_text(later["blocks"])


async def test_watching_lists_and_unwatch_stops_and_anyone_in_the_channel_may_stop_it(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    assert "This channel watches nothing yet" in chat.send("/tracker watching").text
    chat.send("/tracker watch issue 1001")
    assert "Issuetrak project Studio network refresh" in chat.send("/tracker watch project 1").text
    listed = chat.send("/tracker watching").text
    assert "This channel watches 2 of at most 50:" in listed
    assert "Issuetrak issue #1001 (Render node rn-07" in listed and "set by <@U0ALICE>" in listed

    chat.user = "U0NOBODY"  # no Issuetrak user, but in the channel: may stop the channel's watch
    assert "Stopped watching Issuetrak issue #1001" in chat.send("/tracker unwatch issue 1001").text
    assert "This channel is not watching issue #1001." in chat.send("/tracker unwatch issue 1001").text
    assert (
        "Stopped watching Issuetrak project Studio network refresh"
        in chat.send("/tracker unwatch project studio network refresh").text
    )
    assert "This channel watches nothing yet" in chat.send("/tracker watching").text

    await tick(poller)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    assert (await tick(poller)).items == 0 and news(chat) == []  # a stopped watch hears nothing


async def test_a_watch_in_a_dm_is_the_persons_and_its_news_comes_by_dm(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.channel = "D0ALICE"
    assert "You will hear of changes to Issuetrak issue #1002" in chat.send("/tracker watch issue 1002").text
    assert "You watch 1 of at most 50 here:" in chat.send("/tracker watching").text
    chat.channel = "C0GENERAL"
    assert "This channel watches nothing yet" in chat.send("/tracker watching").text

    await tick(poller)
    issuetrak_server.state.issues[1002]["PriorityID"] = 1
    await tick(poller)
    [dm] = news(chat)
    assert dm["channel"] == "U0ALICE" and "Priority:" in dm["text"]

    chat.user, chat.channel = "U0NOBODY", "D0NOBODY"  # another person's DM reaches only their own watches
    assert "You are not watching issue #1002." in chat.send("/tracker unwatch issue 1002").text
    chat.user, chat.channel = "U0ALICE", "D0ALICE"
    assert "You stopped watching Issuetrak issue #1002" in chat.send("/tracker unwatch issue 1002").text


def test_watching_follows_the_read_rules(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.user = "U0NOBODY"
    reply = chat.send("/tracker watch issue 1001")
    assert "Reading Issuetrak from Slack needs your Issuetrak user" in reply.text
    assert not issuetrak_server.requests_to("issues/true/1001") and not issuetrak_server.requests_to(
        "issues/false/1001"
    )
    chat.slack.add_user("U0GUEST", "Gus Guest", "alice@example.com").is_restricted = True
    chat.user = "U0GUEST"
    assert "Guest accounts cannot use trackerbot" in chat.send("/tracker watch project 1").text
    chat.user = "U0ALICE"
    assert "This channel watches nothing yet" in chat.send("/tracker watching").text

    chat.runtime.settings.OPEN_READS = True
    chat.user = "U0NOBODY"
    assert "This channel will hear of changes" in chat.send("/tracker watch issue 1001").text


def test_bad_watch_commands_get_clear_answers(chat: Chat) -> None:
    answers = {
        "/tracker watch": "Use `/tracker watch issue 123`",
        "/tracker watch issue": "Use `/tracker watch issue 123`",
        "/tracker watch issue abc": "Use `/tracker watch issue 123`",
        "/tracker watch issue 12345678901": "too long for an issue number",
        "/tracker watch asset LAPTOP-0042": "Use `/tracker watch issue 123`",
        "/tracker unwatch everything": "Use `/tracker unwatch issue 123`",
        "/tracker watching all": "`/tracker watching` takes nothing after it",
        "/tracker watch issue 999": "Issue 999 does not exist in Issuetrak.",
        "/tracker watch project no such thing": "I found no project matching “no such thing”",
        "/tracker watch project o": "Several projects match “o”",
    }
    for text, expected in answers.items():
        reply = chat.send(text)
        assert expected in reply.text, (text, reply.text)
        assert "Traceback" not in reply.text
    assert "This channel watches nothing yet" in chat.send("/tracker watching").text


def test_a_channel_may_watch_only_so_many_items(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watches, "MAX_WATCHES", 2)
    chat.send("/tracker watch issue 1001")
    chat.send("/tracker watch issue 1002")
    assert "This channel already watches 2 items, as many as it may" in chat.send("/tracker watch issue 1003").text
    assert "already watching" in chat.send("/tracker watch issue 1002").text  # a repeat is not refused as full


async def test_an_item_that_disappears_is_reported_once_and_its_watch_ends_but_an_outage_is_not_that(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker watch issue 1004")
    chat.channel = "C0OTHER"
    chat.send("/tracker watch issue 1004")
    await tick(poller)

    issuetrak_server.state.faults.fail_rate = 1.0  # Issuetrak down: not a disappearance
    down = await tick(poller)
    assert (down.unreadable, down.gone, down.posted) == (1, 0, 0)
    issuetrak_server.state.faults.fail_rate = 0.0
    assert (await tick(poller)).posted == 0  # the watermark was kept: nothing to say

    del issuetrak_server.state.issues[1004]
    gone = await tick(poller)
    assert (gone.gone, gone.posted) == (1, 2)
    said = news(chat)
    assert {m["channel"] for m in said} == {"C0GENERAL", "C0OTHER"}
    assert all("can no longer be read (Issue 1004 does not exist in Issuetrak.)" in m["text"] for m in said)
    assert (await tick(poller)).items == 0  # its watches ended: nothing polled, nothing said again
    assert len(news(chat)) == 2
    assert "watches nothing yet" in chat.send("/tracker watching").text


async def test_project_watches_hear_status_progress_and_health(
    chat: Chat,
    poller: Poller,
    issuetrak_server: IssuetrakServer,
    projectrak_server,
) -> None:
    chat.send("/tracker watch project 1")
    assert "Projectrak project Website relaunch" in chat.send("/tracker watch project WEB").text
    await tick(poller)
    project = next(p for p in issuetrak_server.state.projects.values() if p["ProjectNumber"] == "7")
    project["PercentCompleted"] = 55
    project["Status"] = "On hold"
    web = projectrak_server.state.projects["WEB"]
    health = next(f.id for f in projectrak_server.state.fields if f.name == "Health")
    web.values[health] = {"id": "2", "value": "At risk"}
    done = await tick(poller)
    assert done.posted == 2
    text = "\n".join(m["text"] for m in news(chat))
    assert "Progress: 40% → 55%" in text and "Status: Open → On hold" in text
    assert "Health: On track → At risk" in text


# --- "Watch here" on cards ------------------------------------------------------------------------


def watch_button(reply: Reply) -> dict[str, Any]:
    [button] = [b for b in reply.buttons() if b.get("action_id") == ids.WATCH_HERE]
    return button


async def test_watch_here_on_an_issue_card_watches_it_in_that_channel_and_tells_the_clicker_alone(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    card = chat.send("/tracker issue 1003")
    assert [b["text"]["text"] for b in card.buttons() if b["type"] == "button"] == [
        "Add note",
        "Watch here",
        "Open in Issuetrak",
        "Assign to me",
        "Refresh",
    ]
    clicked = chat.click(watch_button(card))
    [answer] = clicked.of("response_url")
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"  # the card stays
    assert "This channel will hear of changes to Issuetrak issue #1003" in answer["text"]
    assert "already watching" in chat.click(watch_button(card)).text
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")
    assert (watch.target.item_key, watch.created_by) == ("issue:1003", "U0ALICE")

    await tick(poller)
    add_note(issuetrak_server, 1003, "Pens arrived")
    await tick(poller)
    [said] = news(chat)
    assert said["channel"] == "C0GENERAL" and "New note by Bao Nguyen: Pens arrived" in said["text"]


async def test_watch_here_on_a_project_card_and_in_a_dm(chat: Chat) -> None:
    chat.channel = "D0ALICE"
    card = chat.send("/tracker project WEB")
    assert [b["text"]["text"] for b in card.buttons()] == ["Refresh", "Watch here", "Open in Projectrak"]
    assert "You will hear of changes to Projectrak project Website relaunch" in chat.click(watch_button(card)).text
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, "U0ALICE")
    assert watch.personal and watch.target.item_key.startswith("project:projectrak:")


async def test_watch_here_is_checked_when_clicked_not_when_drawn(chat: Chat) -> None:
    """A card drawn for someone who may read it does not let anyone else watch through it."""
    card = chat.send("/tracker issue 1001")
    button = watch_button(card)
    chat.user = "U0NOBODY"
    assert "Reading Issuetrak from Slack needs your Issuetrak user" in chat.click(button).text
    chat.slack.add_user("U0GUEST", "Gus Guest", "alice@example.com").is_restricted = True
    chat.user = "U0GUEST"
    assert "Guest accounts cannot use trackerbot" in chat.click(button).text
    assert await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL") == []


async def test_a_forged_watch_here_watches_nothing(chat: Chat) -> None:
    for value in ("issue:99999", "issue:1x", "project:nowhere:1", "project:issuetrak:", "x" * 500, ""):
        reply = chat.click({"type": "button", "action_id": ids.WATCH_HERE, "value": value})
        assert reply.status == 200 and "does not exist" in reply.text, value
        assert "Traceback" not in reply.text
    assert await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL") == []


def test_watch_here_is_acknowledged_before_the_tracker_answers(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    card = chat.send("/tracker issue 1001")
    issuetrak_server.state.faults.latency = 1.0  # every Issuetrak answer takes a second
    payload = slack_payloads.block_action(chat.who("act"), watch_button(card))
    response = chat.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert chat.runtime.tasks, "acknowledged while the watch is still being made"
    chat.settle()
    assert "This channel will hear of changes" in chat.slack.of("response_url")[-1]["text"]


# --- the Home tab ---------------------------------------------------------------------------------


def open_home(chat: Chat, user: str) -> Reply:
    body = json.dumps(
        {
            "team_id": TEAM_ID,
            "api_app_id": "A0TRACKER",
            "type": "event_callback",
            "event_id": f"Ev{user}",
            "event_time": 1700000000,
            "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"},
        }
    )
    return chat._exchange(body, "application/json")


def home_of(chat: Chat, user: str) -> str:
    [published] = open_home(chat, user).of("views.publish")
    return blocks_text(published["view"]["blocks"])


def stop_buttons(chat: Chat, user: str) -> list[dict[str, Any]]:
    [published] = open_home(chat, user).of("views.publish")
    return [
        block["accessory"]
        for block in published["view"]["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.WATCH_STOP
    ]


def test_the_home_tab_lists_the_watches_a_person_set(chat: Chat) -> None:
    assert "None yet: `/tracker watch issue 123`" in home_of(chat, "U0ALICE")
    chat.send("/tracker watch issue 1001")
    chat.channel = "D0ALICE"
    chat.send("/tracker watch project WEB")
    home = home_of(chat, "U0ALICE")
    assert "Your watches" in home
    assert "Issuetrak issue #1001 (Render node rn-07 drops off the farm overnight), in <#C0GENERAL>" in home
    assert "Projectrak project Website relaunch, by DM" in home
    assert [b["text"]["text"] for b in stop_buttons(chat, "U0ALICE")] == ["Stop", "Stop"]
    assert "None yet: `/tracker watch" in home_of(chat, "U0NOBODY")  # another person's home shows none of them


async def test_stop_on_the_home_tab_ends_the_watch_for_whoever_set_it_or_an_admin_only(chat: Chat) -> None:
    chat.send("/tracker watch issue 1001")
    chat.send("/tracker watch issue 1002")
    first, second = stop_buttons(chat, "U0ALICE")

    chat.user = "U0NOBODY"  # a forged click, with Alice's watch in the value
    refused = chat.click(first)
    assert "Only whoever set this watch, someone in its channel or an admin may stop it." in refused.text
    assert refused.of("chat.postMessage")[-1]["channel"] == "U0NOBODY"  # told by DM
    assert len(await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")) == 2

    chat.user = "U0ALICE"
    stopped = chat.click(first)
    assert not stopped.of("chat.postMessage")  # nothing to say: the Home tab shows it gone
    [published] = stopped.of("views.publish")
    assert published["user_id"] == "U0ALICE" and "#1001" not in blocks_text(published["view"]["blocks"])
    assert "That watch has already ended." in chat.click(first).text

    chat.runtime.settings.TRACKER_ADMINS = "U0ADMIN"
    chat.user = "U0ADMIN"
    chat.click(second)
    assert await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL") == []
    for forged in ("x", "-1", "9" * 30, ""):
        assert "That watch has already ended." in chat.click({**second, "value": forged}).text


async def test_news_slack_did_not_take_is_posted_by_the_next_round_and_a_closed_channel_ends_its_watch(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker watch issue 1001")
    chat.channel = "C0GONE"
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    chat.slack.failures["chat.postMessage"] = [503, 503, 503, 503]  # Slack down for this round
    chat.slack.closed_channels.add("C0GONE")  # and the bot was removed from #gone
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    down = await tick(poller)
    assert (down.changed, down.posted) == (1, 0)
    chat.slack.failures.clear()
    again = await tick(poller)
    assert again.posted == 1  # the news waited in the store; #general gets it now, once
    assert [m["channel"] for m in news(chat)] == ["C0GENERAL", "C0GONE"]  # #gone refused it (not_in_channel)
    assert await chat.runtime.store.watches_at(TEAM_ID, "C0GONE") == []  # ended, not retried for ever
    assert len(await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")) == 1
    assert (await tick(poller)).posted == 0 and await chat.runtime.store.pending_news() == 0


async def test_a_kitsu_production_watch_hears_of_tasks_falling_overdue(
    chat: Chat,
    poller: Poller,
    kitsu_server,
) -> None:
    assert "Kitsu project Moonrise" in chat.send("/tracker watch project Moonrise").text
    await tick(poller)
    data = kitsu_server.state.data
    moonrise = next(p["id"] for p in data["projects"] if p["name"] == "Moonrise")
    yesterday = f"{(kitsu_server.state.today - timedelta(days=1)).isoformat()}T00:00:00"
    for task in data["tasks"]:
        if task["project_id"] == moonrise:
            task["due_date"] = yesterday
    assert (await tick(poller)).posted == 1
    [said] = news(chat)
    assert "|Kitsu project Moonrise>" in said["text"] and "Overdue tasks: " in said["text"]


class TakenOverWhileWaiting(Pacer):
    """Slack's pace holds the second post past the claim's lease, and meanwhile another process
    takes the watch's news over (`taken`)."""

    def __init__(self, rt: Runtime, clock: list[datetime]) -> None:
        super().__init__(0)
        self.rt, self.bot_clock = rt, clock
        self.waits = 0
        self.taken: list[NewsClaim] = []

    async def wait(self, channel: str) -> None:
        self.waits += 1
        if self.waits == 2:
            self.bot_clock[0] += timedelta(seconds=self.rt.settings.CLAIM_LEASE_SECONDS + 1)
            self.taken += await self.rt.store.claim_news(self.bot_clock[0], 10, self.rt.settings.CLAIM_LEASE_SECONDS)


async def test_news_taken_over_while_it_waited_for_slack_is_left_to_its_new_holder(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer, clock: list[datetime]
) -> None:
    """The claim is renewed right before each post: once another process has taken the watch's
    news over, this one posts nothing more of it, and each piece goes out once."""
    chat.send("/tracker watch issue 1001")
    rt, client = poller
    await watches.poll(rt)
    for status in ("Pending", "Closed"):
        issuetrak_server.state.issues[1001]["Status"] = status
        await watches.poll(rt)  # recorded, not posted yet
    pacer = TakenOverWhileWaiting(rt, clock)
    slow = await run_round(rt, client, pacer=pacer)
    assert slow.posted == 1
    [taken] = pacer.taken
    assert len(taken.news) == 1 and await rt.store.give_back(taken.claim)  # its new holder gives it back unsaid
    assert (await tick(poller)).posted == 1
    assert [m["text"].splitlines()[1] for m in news(chat)] == ["Status: Open → Pending", "Status: Pending → Closed"]


async def test_an_item_closed_to_the_bot_ends_its_watch_but_refused_credentials_do_not(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    key = issuetrak_server.state.api_key
    issuetrak_server.state.api_key = "cm90YXRlZC1rZXk="  # the key was rotated: every call is refused
    rotated = await tick(poller)
    assert (rotated.unreadable, rotated.gone, rotated.posted) == (1, 0, 0)
    assert len(await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")) == 1

    issuetrak_server.state.api_key = key
    issuetrak_server.state.faults.fail_next = [403]  # this issue alone is refused; the probe is answered
    closed = await tick(poller)
    assert (closed.gone, closed.posted) == (1, 1)
    [said] = news(chat)
    assert "can no longer be read (Issuetrak no longer lets trackerbot read it)" in said["text"]
    assert await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL") == []


def test_a_home_tab_with_many_watches_stays_within_slacks_block_limit() -> None:
    view = home_view(
        identity="you",
        trackers=[],
        digests=[],
        examples=[],
        watches=[(f"watch {n}", n) for n in range(watches.MAX_WATCHES * 3)],
        notify=(("assigned",), [("assigned", "an issue is assigned to me")]),
        quiet=("22:00", "07:00"),  # the DM choices and the quiet-hours pickers too
        audit=[],
    ).to_dict()
    blocks = view["blocks"]
    assert len(blocks) <= 100
    assert sum(1 for b in blocks if b.get("accessory", {}).get("action_id") == ids.WATCH_STOP) == MAX_WATCH_LINES
    assert f"…and {watches.MAX_WATCHES * 3 - MAX_WATCH_LINES} more" in blocks_text(blocks)


async def test_the_watch_poller_runs_a_round_every_watch_poll_seconds(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    rt, client = poller
    rt.settings.WATCH_POLL_SECONDS = 5
    workers = Workers(rt, client, outbox_seconds=3600, digest_seconds=3600, pacer=Pacer(0))
    assert [(name, seconds) for name, _, seconds in workers.jobs if name == "watch poller"] == [("watch poller", 5)]
    chat.send("/tracker watch issue 1001")
    workers.start()  # every job runs once at start: the watch round records the issue
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10  # a generous bound; it takes milliseconds
        while not (await rt.store.watched_items())[0].snapshot and loop.time() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await workers.stop()
    [item] = await rt.store.watched_items()
    assert item.snapshot is not None and item.snapshot["status"] == "Open"


# --- review: attacker ---------------------------------------------------------------------------


async def test_a_personal_watch_stops_telling_a_person_who_may_no_longer_read(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    """Watches obey the read rules when the news is posted too: a person who became a guest, or
    whose Slack email no longer matches an Issuetrak user, hears no more of the issue by DM."""
    chat.slack.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")
    for user in ("U0ALICE", "U0BAO"):
        chat.user, chat.channel = user, f"D{user[1:]}"
        assert "You will hear of changes" in chat.send("/tracker watch issue 1001").text
    await tick(poller)

    chat.slack.users["U0ALICE"].is_restricted = True  # Alice is a guest now
    chat.slack.users["U0BAO"].email = "bao@elsewhere.example"  # Bao matches no Issuetrak user
    add_note(issuetrak_server, 1001, "The vendor's quote is attached: 12,400 EUR.")
    done = await tick(poller)
    assert (done.changed, done.posted) == (1, 0)
    assert not [m for m in news(chat) if "12,400" in json.dumps(m)]
    assert await chat.runtime.store.watches_by(TEAM_ID, "U0ALICE") == []  # ended, not kept for later
    assert await chat.runtime.store.watches_by(TEAM_ID, "U0BAO") == []


async def test_a_personal_watch_waits_while_issuetrak_cannot_say_who_may_read(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.channel = "D0ALICE"
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    assert (await watches.poll(poller[0])).changed == 1
    # Another process posts the news, and Issuetrak goes down before it could say who Alice is.
    other = Runtime(
        settings=chat.runtime.settings,
        trackers=build_trackers(chat.runtime.settings, options=FAST),
        store=chat.runtime.store,
        clock=chat.runtime.clock,
    )
    try:
        issuetrak_server.state.faults.fail_next.extend([503] * 1000)
        assert await post_news(other, web_client(other), pacer=Pacer(0)) == 0
        assert len(await chat.runtime.store.watches_by(TEAM_ID, "U0ALICE")) == 1  # kept: nobody could say
        issuetrak_server.state.faults.fail_next.clear()
        assert await post_news(other, web_client(other), pacer=Pacer(0)) == 1
    finally:
        await other.aclose()
    [dm] = news(chat)
    assert dm["channel"] == "U0ALICE" and "Status: Open → Closed" in blocks_text(dm["blocks"])


async def test_a_note_whose_privacy_issuetrak_does_not_state_is_never_announced(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    """Private notes never show: a note is quoted only when Issuetrak says it is public, not when
    its IsPrivate is missing, null or of another type."""
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    notes = issuetrak_server.state.notes
    del notes[add_note(issuetrak_server, 1001, "salary review: missing flag")]["IsPrivate"]
    notes[add_note(issuetrak_server, 1001, "salary review: null flag")]["IsPrivate"] = None
    notes[add_note(issuetrak_server, 1001, "salary review: string flag")]["IsPrivate"] = "true"
    add_note(issuetrak_server, 1001, "Fuser swapped, printer back.")
    assert (await tick(poller)).posted == 1
    [said] = news(chat)
    text = said["text"] + blocks_text(said["blocks"])
    assert "Fuser swapped" in text and "salary" not in text


async def test_news_recorded_before_an_unwatch_is_not_posted_after_it(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    """Once a watch is stopped, its destination hears nothing more of the item, even news the
    poll recorded before the stop (posted later by another process, or after a Slack outage)."""
    for channel in ("D0ALICE", "C0GENERAL"):
        chat.channel = channel
        chat.send("/tracker watch issue 1001")
    await tick(poller)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    assert (await watches.poll(poller[0])).changed == 1
    for channel in ("D0ALICE", "C0GENERAL"):
        chat.channel = channel
        assert "topped watching" in chat.send("/tracker unwatch issue 1001").text
    assert await post_news(*poller, pacer=Pacer(0)) == 0
    assert news(chat) == [] and await chat.runtime.store.pending_news() == 0


async def test_a_note_written_from_slack_is_not_echoed_where_it_was_written_and_said_once_elsewhere(
    chat: Chat, poller: Poller
) -> None:
    """News reads like a person wrote it: the channel that wrote the note hears nothing of it; a
    DM watch of the same issue hears it once, with who wrote it, never the internal tag."""
    chat.send("/tracker watch issue 1003")
    chat.channel = "D0ALICE"
    chat.send("/tracker watch issue 1003")
    await tick(poller)
    chat.channel = "C0GENERAL"
    chat.send("/tracker note 1003 second note")
    await tick(poller)
    said = news(chat)
    assert [m["channel"] for m in said] == ["U0ALICE"]
    text = said[0]["text"]
    assert "New note by Alice Martin (from Slack): second note" in text
    assert "tb-" not in text and "Posted from Slack" not in text
