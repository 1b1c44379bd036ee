"""A rich-text step input becomes Slack-escaped mrkdwn, then the note's HTML through the one
mrkdwn path: every character of text escaped, formatting kept, unknown elements dropped."""

from __future__ import annotations

from typing import Any

from bot.slack.notes_html import mrkdwn_to_html
from bot.slack.rich_text import is_rich_text, rich_text_to_mrkdwn


def _section(*pieces: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(pieces)}


RICH = {
    "type": "rich_text",
    "elements": [
        _section(
            {"type": "text", "text": "Fix <b>this</b> & that", "style": {"bold": True, "italic": True}},
            {"type": "text", "text": " see "},
            {"type": "link", "url": "https://example.com/a?b=1&c=2", "text": "the log"},
            {"type": "emoji", "name": "fire"},
        ),
        {"type": "rich_text_list", "style": "ordered", "elements": [_section({"type": "text", "text": "one"})]},
        {"type": "rich_text_list", "style": "bullet", "elements": [_section({"type": "text", "text": "dot"})]},
        {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
        {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "x < y"}]},
        {"type": "rich_text_unknown", "elements": [{"type": "text", "text": "dropped"}]},
        "not an element",
    ],
}


def test_rich_text_becomes_escaped_mrkdwn() -> None:
    assert is_rich_text(RICH) and not is_rich_text("text") and not is_rich_text({"type": "rich_text"})
    said = rich_text_to_mrkdwn(RICH)
    assert said.splitlines() == [
        "_*Fix &lt;b&gt;this&lt;/b&gt; &amp; that*_ see <https://example.com/a?b=1&amp;c=2|the log>:fire:",
        "1. one",
        "• dot",
        "> quoted",
        "```x &lt; y```",
    ]
    assert "dropped" not in said


def test_its_html_escapes_every_character_of_text() -> None:
    html = mrkdwn_to_html(rich_text_to_mrkdwn(RICH), resolve_user=lambda _: None, slack_escaped=True)
    assert "<b>this</b>" not in html and "&lt;b&gt;this&lt;/b&gt;" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2"' in html and "<strong>" in html
