"""A Workflow Builder step, measured on `python -m bot`: from the signed `function_executed`
event to `functions.completeSuccess` at the Slack stand-in, for `get_issuetrak_issue` (one
Issuetrak read once the bot is warm), with every tracker answering after 100 ms. The target is
the step's own cost: its time less one bare round trip to the same server, under 30 ms.

Both clocks are `time.monotonic` (the system's monotonic clock, shared by the processes), so the
stand-in's record of the completion is compared with the moment the event was sent."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from slack_sdk.signature import SignatureVerifier

from benchmarks.process import SIGNING_SECRET, running_bot
from benchmarks.report import Row, Spread, ms
from benchmarks.servers import Servers
from benchmarks.slack_load import USER
from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID

LATENCY_SECONDS = 0.100
SAMPLES = 15
TARGET_SECONDS = 0.030
WAIT_SECONDS = 10.0
_executions = itertools.count(1)
PARAMETERS = [{"name": "issue_number", "type": "integer"}, {"name": "person", "type": "slack#/types/user_context"}]


@dataclass(frozen=True)
class StepRun:
    round_trip: float  # median bare round trip to Issuetrak, seconds
    steps: list[float]  # seconds from the event to completeSuccess


def _event(execution: str) -> tuple[bytes, dict[str, str]]:
    who = slack_payloads.Who(TEAM_ID, USER, "alice", "C0GENERAL", "general", "")
    inputs = {"issue_number": 1001, "person": slack_payloads.user_context(USER)}
    body = json.dumps(
        slack_payloads.function_executed(
            who, "get_issuetrak_issue", inputs, parameters=PARAMETERS, execution_id=execution
        )
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


def _one_step(http: httpx.Client, servers: Servers, events_url: str) -> float:
    execution = f"Fx0BENCH{next(_executions):06d}"
    since = servers.counters()["slack_calls"]
    body, headers = _event(execution)
    sent = time.monotonic()
    http.post(events_url, content=body, headers=headers).raise_for_status()
    deadline = sent + WAIT_SECONDS
    while time.monotonic() < deadline:
        done = [c for c in servers.slack_calls("functions.completeSuccess", since) if c["execution"] == execution]
        if done:
            return float(done[0]["at"]) - sent
        time.sleep(0.002)
    raise AssertionError(f"the step {execution} did not complete in {WAIT_SECONDS} s")


def measure(servers: Servers, *, samples: int = SAMPLES) -> StepRun:
    with running_bot(servers) as bot, httpx.Client(timeout=30) as http:
        servers.set_latency(0.0)
        for _ in range(2):  # warm: Bolt's auth.test, the person, Issuetrak's users and lookups
            _one_step(http, servers, bot.events_url)
        servers.set_latency(LATENCY_SECONDS)
        try:
            trips = []
            for _ in range(samples):
                started = time.monotonic()
                http.get(servers.urls["issuetrak"] + "/issues/false/1001")
                trips.append(time.monotonic() - started)
            steps = [_one_step(http, servers, bot.events_url) for _ in range(samples)]
        finally:
            servers.set_latency(0.0)
    return StepRun(statistics.median(trips), steps)


def rows(runs: Sequence[StepRun]) -> list[Row]:
    overheads = [statistics.median(r.steps) - r.round_trip for r in runs]
    spread = Spread.of(overheads)
    return [
        Row(
            f"Workflow step get_issuetrak_issue, event to completeSuccess, tracker at {LATENCY_SECONDS * 1000:.0f} ms "
            "(less one bare round trip)",
            spread.show(ms),
            f"< {ms(TARGET_SECONDS)}",
            f"step {ms(statistics.median(runs[0].steps))}, round trip {ms(runs[0].round_trip)}",
            spread.high < TARGET_SECONDS,
        )
    ]
