"""The app manifest creates the app in one paste: it must satisfy Slack's own schema and name
exactly the command, shortcuts and scopes the code uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.services import steps
from bot.views import ids

ROOT = Path(__file__).resolve().parents[2]


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "app-manifest.yml").read_text())


def test_manifest_satisfies_slacks_schema() -> None:
    schema = json.loads((ROOT / "tests/data/slack-manifest.schema.json").read_text())
    jsonschema.validate(manifest(), schema)


def test_manifest_matches_the_code() -> None:
    features = manifest()["features"]
    command = features["slash_commands"][0]
    assert command["command"] == "/tracker" and command["usage_hint"]
    assert {s["callback_id"] for s in features["shortcuts"]} == {
        ids.SHORTCUT_ADD_NOTE,
        ids.SHORTCUT_CREATE_ISSUE,
        ids.SHORTCUT_KITSU_COMMENT,
    }
    assert all(len(s["name"]) <= 24 for s in features["shortcuts"])
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    # external selects (the Kitsu comment form) load their options here
    assert settings["interactivity"]["message_menu_options_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "link_shared",
        "function_executed",  # handlers/steps.py
    ]  # the events handlers/ listens to
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True  # direct messages (link requests) are seen
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "users:read",
        "users:read.email",
        "channels:read",
        "groups:read",
        "im:write",  # conversations.open for the link requests sent to admins
        "links:read",  # link_shared
        "links:write",  # chat.unfurl
    }
    domains = features["unfurl_domains"]  # placeholders the README says to replace
    assert 1 <= len(domains) <= 5 and all("/" not in domain and ":" not in domain for domain in domains)


def test_the_steps_are_the_codes_and_run_on_this_server() -> None:
    functions = manifest()["functions"]
    assert set(functions) == set(steps.STEPS)
    settings = manifest()["settings"]
    assert settings["function_runtime"] == "remote" and settings["org_deploy_enabled"] is True


def test_a_step_acts_only_as_a_user_context_input() -> None:
    """The person is taken from a user context (Slack fills it with whoever ran the workflow);
    no step has any other user input a workflow's builder could set to someone else."""
    acting = {"create_issuetrak_issue", "add_issuetrak_note", "get_issuetrak_issue", "add_kitsu_comment"}
    for callback_id, function in manifest()["functions"].items():
        inputs = function["input_parameters"]
        if callback_id in acting:
            assert inputs[steps.PERSON]["type"] == steps.PERSON_TYPE == "slack#/types/user_context"
            assert inputs[steps.PERSON]["is_required"] is True
        else:
            assert steps.PERSON not in inputs
        others = [n for n, p in inputs.items() if n != steps.PERSON and "user" in p["type"]]
        assert others == [], f"{callback_id}: {others} could name someone else"


def test_procfile_runs_the_web_process() -> None:
    assert (ROOT / "Procfile").read_text().splitlines()[0] == "web: python -m bot"
