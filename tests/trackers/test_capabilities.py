"""Tracker keys, capabilities and the registry: each client implements what the table in
bot/trackers/capabilities.py says, the registry hands clients out by capability in the order of
the keys, and the set of keys is open but guarded."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from bot.demo.loopback import serve_in_thread
from bot.settings import load_settings, setting_names
from bot.trackers import registry
from bot.trackers.capabilities import (
    AssetSource,
    CredentialWatch,
    IssueSource,
    LinkSource,
    Probe,
    ProjectSource,
    TaskSource,
)
from bot.trackers.models import ProjectStatus, TrackerName
from bot.trackers.registry import Trackers, build_trackers
from tests.trackers.fifth import fifth_tracker
from tests.trackers.fifth_demo import StoryboardState, create_app

I, P, A, K = TrackerName.ISSUETRAK, TrackerName.PROJECTRAK, TrackerName.AIP, TrackerName.KITSU  # noqa: E741 - one letter a tracker keeps the tables below readable


@pytest.fixture
async def trackers(tracker_settings: dict[str, str]) -> AsyncIterator[Trackers]:
    built = build_trackers(load_settings(_env_file=None, **tracker_settings))
    yield built
    await built.aclose()


def test_each_client_has_the_capabilities_of_the_table(trackers: Trackers) -> None:
    clients = trackers.configured()
    table: dict[type[object], set[str]] = {
        Probe: {I, P, A, K},
        ProjectSource: {I, P, K},
        IssueSource: {I},
        TaskSource: {K},
        AssetSource: {A, K},
        CredentialWatch: {A},
        LinkSource: {I, P, K},
    }
    for capability, names in table.items():
        assert {name for name, client in clients.items() if isinstance(client, capability)} == names, capability
        assert set(registry.able_to(capability)) == names, capability  # read on the classes, none built


def test_the_registry_hands_out_clients_by_capability_in_key_order(trackers: Trackers) -> None:
    assert list(trackers.configured()) == [I, P, A, K]
    assert [source.tracker for source in trackers.project_sources()] == [I, P, K]
    assert [source.tracker for source in trackers.asset_sources()] == [A, K]
    assert list(trackers.probes()) == [I, P, A, K]
    assert trackers.issuetrak is trackers.require_issuetrak() is trackers.configured()[I]


def test_clients_given_in_any_order_come_out_in_key_order(trackers: Trackers) -> None:
    clients = list(trackers.configured().values())
    assert list(Trackers(reversed(clients)).configured()) == [I, P, A, K]
    with pytest.raises(ValueError, match="one client per tracker"):
        Trackers([clients[0], clients[0]])


async def test_only_the_entries_the_settings_turn_on_are_built(issuetrak_server) -> None:
    settings = load_settings(
        _env_file=None, ISSUETRAK_URL=issuetrak_server.url, ISSUETRAK_API_KEY=issuetrak_server.state.api_key
    )
    built = build_trackers(settings)
    assert list(built.configured()) == [I]
    await built.aclose()


def test_tracker_keys_behave_as_the_enum_they_replace() -> None:
    assert list(TrackerName) == [I, P, A, K]
    by_key: dict[str, int] = {K: 1}
    assert TrackerName("kitsu") is K and K == "kitsu" and by_key["kitsu"] == 1
    assert (K.value, K.name, K.label, str(K), f"{K}") == ("kitsu", "KITSU", "Kitsu", "kitsu", "kitsu")
    assert pickle.loads(pickle.dumps(K)) is K
    with pytest.raises(ValueError, match="not a known tracker"):
        TrackerName("jira")
    project = ProjectStatus.model_validate({"tracker": "aip", "id": "1", "name": "x"})
    assert project.tracker is A and project.model_copy(deep=True).tracker is A
    assert project.model_dump(mode="json")["tracker"] == "aip"
    with pytest.raises(ValidationError):
        ProjectStatus.model_validate({"tracker": "jira", "id": "1", "name": "x"})


def test_new_keys_are_guarded() -> None:
    for bad in ("Jira", "", "two words", "kitsu"):
        with pytest.raises(ValueError, match=r"a tracker key is|already a tracker"):
            TrackerName.register(bad, "Label")
    with pytest.raises(ValueError, match="built in"):
        TrackerName.unregister(K)


async def test_a_registered_tracker_joins_and_leaves(tracker_settings: dict[str, str]) -> None:
    state = StoryboardState()
    with fifth_tracker() as storyboard, serve_in_thread(create_app(state)) as url:
        assert list(TrackerName)[-1] is storyboard
        settings = load_settings(_env_file=None, STORYBOARD_URL=url, STORYBOARD_TOKEN=state.token, **tracker_settings)
        built = build_trackers(settings)
        assert [source.tracker for source in built.project_sources()] == [I, P, K, storyboard]
        assert [source.tracker for source in built.asset_sources()] == [A, K, storyboard]
        assert registry.able_to(AssetSource) == [A, K, storyboard]
        assert await built.configured()[storyboard].ping() == "4 boards"  # type: ignore[attr-defined]
        await built.aclose()
        assert not build_trackers(load_settings(_env_file=None)).configured()  # off without its settings
        with pytest.raises(ValueError, match="already registered"):
            registry.register(registry.ENTRIES[-1])
    assert list(TrackerName) == [I, P, A, K]
    assert [entry.tracker for entry in registry.ENTRIES] == [I, P, A, K]
    assert "STORYBOARD_URL" not in setting_names()  # its settings left with it
    with pytest.raises(ValueError, match="not a known tracker"):
        TrackerName("storyboard")
