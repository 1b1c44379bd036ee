"""Requests as Slack sends them (form-encoded, signed with slack_sdk's SignatureVerifier), and a
load generator that keeps a fixed number of them in flight and times each acknowledgement.

Bodies and signatures are made before the clock starts: signing is Slack's work, not the bot's.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from benchmarks.process import SIGNING_SECRET
from bot.demo.slack import TEAM_ID
from bot.views.ids import SHORTCUT_CREATE_ISSUE

USER = "U0ALICE"
CHANNEL = "C0GENERAL"


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]
    hook: str  # the response_url hook the stand-in records (also used as the trigger id)


def _signed(form: dict[str, str], hook: str) -> SignedRequest:
    body = urlencode(form)
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None  # None only without a timestamp or a body
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return SignedRequest(body.encode(), headers, hook)


def signed_json(payload: dict[str, Any], hook: str) -> SignedRequest:
    """An Events API delivery as Slack posts it: the JSON body, signed."""
    body = json.dumps(payload)
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return SignedRequest(body.encode(), headers, hook)


def interaction(payload: dict[str, Any], hook: str) -> SignedRequest:
    """A click or a shortcut as Slack posts it: `payload=<JSON>`, form-encoded, signed."""
    return _signed({"payload": json.dumps(payload)}, hook)


def command(text: str, hook: str, response_base: str) -> SignedRequest:
    """`/tracker <text>`; the answer's response_url is `<response_base>/<hook>`."""
    return _signed(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "demo",
            "channel_id": CHANNEL,
            "channel_name": "general",
            "user_id": USER,
            "user_name": "alice",
            "command": "/tracker",
            "text": text,
            "api_app_id": "A0TRACKER",
            "trigger_id": hook,
            "response_url": f"{response_base}/{hook}",
        },
        hook,
    )


def create_issue_shortcut(hook: str, response_base: str) -> SignedRequest:
    """The "Create Issuetrak issue" message shortcut (it fetches Issuetrak's lookups after the ack)."""
    ts = "1700000000.000100"
    payload = {
        "type": "message_action",
        "callback_id": SHORTCUT_CREATE_ISSUE,
        "trigger_id": hook,
        "team": {"id": TEAM_ID, "domain": "demo"},
        "user": {"id": USER, "team_id": TEAM_ID},
        "api_app_id": "A0TRACKER",
        "token": "legacy",
        "message_ts": ts,
        "message": {"type": "message", "text": "The printer on floor 2 jams again", "ts": ts, "user": USER},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": f"{response_base}/{hook}",
    }
    return interaction(payload, hook)


@dataclass(frozen=True)
class Sent:
    request: SignedRequest
    started: float  # time.monotonic() when the request was handed to the client
    seconds: float  # until the acknowledgement was read
    status: int


async def send_all(url: str, requests: list[SignedRequest], in_flight: int) -> list[Sent]:
    """Send every request with at most `in_flight` outstanding; fail on any non-200 answer.

    aiohttp, not httpx: httpx's pool costs the load generator ~14 ms of CPU per request at 50
    connections on this machine, which would be measured as the bot's latency.
    """
    queue = list(reversed(requests))
    done: list[Sent] = []
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def worker() -> None:
            while queue:
                request = queue.pop()
                started = time.monotonic()
                async with session.post(url, data=request.body, headers=request.headers) as response:
                    await response.read()
                done.append(Sent(request, started, time.monotonic() - started, response.status))

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    refused = [s.status for s in done if s.status != 200]
    if refused:
        raise RuntimeError(f"trackerbot answered {len(refused)} requests with {sorted(set(refused))}")
    return done
