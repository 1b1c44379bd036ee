"""The whole bot on loopback: the real Bolt app behind uvicorn, the four trackers' contract
servers, a Slack Web API stand-in, and a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from bot.demo.kitsu import DEMO_EMAIL, DEMO_PASSWORD
from bot.demo.loopback import serve_in_thread
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.slack_app import create_app
from bot.slack_standin import SlackState
from bot.slack_standin import create_app as create_slack_standin
from bot.store import Store
from bot.trackers.core import HttpOptions
from bot.trackers.registry import build_trackers
from bot.web import create_web_app
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, Chat

FAST = HttpOptions(wait_initial=0.01, wait_max=0.05, read_timeout=5.0)


@pytest.fixture
def slack_state() -> SlackState:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    state.add_user("U0NOBODY", "Nora Body", "nora@elsewhere.example")
    return state


@pytest.fixture
def slack_url(slack_state: SlackState) -> Iterator[str]:
    with serve_in_thread(create_slack_standin(slack_state)) as url:
        yield url


@pytest.fixture
def tracker_settings(issuetrak_server, projectrak_server, aip_server, kitsu_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every tracker pointed at its contract server."""
    return {
        "ISSUETRAK_URL": issuetrak_server.url,
        "ISSUETRAK_API_KEY": issuetrak_server.state.api_key,
        "PROJECTRAK_URL": projectrak_server.url,
        "PROJECTRAK_API_KEY_ID": projectrak_server.state.key_id,
        "PROJECTRAK_API_KEY": projectrak_server.state.api_key,
        "AIP_URL": aip_server.url,
        "AIP_TOKEN": aip_server.state.token,
        "KITSU_URL": kitsu_server.url,
        "KITSU_EMAIL": DEMO_EMAIL,
        "KITSU_PASSWORD": DEMO_PASSWORD,
    }


@pytest.fixture
def clock() -> list[datetime]:
    """The bot's clock: tests may move `clock[0]`."""
    return [datetime.now(timezone.utc)]


@pytest.fixture
def runtime(tracker_settings: dict[str, str], slack_url: str, tmp_path, clock) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=f"{slack_url}/api/",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", **tracker_settings,
    )
    yield Runtime(settings=settings, trackers=build_trackers(settings, options=FAST),
                  store=Store(settings.DATABASE_URL), clock=lambda: clock[0])


@pytest.fixture
def bot_url(runtime: Runtime) -> Iterator[str]:
    web = create_web_app(runtime, create_app(runtime))
    with serve_in_thread(web) as url:
        yield url


@pytest.fixture
def chat(bot_url: str, slack_state: SlackState, slack_url: str, runtime: Runtime) -> Chat:
    return Chat(events_url=f"{bot_url}/slack/events", slack=slack_state, runtime=runtime,
                response_base=f"{slack_url}/response")
