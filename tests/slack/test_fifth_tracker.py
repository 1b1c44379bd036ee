"""A fifth tracker registered through the registry alone shows up in `/tracker projects`,
`/tracker project <words>`, its Refresh button, digests and /healthz: no service names it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.runtime import Runtime
from bot.services import digests
from bot.trackers.models import TrackerName
from tests.slack.harness import Chat
from tests.trackers.fifth import fifth_tracker


@pytest.fixture
def storyboard() -> Iterator[TrackerName]:
    with fifth_tracker() as name:
        yield name


@pytest.fixture
def runtime(storyboard: TrackerName, runtime: Runtime) -> Runtime:
    """The usual runtime, built after Storyboard joined the registry."""
    return runtime


def test_projects_lists_the_fifth_tracker_after_the_four(chat: Chat) -> None:
    reply = chat.send("/tracker projects")
    for label in ("*Issuetrak*", "*Projectrak*", "*Kitsu*", "*Storyboard* · 3 projects"):
        assert label in reply.text
    assert reply.text.index("Kitsu") < reply.text.index("Storyboard")
    assert "Lighthouse animatic" in reply.text and "Harbour teaser boards" in reply.text
    assert "Archived pitch boards" not in reply.text  # closed projects stay out, as for every tracker


def test_project_by_name_finds_the_fifth_trackers_board_as_a_card(chat: Chat) -> None:
    reply = chat.send("/tracker project lighthouse")
    assert "Lighthouse animatic" in reply.text
    assert "40%" in reply.text
    labels = [b["text"]["text"] for b in reply.buttons()]
    assert "Open in Storyboard" in labels
    refresh = next(b for b in reply.buttons() if b["action_id"] == "project_refresh")
    assert refresh["value"] == "storyboard:b1"
    again = chat.click(refresh)
    assert "Lighthouse animatic" in again.text


def test_healthz_probes_the_fifth_tracker(bot_url: str) -> None:
    answer = httpx.get(f"{bot_url}/healthz", timeout=10).json()
    assert answer["trackers"]["storyboard"] == {"configured": True, "reachable": True}


async def test_digests_read_the_fifth_tracker_and_take_it_as_a_scope(runtime: Runtime) -> None:
    everything = await digests.build(runtime)
    late = [item for item in everything.attention if item.project.tracker is TrackerName("storyboard")]
    assert [item.project.name for item in late] == ["Ferry chase boards"]
    assert late[0].reasons[0].startswith("overdue by ")
    only = await digests.build(runtime, "storyboard")
    assert (only.projects_checked, only.issues_read, only.failures) == (3, False, {})
    assert [item.project.name for item in only.attention] == ["Ferry chase boards"]
