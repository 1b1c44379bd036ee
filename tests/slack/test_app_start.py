"""Building the Bolt app logs no "token will be unused" warning on every start: Bolt reads
SLACK_BOT_TOKEN from the environment next to the client trackerbot gives it on purpose."""

from __future__ import annotations

import logging

import pytest
from slack_bolt.logger import messages as bolt_messages

from bot.running.app import create_app
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.store import Store
from bot.trackers.registry import Trackers

TOKEN = "xoxb-test-token-for-the-app"


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
def test_building_the_app_with_the_token_in_the_environment_warns_of_nothing(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, socket_mode: bool
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    settings = load_settings(_env_file=None)
    runtime = Runtime(settings=settings, trackers=Trackers(), store=sqlite_store)
    with caplog.at_level(logging.DEBUG):
        app = create_app(runtime, socket_mode=socket_mode)
    assert app.client.token == TOKEN
    unused = bolt_messages.warning_client_prioritized_and_token_skipped()
    assert unused not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.WARNING]


def test_other_bolt_warnings_still_reach_the_log(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    runtime = Runtime(settings=load_settings(_env_file=None), trackers=Trackers(), store=sqlite_store)
    create_app(runtime)
    with caplog.at_level(logging.WARNING):
        logging.getLogger("slack_bolt.AsyncApp").warning("something else")
        logging.getLogger("slack_bolt.AsyncApp").warning(bolt_messages.warning_client_prioritized_and_token_skipped())
    assert caplog.text.count("something else") == 1
    assert bolt_messages.warning_client_prioritized_and_token_skipped() in caplog.text  # dropped only while building
