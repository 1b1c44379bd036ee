"""Kitsu production subscriptions, as conversations against the contract Kitsu (bot/demo/kitsu.py):
`/tracker subscribe production …` signed into the real app, then watch rounds (the poller's, a
runtime of its own on the same database): the first change of an asset is a message in the
channel, its later ones go into that message's thread; filters (an exclusion too); the owner
leaving the production's team pauses it; Kitsu down says nothing and loses nothing; Edit shows
the Kitsu filters and changes only what was edited; bad and huge refs get a sentence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bot.demo.kitsu import KitsuState, _id
from bot.demo.slack import TEAM_ID
from bot.views import ids
from tests.fixtures.kitsu import KitsuServer
from tests.fixtures.slack import Poller, tick
from tests.slack.harness import Chat

MOONRISE = _id("project", "Moonrise")


def set_status(state: KitsuState, asset: str, task_type: str, status: str, *, by: str | None = None) -> None:
    """A person moves a task to `status` (its short name) with a comment, as Kitsu's own page does
    (`by`: their email); with no one, the task changes without a comment."""
    asset_id, type_id = _id("asset", asset), _id("task-type", task_type)
    task = next(t for t in state.data["tasks"] if t["entity_id"] == asset_id and t["task_type_id"] == type_id)
    status_id = next(s["id"] for s in state.data["task_statuses"] if s["short_name"] == status)
    task["task_status_id"] = status_id
    if by is not None:
        person = next(p for p in state.data["persons"] if p["email"] == by)
        now = datetime.now(UTC).replace(tzinfo=None).isoformat()
        state.data["comments"].append(
            {
                "id": str(uuid.uuid4()),
                "object_id": task["id"],
                "object_type": "Task",
                "text": "",
                "task_status_id": status_id,
                "person_id": person["id"],
                "created_at": now,
                "updated_at": now,
            }
        )


def in_channel(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if not m.get("thread_ts")]


def in_threads(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if m.get("thread_ts")]


async def test_an_entitys_first_change_starts_its_thread_in_the_channel_and_later_ones_go_into_it(
    chat: Chat, poller: Poller, kitsu_server: KitsuServer
) -> None:
    said = chat.send("/tracker subscribe production moonrise").text
    assert "Subscribed" in said and "Kitsu: Moonrise" in said
    state = kitsu_server.state
    set_status(state, "Luna", "Modeling", "wfa", by="alice@example.com")  # before the first round: heard, not told
    assert (await tick(poller)).posted == 0 and in_channel(chat) == []

    set_status(state, "Luna", "Modeling", "done", by="chen@example.com")
    set_status(state, "Luna", "Rigging", "wip")  # no comment: nobody to name
    await tick(poller)
    [first] = in_channel(chat)
    text = first["text"]
    assert first["channel"] == "C0GENERAL" and "*Luna* (asset) in Moonrise" in text
    assert "Modeling>: Waiting For Approval → Done, by Chen Wei, <!date^" in text
    assert "Rigging>: Todo → Work In Progress" in text and "Rigging>: Todo → Work In Progress, by" not in text
    assert (await tick(poller)).posted == 0  # announced once

    set_status(state, "Luna", "Modeling", "retake", by="eli@example.com")
    set_status(state, "Captain Orrin", "Modeling", "done", by="bruno@example.com")
    await tick(poller)
    [reply] = in_threads(chat)
    [sub] = await chat.runtime.store.subscriptions_at(TEAM_ID, "C0GENERAL")
    luna = await chat.runtime.store.kitsu_thread_ts(sub.id, _id("asset", "Luna"))
    assert luna is not None and reply["thread_ts"] == luna and "Done → Retake, by Eli Haddad" in reply["text"]
    assert "Luna" not in reply["text"]  # the thread already names it
    assert len(in_channel(chat)) == 2 and "*Captain Orrin*" in in_channel(chat)[1]["text"]
    assert await chat.runtime.store.kitsu_thread_ts(sub.id, _id("asset", "Captain Orrin")) not in (None, luna)


async def test_filters_match_names_in_any_case_values_or_and_an_exclusion_leaves_out(
    chat: Chat, poller: Poller, kitsu_server: KitsuServer
) -> None:
    said = chat.send(
        '/tracker subscribe production Moonrise task_type:MODELING,shading -status:"work in progress"'
    ).text
    assert "task_type:MODELING,shading -status:work in progress" in said
    await tick(poller)
    state = kitsu_server.state
    set_status(state, "Luna", "Modeling", "done", by="alice@example.com")  # told
    set_status(state, "Lunar Rover", "Shading", "wip", by="alice@example.com")  # excluded status
    set_status(state, "Luna", "Rigging", "done", by="alice@example.com")  # not a chosen task type
    set_status(state, "Moon Base", "Modeling", "wfa", by="alice@example.com")  # told
    await tick(poller)
    texts = sorted(m["text"] for m in in_channel(chat))
    assert len(texts) == 2 and texts[0].startswith("*Luna*") and texts[1].startswith("*Moon Base*")
    assert "Rigging" not in texts[0] and in_threads(chat) == []


async def test_the_owner_leaving_the_team_pauses_it_and_subscribing_again_resumes_it(
    chat: Chat, poller: Poller, kitsu_server: KitsuServer
) -> None:
    chat.send(f"/tracker subscribe production {MOONRISE}")
    await tick(poller)
    state = kitsu_server.state
    project = next(p for p in state.data["projects"] if p["id"] == MOONRISE)
    alice = _id("person", "alice@example.com")
    project["team"] = [p for p in project["team"] if p != alice]
    set_status(state, "Luna", "Modeling", "done", by="chen@example.com")
    summary = await tick(poller)
    assert summary.paused == 1 and summary.posted == 0
    [told] = chat.slack.of("chat.postMessage")
    assert "Moonrise" in told["text"] and "is paused" in told["text"] and "not on the team" in told["text"]
    assert "_paused_" in chat.send("/tracker subscriptions").text
    assert (
        "You are on no open Kitsu production called “Moonrise”"
        in chat.send("/tracker subscribe production Moonrise").text
    )
    assert "not on the team of Moonrise" in chat.send(f"/tracker subscribe production {MOONRISE}").text

    project["team"].append(alice)  # by its id: the team read afresh (the list of hers is cached briefly)
    assert "Subscription changed" in chat.send(f"/tracker subscribe production {MOONRISE}").text
    await tick(poller)
    assert len(chat.slack.of("chat.postMessage")) == 2  # the pause notice, and Luna's change now


async def test_kitsu_down_says_nothing_and_the_next_round_catches_up(
    chat: Chat, poller: Poller, kitsu_server: KitsuServer
) -> None:
    chat.send("/tracker subscribe production Moonrise")
    await tick(poller)
    set_status(kitsu_server.state, "Luna", "Modeling", "done", by="alice@example.com")
    kitsu_server.state.faults.fail_rate = 1.0
    assert (await tick(poller)).posted == 0 and chat.slack.of("chat.postMessage") == []
    kitsu_server.state.faults.fail_rate = 0.0
    await tick(poller)
    [told] = in_channel(chat)
    assert "Work In Progress → Done, by Alice Moreau" in told["text"]


async def test_edit_shows_the_kitsu_filters_and_changes_only_what_was_edited(chat: Chat) -> None:
    chat.send("/tracker subscribe production Moonrise task_type:Modeling status:Done")
    listed = chat.send("/tracker subscriptions")
    assert "Kitsu: Moonrise" in listed.text and "task status changes" in listed.text
    edit = next(b for b in listed.buttons() if b["action_id"] == ids.SUBSCRIPTION_EDIT)
    [opened] = chat.click(edit).of("views.open")
    view = opened["view"]
    block_ids = [b.get("block_id") for b in view["blocks"]]
    assert ids.SUBSCRIPTION_EVENTS_BLOCK not in block_ids
    assert ids.SUBSCRIPTION_FILTER_BLOCK.format(name="priority") not in block_ids
    status_block = ids.SUBSCRIPTION_FILTER_BLOCK.format(name="status")
    type_block = ids.SUBSCRIPTION_FILTER_BLOCK.format(name="task_type")
    values = {
        type_block: {ids.SUBSCRIPTION_FILTER: {"type": "plain_text_input", "value": "Modeling"}},
        status_block: {ids.SUBSCRIPTION_FILTER: {"type": "plain_text_input", "value": "Done, -Retake"}},
    }
    said = chat.submit(view, values)
    assert "Subscription changed" in said.text or any(
        "Subscription changed" in str(c.args.get("text")) for c in chat.slack.calls
    )
    [found] = await chat.runtime.store.subscriptions_at(TEAM_ID, "C0GENERAL")
    assert found.filters == {
        "task_type": {"in": ["Modeling"], "out": []},
        "status": {"in": ["Done"], "out": ["Retake"]},
    }
    bogus = {**values, status_block: {ids.SUBSCRIPTION_FILTER: {"type": "plain_text_input", "value": "Bogus"}}}
    chat.submit(view, bogus)
    assert any("No Kitsu status is called “Bogus”" in str(c.args.get("text")) for c in chat.slack.calls)


def test_bad_production_subscriptions_get_clear_answers(chat: Chat, kitsu_server: KitsuServer) -> None:
    assert (
        "for a Kitsu production. Filters: task_type, status"
        in chat.send("/tracker subscribe production Moonrise priority:High").text
    )
    assert "for a Kitsu production" in chat.send("/tracker subscribe production Moonrise events:new").text
    assert (
        "No Kitsu task type is called “Sculpting”"
        in chat.send("/tracker subscribe production Moonrise task_type:Sculpting").text
    )
    assert "no open Kitsu production called “Nowhere”" in chat.send("/tracker subscribe production Nowhere").text
    assert "subscribe production <name or ID>" in chat.send("/tracker subscribe production").text
    long = "x" * 1000
    answer = chat.send(f"/tracker subscribe production {long}").text
    assert "is not a Kitsu production's name or ID" in answer and long not in answer
    assert "at most 3,000" in chat.send(f"/tracker subscribe production {'x' * 5000}").text
    assert (
        "no open Kitsu production called"
        in chat.send("/tracker subscribe production 00000000-0000-0000-0000-000000000000").text
    )
    assert "<!channel>" not in chat.send('/tracker subscribe production "<!channel> &lt;b&gt;"').text
    chat.user = "U0NOBODY"  # a Slack email Kitsu does not know
    assert "matches no active Kitsu account" in chat.send("/tracker subscribe production Moonrise").text
    chat.slack.add_user("U0GUEST", "Bruno Silva", "bruno@example.com").is_restricted = True  # on the team, a guest
    chat.user = "U0GUEST"
    assert "guest" in chat.send("/tracker subscribe production Moonrise").text.lower()
    chat.user = "U0ALICE"
    kitsu_server.state.faults.fail_rate = 1.0
    down = chat.send("/tracker subscribe production Moonrise").text
    assert "Kitsu" in down and "Traceback" not in down and "Subscribed" not in down
    kitsu_server.state.faults.fail_rate = 0.0
    assert "no subscriptions" in chat.send("/tracker subscriptions").text
    chat.slack.closed_channels.add("C0GENERAL")
    assert "/invite @trackerbot" in chat.send("/tracker subscribe production Moonrise").text


async def test_a_round_reads_a_production_once_for_all_its_channels_and_more_only_for_what_changed(
    chat: Chat, poller: Poller, kitsu_server: KitsuServer
) -> None:
    """Cost: one task list a production a round, however many channels subscribe to it; its
    entities and a changed task's comments only when something changed."""
    chat.send("/tracker subscribe production Moonrise")
    chat.slack.channels["C0RANDOM"] = "random"
    chat.channel = "C0RANDOM"
    assert "Subscribed" in chat.send("/tracker subscribe production Moonrise task_type:Rigging").text
    await tick(poller)
    state = kitsu_server.state

    def reads(path: str) -> list[str]:
        return [r for r in state.received if r.startswith(f"GET /data/{path}")]

    state.received.clear()
    await tick(poller)  # nothing changed
    assert reads("tasks?") == [f"GET /data/tasks?project_id={MOONRISE}"]
    assert reads("entities") == [] and [r for r in state.received if r.endswith("/comments")] == []

    set_status(state, "Luna", "Modeling", "done", by="alice@example.com")
    state.received.clear()
    await tick(poller)
    assert len(reads("tasks?")) == 1
    assert len([r for r in state.received if r.endswith("/comments")]) == 1  # the one changed task, once
    assert [m["channel"] for m in chat.slack.of("chat.postMessage")] == ["C0GENERAL"]  # Rigging's channel: not told
