"""A Kitsu production subscription against the REAL Zou (the bot account's token): signed
`/tracker subscribe production …` into the real app, task statuses changed in Zou as Kitsu's own
page changes them (a comment with a status), then watch rounds: the first change of an asset is
one message in the channel, naming it, its task type, old → new and who; the second change of the
same asset goes into that thread; an excluded status is left out; the owner leaving the
production's team pauses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.demo.slack import TEAM_ID, SlackState
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import Poller, tick
from tests.fixtures.zou import Zou, ZouWorld
from tests.slack.harness import Chat

pytestmark = pytest.mark.zou


@pytest.fixture
def tracker_settings(zou: Zou, issuetrak_server: IssuetrakServer) -> dict[str, str]:
    return zou.bot_settings(issuetrak_server)


class Studio:
    """The test's admin session on Zou: the world's rows by name, and changes made as people make them."""

    def __init__(self, zou: Zou, world: ZouWorld) -> None:
        self.zou, self.world = zou, world
        self.http = httpx.Client(base_url=zou.url, headers={"Authorization": f"Bearer {zou.admin_token}"}, timeout=30)
        self.feature = next(p["id"] for p in zou.rows("data/projects") if p["name"] == world.feature)
        self.artist = next(p["id"] for p in zou.rows("data/persons") if p.get("email") == world.artist_email)
        self.statuses = {s["short_name"]: s for s in zou.rows("data/task-status")}

    def task(self, asset: str, task_type: str = "Modeling") -> dict[str, Any]:
        entity = next(a["id"] for a in self.zou.rows("data/assets", name=self.world.assets[asset]))
        type_id = next(t["id"] for t in self.zou.rows("data/task-types") if t["name"] == task_type)
        return next(t for t in self.zou.rows("data/tasks", entity_id=entity) if t["task_type_id"] == type_id)

    def set_status(self, asset: str, status: str) -> None:
        """The artist moves the asset's Modeling task to `status` (a short name) with a comment."""
        body = {"task_status_id": self.statuses[status]["id"], "comment": "moved", "person_id": self.artist}
        answer = self.http.post(f"/actions/tasks/{self.task(asset)['id']}/comment", json=body)
        assert answer.status_code in (200, 201), answer.text

    def name(self, status: str) -> str:
        return str(self.statuses[status]["name"])


@pytest.fixture
def studio(zou: Zou, zou_world: ZouWorld, slack_state: SlackState, chat: Chat) -> Iterator[Studio]:
    slack_state.add_user("U0ARTIST", zou_world.artist_name, zou_world.artist_email)
    chat.user = "U0ARTIST"
    made = Studio(zou, zou_world)
    yield made
    made.http.close()


def in_channel(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if not m.get("thread_ts")]


def in_threads(chat: Chat) -> list[dict[str, Any]]:
    return [m for m in chat.slack.of("chat.postMessage") if m.get("thread_ts")]


async def test_a_status_change_is_told_once_and_the_next_of_that_asset_goes_in_its_thread(
    chat: Chat, poller: Poller, studio: Studio, zou_world: ZouWorld
) -> None:
    said = chat.send(f'/tracker subscribe production "{zou_world.feature}" -status:{studio.name("done")}').text
    assert "Subscribed" in said, said
    assert (await tick(poller)).posted == 0  # the first round: heard, not told
    villain_task = studio.task("Villain")
    before = next(s["name"] for s in studio.statuses.values() if s["id"] == villain_task["task_status_id"])

    studio.set_status("Villain", "wfa")
    studio.set_status("Hero", "done")  # an excluded status (from wip): left out
    await tick(poller)
    [first] = in_channel(chat)
    villain = zou_world.assets["Villain"]
    assert f"*{villain}* (asset) in {zou_world.feature}" in first["text"]
    assert f"Modeling>: {before} → {studio.name('wfa')}, by {zou_world.artist_name}, <!date^" in first["text"]
    assert zou_world.assets["Hero"] not in str(chat.slack.of("chat.postMessage"))
    assert (await tick(poller)).posted == 0  # told once

    studio.set_status("Villain", "wip")
    await tick(poller)
    [reply] = in_threads(chat)
    assert f"{studio.name('wfa')} → {studio.name('wip')}" in reply["text"] and villain not in reply["text"]
    assert len(in_channel(chat)) == 1  # never into the channel again
    [sub] = await chat.runtime.store.subscriptions_at(TEAM_ID, "C0GENERAL")
    assert reply["thread_ts"] == await chat.runtime.store.kitsu_thread_ts(sub.id, villain_task["entity_id"])


async def test_the_owner_leaving_the_team_pauses_it(chat: Chat, poller: Poller, studio: Studio) -> None:
    assert "Subscribed" in chat.send(f"/tracker subscribe production {studio.feature}").text
    await tick(poller)
    gone = studio.http.delete(f"/data/projects/{studio.feature}/team/{studio.artist}")
    assert gone.status_code in (200, 204), gone.text
    try:
        studio.set_status("Hero", "wfa")
        summary = await tick(poller)
        assert (summary.paused, summary.posted) == (1, 0)
        [told] = chat.slack.of("chat.postMessage")
        assert "is paused" in told["text"] and "not on the team" in told["text"]
    finally:
        studio.http.post(f"/data/projects/{studio.feature}/team", json={"person_id": studio.artist})
