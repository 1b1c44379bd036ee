"""One builder of Slack payloads (bot.demo.slack_payloads) for the tests' `Chat` and the console:
what `Chat` signs and posts has every field the console sends for the same gesture, and the app
answers each of them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.demo import slack_payloads
from bot.views import ids
from tests.slack.harness import Chat, text_values

CONSOLE = slack_payloads.Who("T0", "U0", "someone", "C0", "general", "http://127.0.0.1:9/hook")


def _posted(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `chat` posts from now on, decoded: a slash command's form, or an interaction's payload."""
    bodies: list[dict[str, Any]] = []
    post = chat.post

    def spy(body: str, content_type: str, **kwargs: Any) -> Any:
        form = dict(parse_qsl(body))
        bodies.append(json.loads(form["payload"]) if "payload" in form else form)
        return post(body, content_type, **kwargs)

    monkeypatch.setattr(chat, "post", spy)
    return bodies


def test_chat_sends_what_the_console_sends(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    posted = _posted(chat, monkeypatch)
    card = chat.send("/tracker project 1")
    refresh = next(b for b in card.buttons() if b["action_id"] == "project_refresh")
    assert chat.click(refresh).status == 200
    opened = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "Printer fixed", ts="1700000000.000100")
    view = opened.of("views.open")[-1]["view"]
    submitted = chat.submit(view, text_values(note_issue=("issue_number", "1001"), note_text=("text", "Printer fixed")))
    assert submitted.status == 200

    message = {"type": "message", "text": "Printer fixed", "ts": "1700000000.000100"}
    console = [
        slack_payloads.slash_command(CONSOLE, "/tracker", "project 1"),
        slack_payloads.block_action(CONSOLE, refresh),
        slack_payloads.message_shortcut(CONSOLE, ids.SHORTCUT_ADD_NOTE, message),
        slack_payloads.view_submission(CONSOLE, view, {}),
    ]
    assert [sorted(body) for body in posted] == [sorted(body) for body in console]
    assert sorted(posted[1]["actions"][0]) == sorted(console[1]["actions"][0])
    assert sorted(posted[3]["view"]) == sorted(console[3]["view"])
