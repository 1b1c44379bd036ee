"""Slack's 429 with Retry-After is respected: the Web API client waits and tries again."""

from __future__ import annotations

from bot.views import ids
from tests.slack.harness import Chat, text_values


def test_a_rate_limited_thread_answer_is_sent_after_retry_after(chat: Chat) -> None:
    view = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "toner replaced").of("views.open")[-1]["view"]
    chat.slack.rate_limits["chat.postMessage"] = 1
    reply = chat.submit(view, text_values(note_issue=("issue_number", "1003"), note_text=("text", "toner replaced")))
    limited = [c for c in reply.calls if c.method == "chat.postMessage:429"]
    sent = [c for c in reply.calls if c.method == "chat.postMessage"]
    assert len(limited) == 1 and len(sent) == 1
    assert sent[0].at - limited[0].at >= 0.9  # waited for Retry-After: 1
    assert "Added note" in sent[0].args["text"]
