"""`GET /metrics`: after a conversation (every Slack surface, tracker calls and errors, token
mints, a write saved for later, digests posted and refused), every series shows, with values that
follow what happened; counts only (no ids, names or text in any label); behind HEALTHZ_TOKEN when
it is set. The metrics are the process's, shared by every test, so each test reads what changed."""

from __future__ import annotations

import asyncio
import json
import math
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot import metrics
from bot.demo import slack_payloads
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import run_round
from bot.running.app import create_app, web_client
from bot.running.web import create_web_app, surface
from bot.runtime import Runtime
from bot.store import Store
from bot.trackers.registry import build_trackers
from bot.views import ids
from tests.fixtures.store import sqlite_locked
from tests.slack.harness import Chat, text_values

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]
HEALTHZ_TOKEN = "metrics-t0ken-0123456789"
EVERY_SERIES = (
    "trackerbot_ack_seconds",
    "trackerbot_tracker_call_seconds",
    "trackerbot_tracker_errors_total",
    "trackerbot_token_mints_total",
    "trackerbot_outbox_depth",
    "trackerbot_outbox_oldest_waiting_seconds",
    "trackerbot_digests_posted_total",
    "trackerbot_digests_failed_total",
    "trackerbot_watch_rounds_total",
    "trackerbot_watch_round_seconds",
)


def parse(text: str) -> Series:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str, **headers: str) -> Series:
    answer = httpx.get(f"{url}/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return parse(answer.text)


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def grew(before: Series, after: Series, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def _home_opened(chat: Chat) -> None:
    body = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0TRACKER",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1700000000,
        "event": {"type": "app_home_opened", "user": chat.user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"},
    }
    assert chat._exchange(json.dumps(body), "application/json").status == 200


async def _one_watch_round(runtime: Runtime) -> None:
    rt = Runtime(
        settings=runtime.settings,
        trackers=build_trackers(runtime.settings),
        store=Store(runtime.settings.DATABASE_URL),
        clock=runtime.clock,
    )
    try:
        await run_round(rt, web_client(rt), pacer=Pacer(0))
    finally:
        await rt.aclose()
        await rt.store.aclose()


def test_after_a_conversation_metrics_shows_every_series(chat: Chat, bot_url: str, issuetrak_server, clock) -> None:
    before = scrape(bot_url)

    # Every surface: a command, a shortcut, a modal submitted, a button, a select's options, an event
    card = chat.send("/tracker project WEB")
    assert "Website relaunch" in card.text
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "printer fixed", ts="1700000000.000300")
    view = opened.of("views.open")[-1]["view"]
    submitted = chat.submit(view, text_values(note_issue=("issue_number", "1001"), note_text=("text", "fixed")))
    assert "Added note" in submitted.text
    refresh = next(b for b in card.buttons() if b["action_id"] == ids.PROJECT_REFRESH)
    assert "Website relaunch" in chat.click(refresh).text
    chat.interact({"type": "block_suggestion", "action_id": "anything", "block_id": "b", "value": "we"})
    _home_opened(chat)

    # A tracker error, and a write saved for later while Issuetrak fails
    assert "does not exist" in chat.send("/tracker issue 99999").text
    issuetrak_server.state.faults.fail_next.extend([503] * 20)
    assert "I saved your note" in chat.send("/tracker note 1001 later, please").text
    issuetrak_server.state.faults.fail_next.clear()
    # Digests: one posted, one refused by a channel the bot is not in
    assert "Posted the digest" in chat.send("/tracker digest now").text
    chat.slack.closed_channels.add("C0CLOSED")
    chat.channel = "C0CLOSED"
    assert "/invite @trackerbot" in chat.send("/tracker digest now").text
    chat.channel = "C0GENERAL"
    assert "will hear of changes to Issuetrak issue #1001" in chat.send("/tracker watch issue 1001").text
    asyncio.run(_one_watch_round(chat.runtime))  # the watch poller's round, as the web process runs it

    clock[0] += timedelta(seconds=90)  # the saved write has waited a minute and a half
    after = scrape(bot_url)
    names = {name for name, _ in after}
    for series in EVERY_SERIES:
        assert any(name.startswith(series) for name in names), series

    for each in ("command", "shortcut", "view_submission", "action", "options", "event"):
        assert grew(before, after, "trackerbot_ack_seconds_count", surface=each) >= 1, each
    assert grew(before, after, "trackerbot_ack_seconds_count", surface="command") == 6
    assert grew(before, after, "trackerbot_ack_seconds_sum", surface="command") < 6 * 3.0  # each within Slack's 3 s
    for tracker in ("issuetrak", "projectrak", "kitsu"):
        assert grew(before, after, "trackerbot_tracker_call_seconds_count", tracker=tracker) >= 1, tracker
    assert grew(before, after, "trackerbot_tracker_errors_total", tracker="issuetrak", kind="NotFound") >= 1
    assert grew(before, after, "trackerbot_tracker_errors_total", tracker="issuetrak", kind="Unavailable") >= 1
    assert grew(before, after, "trackerbot_token_mints_total", tracker="projectrak") >= 1
    assert value(after, "trackerbot_outbox_depth") == 1
    assert 90 <= value(after, "trackerbot_outbox_oldest_waiting_seconds") < 120
    assert grew(before, after, "trackerbot_digests_posted_total", trigger="now") == 1
    assert grew(before, after, "trackerbot_digests_failed_total", trigger="now") == 1
    assert grew(before, after, "trackerbot_watch_rounds_total") == 1
    assert grew(before, after, "trackerbot_watch_round_seconds_count") == 1


def test_no_label_carries_an_id_a_name_or_text(chat: Chat, bot_url: str) -> None:
    chat.send("/tracker project WEB")
    chat.send("/tracker issue 99999")
    chat.send("/tracker note 1001 Alice Martin's secret-ish words")
    exposed = parse(httpx.get(f"{bot_url}/metrics", timeout=10).text)
    values = {text for (name, labels) in exposed if name.startswith("trackerbot_") for _, text in labels}
    allowed = re.compile(r"^[a-z_]+$|^[A-Z][A-Za-z]+$|^[0-9.]+$|^\+Inf$")  # surfaces, trackers, error classes, le
    assert values and all(allowed.match(text) for text in values), values
    for personal in ("U0ALICE", "C0GENERAL", TEAM_ID, "alice", "Alice", "secret-ish", "1001", "99999"):
        assert not any(personal in text for text in values), personal


def test_without_healthz_token_metrics_are_open_and_a_stray_header_is_refused(bot_url: str) -> None:
    assert "trackerbot_outbox_depth" in httpx.get(f"{bot_url}/metrics", timeout=10).text
    refused = httpx.get(f"{bot_url}/metrics", headers={"Authorization": "Bearer anything"}, timeout=10)
    assert refused.status_code == 401 and "trackerbot_" not in refused.text


def test_with_healthz_token_metrics_need_it(bot_url: str, runtime) -> None:
    runtime.settings.HEALTHZ_TOKEN = SecretStr(HEALTHZ_TOKEN)
    stranger = httpx.get(f"{bot_url}/metrics", timeout=10)
    assert stranger.status_code == 401 and stranger.headers["www-authenticate"] == "Bearer"
    assert "trackerbot_" not in stranger.text
    assert ("trackerbot_outbox_depth", frozenset()) in scrape(bot_url, Authorization=f"Bearer {HEALTHZ_TOKEN}")


def test_an_empty_outbox_has_waited_zero_seconds_not_nan(bot_url: str) -> None:
    metrics.set_outbox(None, None)  # what an earlier scrape could not read
    series = scrape(bot_url)
    assert value(series, "trackerbot_outbox_depth") == 0
    assert value(series, "trackerbot_outbox_oldest_waiting_seconds") == 0  # README: 0 when none waits


def test_an_outbox_the_store_cannot_read_shows_as_unknown_not_stale(runtime, tmp_path, monkeypatch) -> None:
    from bot.running import health

    monkeypatch.setattr(health, "DATABASE_TIMEOUT_SECONDS", 0.2)
    metrics.set_outbox(3, 60.0)  # what an earlier scrape read
    with (
        serve_in_thread(create_web_app(runtime, create_app(runtime))) as url,
        sqlite_locked(tmp_path / "bot.db"),  # another process holds the database's write lock
    ):
        series = scrape(url)
    assert math.isnan(value(series, "trackerbot_outbox_depth")), "unknown, not the last number read"
    assert math.isnan(value(series, "trackerbot_outbox_oldest_waiting_seconds"))
    assert ("trackerbot_watch_rounds_total", frozenset()) in series, "the other series still show"


def test_a_request_refused_before_bolt_is_not_an_acknowledgement(chat: Chat, bot_url: str) -> None:
    before = scrape(bot_url)
    form = slack_payloads.slash_command(chat.who("cmd"), "/tracker", "project WEB")
    assert (
        chat.post(urlencode(form), "application/x-www-form-urlencoded", signature="v0=" + "0" * 64).status_code == 401
    )
    after = scrape(bot_url)
    assert all(
        value(after, name, **dict(labels)) == value(before, name, **dict(labels))
        for name, labels in after
        if name.startswith("trackerbot_ack_seconds")
    ), "only signed requests that reached Bolt are timed, and labelled from what Bolt parsed"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"command": "/tracker", "text": "help"}, "command"),
        ({"type": "message_action", "callback_id": "x"}, "shortcut"),
        ({"type": "block_actions", "actions": []}, "action"),
        ({"type": "view_submission", "view": {"callback_id": "x"}}, "view_submission"),
        ({"type": "block_suggestion", "action_id": "x"}, "options"),
        ({"type": "event_callback", "event": {"type": "app_home_opened"}}, "event"),
        ({"type": "view_closed", "view": {"callback_id": "x"}}, "other"),
        ({"type": "view_submission", "view": 5}, "other"),
        ({"type": "block_actions"}, "other"),
        ({}, "other"),
    ],
)
def test_the_surface_label_is_one_of_a_fixed_few_whatever_the_body(body: dict[str, Any], expected: str) -> None:
    assert surface(body) == expected
