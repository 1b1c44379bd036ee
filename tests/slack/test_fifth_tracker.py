"""A fifth tracker added as docs/adding-a-tracker.md says (tests/trackers/fifth.py: its settings,
client and registry line; tests/trackers/fifth_demo.py: its demo server) and configured through
the environment shows up in `/tracker projects`, `/tracker project <words>`, its Refresh button,
`/tracker asset <words>` with its More and Previous buttons, the sentence for no asset tracker,
digests, `/healthz` and the console: no service, view or listener names it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.demo.loopback import serve_in_thread
from bot.runtime import Runtime
from bot.services import digest_rules
from bot.settings import SettingsError, load_settings
from bot.trackers.models import TrackerName
from tests.console.test_console import offline, run_script
from tests.slack.harness import Chat
from tests.trackers.fifth import StoryboardSettings, fifth_tracker
from tests.trackers.fifth_demo import StoryboardState, create_app


@pytest.fixture
def storyboard_state() -> StoryboardState:
    return StoryboardState()


@pytest.fixture
def storyboard(storyboard_state: StoryboardState, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrackerName]:
    """Storyboard registered, its demo served on loopback and its settings in the environment."""
    with fifth_tracker() as name, serve_in_thread(create_app(storyboard_state)) as url:
        monkeypatch.setenv("STORYBOARD_URL", url)
        monkeypatch.setenv("STORYBOARD_TOKEN", storyboard_state.token)
        yield name


@pytest.fixture
def runtime(storyboard: TrackerName, runtime: Runtime) -> Runtime:
    """The usual runtime, its settings read after Storyboard joined the registry."""
    return runtime


def test_its_settings_come_from_the_environment(runtime: Runtime, storyboard_state: StoryboardState) -> None:
    read = runtime.settings.tracker(StoryboardSettings)
    assert read.STORYBOARD_URL and read.STORYBOARD_URL.startswith("http://127.0.0.1:")
    assert storyboard_state.token in runtime.settings.secret_values()  # masked in logs like every secret
    assert "Storyboard" in runtime.settings.trackers_on()


def test_the_warning_of_no_tracker_names_its_switch_too(
    storyboard: TrackerName, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STORYBOARD_URL")
    monkeypatch.delenv("STORYBOARD_TOKEN")
    settings = load_settings(_env_file=None)
    assert settings.trackers_on() == []
    assert settings.tracker_switches() == "ISSUETRAK_URL, PROJECTRAK_API_KEY_ID, AIP_URL, KITSU_URL or STORYBOARD_URL"


def test_a_half_configured_fifth_tracker_is_named_with_the_other_problems(
    storyboard: TrackerName, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STORYBOARD_TOKEN")
    monkeypatch.setenv("STORYBOARD_URL", "storyboard.example.com")
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=70000\nSTORYBOARD_TOKEN=\n")
    with pytest.raises(SettingsError) as caught:
        load_settings("serve", _env_file=dotenv, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert caught.value.problems == [
        "PORT must be a TCP port from 1 to 65535, not 70000 (in .env: PORT is set)",
        "STORYBOARD_URL must be an http(s) URL with a host, for example https://example.com",
    ]
    monkeypatch.setenv("STORYBOARD_URL", "https://storyboard.example.com")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=dotenv, PORT="3000")
    assert caught.value.problems == [
        "STORYBOARD_TOKEN is missing: Storyboard needs STORYBOARD_URL and STORYBOARD_TOKEN"
        " (in .env: STORYBOARD_TOKEN is empty)"
    ]


def test_a_wrong_token_is_refused_by_its_demo(bot_url: str, storyboard_state: StoryboardState) -> None:
    storyboard_state.token = "another"
    answer = httpx.get(f"{bot_url}/healthz", timeout=10).json()
    assert answer["trackers"]["storyboard"] == {"configured": True, "reachable": False}


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


def test_asset_search_shows_its_props_in_their_own_section_paged_by_its_key(chat: Chat) -> None:
    """AIP's laptops page by page; Storyboard's 7 laptop sketches under them, 5 at a time."""
    first = chat.send("/tracker asset laptop")
    assert "Showing 1–10" in first.text and "*Storyboard* · 7 assets" in first.text
    assert "Laptop sketch 05" in first.text and "Laptop sketch 06" not in first.text
    more = _button(first, "asset_more")
    assert json.loads(more["value"])["u"]["storyboard"] == 5
    second = chat.click(more)
    assert "Showing 11" in second.text and "*Storyboard* · 7 assets · from 6" in second.text
    assert "Laptop sketch 06" in second.text and "Laptop sketch 07" in second.text
    assert "Laptop sketch 05" not in second.text
    previous = _button(second, "asset_previous")
    assert json.loads(previous["value"]) == {"q": "laptop", "start": 0, "u": {"storyboard": 0}}
    back = chat.click(previous)
    assert "Showing 1–10" in back.text and "Laptop sketch 01" in back.text and "· from" not in back.text
    assert [b["text"]["text"] for b in second.buttons()] == ["Previous"]  # AIP's last page, every sketch shown


def test_one_matching_prop_is_shown_as_its_card(chat: Chat) -> None:
    reply = chat.send("/tracker asset lantern sketch")
    assert "Lantern sketch" in reply.text and "Open in Storyboard" in [b["text"]["text"] for b in reply.buttons()]


@pytest.mark.parametrize("tracker_settings", [{"STORYBOARD_URL": None, "STORYBOARD_TOKEN": None}])
def test_with_no_asset_tracker_set_up_the_sentence_names_it_too(chat: Chat) -> None:
    assert not chat.runtime.trackers.configured()
    reply = chat.send("/tracker asset laptop")
    assert "AIP, Kitsu or Storyboard is not set up for this workspace yet." in reply.text


def _button(reply: Any, action_id: str) -> dict[str, Any]:
    return next(b for b in reply.buttons() if b["action_id"] == action_id)


def test_healthz_probes_the_fifth_tracker(bot_url: str) -> None:
    answer = httpx.get(f"{bot_url}/healthz", timeout=10).json()
    assert answer["trackers"]["storyboard"] == {"configured": True, "reachable": True}


async def test_digests_read_the_fifth_tracker_and_take_it_as_a_scope(runtime: Runtime) -> None:
    everything = await digest_rules.build(runtime)
    late = [item for item in everything.attention if item.project.tracker is TrackerName("storyboard")]
    assert [item.project.name for item in late] == ["Ferry chase boards"]
    assert late[0].reasons[0].startswith("overdue by ")
    only = await digest_rules.build(runtime, "storyboard")
    assert (only.projects_checked, only.issues_read, only.failures) == (3, False, {})
    assert [item.project.name for item in only.attention] == ["Ferry chase boards"]


async def test_the_console_serves_its_demo_when_it_is_not_set_up(
    storyboard: TrackerName, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STORYBOARD_URL")
    monkeypatch.delenv("STORYBOARD_TOKEN")
    output, session = await run_script(offline(tmp_path), tmp_path, "/tracker project lighthouse")
    assert storyboard in session.setup.demos and storyboard not in session.setup.real
    assert "Lighthouse animatic" in output and "Open in Storyboard" in output
    assert isinstance(session.setup.demos[storyboard].state, StoryboardState)
