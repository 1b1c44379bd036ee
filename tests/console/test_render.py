"""Block Kit as terminal text: what the console shows for the app's real cards and modals."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.console import render
from bot.console.render import RULE, Style
from bot.trackers.models import ProjectStatus, TrackerName
from bot.views import cards, modals


def test_mrkdwn_links_mentions_and_escapes() -> None:
    names = {"U0BOB": "bob"}.get
    text = (
        "See <https://x.example/a?b=1&amp;c=2|R&amp;D plan>, <https://plain.example>, <@U0BOB>, <@U0NOBODY>, "
        "<#C1|general>, <!here> &lt;b&gt; *bold* &amp;lt;"
    )
    assert render.mrkdwn(text, names) == (
        "See R&D plan (https://x.example/a?b=1&c=2), https://plain.example, @bob, @U0NOBODY, #general, @here "
        "<b> *bold* &lt;"
    )


def test_a_project_card_reads_as_lines() -> None:
    project = ProjectStatus(
        tracker=TrackerName.PROJECTRAK,
        id="10001",
        key="WEB",
        name="Website & shop",
        status="In progress",
        percent_complete=40,
        url="https://jira.example/browse/WEB",
    )
    lines = render.block_lines(cards.as_dicts(cards.project_card(project, date(2025, 3, 1))))
    assert lines[0] == "Website & shop"
    assert lines[1] == "› Projectrak · WEB"
    assert "Status: In progress" in lines and "Progress: ▓▓▓▓░░░░░░ 40%" in lines
    assert lines[-1] == "[Refresh] [Watch here] [Open in Projectrak]"


def test_fields_context_dividers_images_and_accessories() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "line one\nline two"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Owner*\nDana &amp; Eli"},
                {"type": "mrkdwn", "text": "no label here"},
            ],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Issuetrak"},
                {"type": "image", "image_url": "https://i", "alt_text": "logo"},
                {"type": "plain_text", "text": "#7"},
            ],
        },
        {"type": "image", "image_url": "https://i/chart.png", "alt_text": "burndown"},
        {
            "type": "actions",
            "elements": [
                {"type": "static_select", "action_id": "s", "placeholder": {"type": "plain_text", "text": "Pick"}}
            ],
        },
    ]
    assert render.block_lines(blocks) == [
        "Title",
        "line one",
        "line two",
        "[Go]",
        "Owner: Dana & Eli",
        "no label here",
        RULE,
        "› Issuetrak · #7",
        "[image: burndown]",
        "[Pick ▾]",
    ]


def test_style_dims_context_and_bolds_headers_on_a_terminal() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "T"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]},
    ]
    assert render.block_lines(blocks, Style(color=True)) == ["\x1b[1mT\x1b[0m", "\x1b[2m› c\x1b[0m"]


def test_buttons_are_found_with_their_block() -> None:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "s1",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Try again"}, "action_id": "r"},
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "More"}, "action_id": "m", "value": "{}"},
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open"},
                    "action_id": "o",
                    "url": "https://o",
                },
            ],
        },
    ]
    found = render.buttons(blocks)
    assert [(render.element_label(b), b["_block_id"]) for b in found] == [
        ("Try again", "s1"),
        ("More", "b1"),
        ("Open", "b1"),
    ]
    assert found[2]["url"] == "https://o"


def test_a_message_without_blocks_shows_its_text() -> None:
    assert render.message_lines("Added note 5 to <https://it/1|#1>.", None) == ["Added note 5 to #1 (https://it/1)."]
    assert render.message_lines("fallback", [{"type": "divider"}]) == [RULE]


def test_the_note_modal_shows_its_title_and_lists_its_inputs() -> None:
    view = modals.note_modal(
        text="printer fixed", issue_number=None, private_allowed=True, private_metadata="m"
    ).to_dict()
    assert render.modal_lines(view) == ["┌ Add Issuetrak note"]
    labels = [render.text_of(block["label"]) for block in render.inputs(view)]
    assert labels == ["Issue number", "Note", "Private"]
