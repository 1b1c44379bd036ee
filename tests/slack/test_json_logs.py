"""`LOG_FORMAT=json` through a real conversation: every line one JSON object; the lines of a
command, those its background work logs after the acknowledgement included, carry its request
id and the team and user of its verified body; a request that fails the signature check gets an
id but never the ids its unverified body claims; no secret reaches a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID
from bot.logs import configure
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, Chat


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure("DEBUG", [SIGNING_SECRET, BOT_TOKEN], stream=stream, log_format="json")
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_commands_lines_carry_its_request_team_and_user_ids(chat: Chat, json_logs: io.StringIO) -> None:
    assert "Website relaunch" in chat.send("/tracker project WEB").text
    chat.user = "U0NOBODY"
    chat.send("/tracker project WEB")
    lines = records(json_logs)
    ours = [line for line in lines if "request_id" in line]
    assert len({line["request_id"] for line in ours}) == 2, "one id per request"
    assert {line["team_id"] for line in ours} == {TEAM_ID}
    by_user = {
        user: {line["request_id"] for line in ours if line["user_id"] == user} for user in ("U0ALICE", "U0NOBODY")
    }
    assert all(len(ids) == 1 for ids in by_user.values()) and by_user["U0ALICE"] != by_user["U0NOBODY"]
    # The tracker calls run after the acknowledgement, in the background work the command started.
    calls = [line for line in ours if line["logger"] == "bot.trackers.http_client" and line["user_id"] == "U0ALICE"]
    assert calls and all(line["request_id"] in by_user["U0ALICE"] for line in calls)
    raw = json_logs.getvalue()
    assert SIGNING_SECRET not in raw and BOT_TOKEN not in raw


def test_an_unsigned_request_gets_an_id_but_not_the_ids_its_body_claims(chat: Chat, json_logs: io.StringIO) -> None:
    who = slack_payloads.Who("T0FORGED", "U0FORGED", "mallory", "C0GENERAL", "general", "http://127.0.0.1:9/r")
    body = urlencode(slack_payloads.slash_command(who, "/tracker", "project WEB"))
    assert chat.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64).status_code == 401
    [refused] = [line for line in records(json_logs) if "without a valid Slack signature" in line["message"]]
    assert refused["request_id"] and "team_id" not in refused and "user_id" not in refused
    assert "FORGED" not in json_logs.getvalue()
