"""Talk to the real Bolt app over HTTP the way Slack does, and read what it sent back.

`Chat` signs each request with the app's signing secret (slack_sdk's SignatureVerifier), posts
it to `POST /slack/events` on a loopback uvicorn, then waits for the work the listeners started
and exposes what the Slack stand-in recorded, so tests read like conversations:

    reply = chat.send("/tracker issue 1")
    assert "Printer on floor 2" in reply.text
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID, Call, SlackState
from bot.runtime import Runtime

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-0000000000-secrettoken"


def blocks_text(blocks: list[dict[str, Any]] | None) -> str:
    """Every piece of text in a list of Block Kit dicts, one per line (for assertions)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for key, value in node.items():
                if key != "text" or not isinstance(value, str):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(found)


@dataclass
class Reply:
    """What the bot said after one request: the acknowledgement and the calls that followed."""

    status: int
    ack: dict[str, Any]
    calls: list[Call]

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    @property
    def text(self) -> str:
        parts = [self.ack.get("text", ""), blocks_text(self.ack.get("blocks"))]
        for call in self.calls:
            if call.method in ("response_url", "chat.postMessage", "chat.postEphemeral"):
                parts += [str(call.args.get("text", "")), blocks_text(call.args.get("blocks"))]
        return "\n".join(p for p in parts if p)

    def buttons(self) -> list[dict[str, Any]]:
        found = []
        for call in self.calls:
            for block in call.args.get("blocks") or []:
                if block.get("type") == "actions":
                    found.extend(block.get("elements", []))
        return found


@dataclass
class Chat:
    events_url: str
    slack: SlackState
    runtime: Runtime
    response_base: str
    user: str = "U0ALICE"
    channel: str = "C0GENERAL"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    # --- sending -------------------------------------------------------------------------------
    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body) or ""
        return self.http.post(
            self.events_url,
            content=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )

    def _exchange(self, body: str, content_type: str, **kwargs: Any) -> Reply:
        before = len(self.slack.calls)
        response = self.post(body, content_type, **kwargs)
        self.settle()
        try:
            ack = response.json() if response.content else {}
        except ValueError:
            ack = {"text": response.text}
        return Reply(response.status_code, ack if isinstance(ack, dict) else {}, self.slack.calls[before:])

    def who(self, hook: str) -> slack_payloads.Who:
        """The person typing, where, and a fresh `response_url` named after the request (`hook`)."""
        return slack_payloads.Who(
            TEAM_ID, self.user, "someone", self.channel, "general", f"{self.response_base}/{hook}{next(self._ids)}"
        )

    def send(self, command_line: str, **kwargs: Any) -> Reply:
        """A slash command, as Slack posts it (form-encoded)."""
        command, _, text = command_line.partition(" ")
        form = slack_payloads.slash_command(self.who("cmd"), command, text, trigger_id=self.trigger())
        return self._exchange(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def interact(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        """An interactivity payload (shortcut, view submission, button), form-encoded as Slack does;
        a hand-made one gets the team, user, app and token Slack would add."""
        payload.setdefault("team", {"id": TEAM_ID, "domain": slack_payloads.TEAM_DOMAIN})
        payload.setdefault("user", {"id": self.user, "team_id": TEAM_ID})
        payload.setdefault("api_app_id", slack_payloads.API_APP_ID)
        payload.setdefault("token", slack_payloads.VERIFICATION_TOKEN)
        return self._deliver(payload, **kwargs)

    def _deliver(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        return self._exchange(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kwargs
        )

    def shortcut(self, callback_id: str, text: str, *, ts: str | None = None) -> Reply:
        ts = ts or f"1700000000.{next(self._ids):06d}"
        message = {"type": "message", "text": text, "ts": ts, "user": self.user}
        return self._deliver(
            slack_payloads.message_shortcut(self.who("sc"), callback_id, message, trigger_id=self.trigger())
        )

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], **kwargs: Any) -> Reply:
        """Submit `view` (as opened by the app) with input values {block_id: {action_id: value}}."""
        return self._deliver(
            slack_payloads.view_submission(self.who("sub"), view, values, trigger_id=self.trigger()), **kwargs
        )

    def click(self, button: dict[str, Any], **kwargs: Any) -> Reply:
        """A click on `button` (an element of a message the app posted, as `Reply.buttons()` gives it)."""
        return self._deliver(slack_payloads.block_action(self.who("act"), button, trigger_id=self.trigger()), **kwargs)

    def trigger(self) -> str:
        return f"trigger-{next(self._ids)}"

    # --- waiting -------------------------------------------------------------------------------
    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the background work the listeners started has finished."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.runtime.tasks:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.05:
                return
            time.sleep(0.01)
        raise AssertionError("the bot's background work did not finish in time")


def text_values(**by_block: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """Plain-text input values for `submit`: text_values(note_issue=("issue_number", "12"))."""
    return {
        block: {action: {"type": "plain_text_input", "value": value}} for block, (action, value) in by_block.items()
    }
