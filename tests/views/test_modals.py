"""Modals: their inputs (labels, ids, prefills, limits), and reading back what Slack sends
in `view.state.values` when a person submits them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.trackers.models import Lookup
from bot.views import ids
from bot.views.modals import (
    IssueForm,
    NoteForm,
    issue_modal,
    loading_modal,
    note_modal,
    parse_issue_submission,
    parse_note_submission,
    result_modal,
    subject_from,
)
from tests.views import assert_safe_mrkdwn, assert_within_limits, mrkdwn_texts

TYPES = [Lookup(id=3, name="Hardware"), Lookup(id=4, name="Software"), Lookup(id=9, name="Access request")]
PRIORITIES = [Lookup(id=1, name="Low"), Lookup(id=2, name="Normal"), Lookup(id=5, name="Urgent")]


def modal(view) -> dict[str, Any]:
    payload = view.to_dict()
    assert payload["type"] == "modal" and 1 <= len(payload["title"]["text"]) <= 24
    assert_within_limits(payload["blocks"], max_blocks=100)
    for text in mrkdwn_texts(payload):
        assert_safe_mrkdwn(text)
    return payload


def inputs(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Input blocks by label."""
    return {block["label"]["text"]: block for block in payload["blocks"] if block["type"] == "input"}


def submitted(payload: dict[str, Any], **typed: Any) -> dict[str, Any]:
    """`view.state.values` as Slack sends it when the person submits the modal unchanged,
    except for `typed` (action_id -> value, selected option value, or checked option values)."""
    values: dict[str, Any] = {}
    for block in payload["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        action_id = element["action_id"]
        if element["type"] == "plain_text_input":
            state = {"type": element["type"], "value": typed.get(action_id, element.get("initial_value"))}
        elif element["type"] == "static_select":
            chosen = typed.get(action_id, element["initial_option"]["value"])
            state = {
                "type": element["type"],
                "selected_option": next(o for o in element["options"] if o["value"] == chosen),
            }
        else:
            checked = typed.get(action_id, [])
            state = {
                "type": element["type"],
                "selected_options": [o for o in element["options"] if o["value"] in checked],
            }
        values[block["block_id"]] = {action_id: state}
    return values


# --- note modal ------------------------------------------------------------------------------


def test_note_modal_inputs() -> None:
    payload = modal(
        note_modal(text="Printer jams again", issue_number=123, private_allowed=True, private_metadata="m1")
    )
    assert payload["callback_id"] == ids.NOTE_MODAL and payload["private_metadata"] == "m1"
    assert payload["title"]["text"] == "Add Issuetrak note" and payload["submit"]["text"] == "Add note"
    fields = inputs(payload)
    assert list(fields) == ["Issue number", "Note", "Private"]
    assert (fields["Issue number"]["block_id"], fields["Issue number"]["element"]["action_id"]) == ids.NOTE_ISSUE
    assert fields["Issue number"]["element"]["initial_value"] == "123"
    note = fields["Note"]["element"]
    assert (fields["Note"]["block_id"], note["action_id"]) == ids.NOTE_TEXT
    assert note["multiline"] is True and note["initial_value"] == "Printer jams again" and note["max_length"] == 3000
    assert fields["Private"]["optional"] is True and fields["Private"]["element"]["type"] == "checkboxes"


def test_note_modal_without_private_or_number() -> None:
    payload = modal(note_modal(text="", issue_number=None, private_allowed=False, private_metadata="m"))
    fields = inputs(payload)
    assert list(fields) == ["Issue number", "Note"]
    assert "initial_value" not in fields["Issue number"]["element"] and "initial_value" not in fields["Note"]["element"]


def test_note_modal_cuts_a_long_message_to_the_input_limit() -> None:
    payload = modal(note_modal(text="word " * 8000, issue_number=1, private_allowed=True, private_metadata="m"))
    prefill = inputs(payload)["Note"]["element"]["initial_value"]
    assert len(prefill) <= 3000 and prefill.endswith("…")


def test_note_submission_round_trip() -> None:
    payload = modal(note_modal(text="  Printer jams  ", issue_number=None, private_allowed=True, private_metadata="m"))
    form = parse_note_submission(submitted(payload, issue_number=" #123 ", private=["private"]))
    assert form == NoteForm(issue_number=123, text="Printer jams", private=True)
    form = parse_note_submission(submitted(payload, issue_number="12a"))
    assert form.issue_number is None and form.private is False


def test_note_submission_tolerates_missing_blocks() -> None:
    assert parse_note_submission({}) == NoteForm(issue_number=None, text="", private=False)
    empty_value = {ids.NOTE_TEXT[0]: {ids.NOTE_TEXT[1]: {"type": "plain_text_input", "value": None}}}
    assert parse_note_submission(empty_value).text == ""


# --- issue modal -----------------------------------------------------------------------------


def test_issue_modal_inputs() -> None:
    view = issue_modal(
        subject="Printer jams",
        description="It jams\nevery morning",
        types=TYPES,
        priorities=PRIORITIES,
        private_metadata="m2",
    )
    payload = modal(view)
    assert payload["callback_id"] == ids.ISSUE_MODAL and payload["submit"]["text"] == "Create issue"
    fields = inputs(payload)
    assert list(fields) == ["Subject", "Description", "Type", "Priority"]
    assert fields["Subject"]["element"]["initial_value"] == "Printer jams"
    assert fields["Subject"]["element"]["max_length"] == 150
    assert fields["Description"]["element"]["multiline"] is True
    type_select = fields["Type"]["element"]
    assert [o["text"]["text"] for o in type_select["options"]] == ["Hardware", "Software", "Access request"]
    assert type_select["initial_option"]["value"] == "3"
    for label, pair in (
        ("Subject", ids.ISSUE_SUBJECT),
        ("Description", ids.ISSUE_DESCRIPTION),
        ("Type", ids.ISSUE_TYPE),
        ("Priority", ids.ISSUE_PRIORITY),
    ):
        assert (fields[label]["block_id"], fields[label]["element"]["action_id"]) == pair


@pytest.mark.parametrize(
    ("names", "chosen"),
    [
        (["Low", "Normal", "Urgent"], "Normal"),
        (["Lowest", "Low", "MEDIUM", "High", "Highest"], "MEDIUM"),
        (["P4", "P3", "P2", "P1"], "P3"),  # no name says normal: the middle of the list, lowest first
        (["Only"], "Only"),
    ],
)
def test_a_new_issue_starts_at_the_sites_normal_priority_not_the_lowest(names: list[str], chosen: str) -> None:
    priorities = [Lookup(id=n, name=name) for n, name in enumerate(names, start=1)]
    view = issue_modal(subject="s", description="d", types=TYPES, priorities=priorities, private_metadata="m")
    assert inputs(modal(view))["Priority"]["element"]["initial_option"]["text"]["text"] == chosen


def test_issue_submission_round_trip() -> None:
    payload = modal(
        issue_modal(subject="Printer", description="Jams", types=TYPES, priorities=PRIORITIES, private_metadata="m")
    )
    form = parse_issue_submission(submitted(payload, subject="  New subject ", priority="5"))
    assert form == IssueForm(subject="New subject", description="Jams", type_id=3, priority_id=5)
    assert parse_issue_submission({}) == IssueForm(subject="", description="", type_id=None, priority_id=None)


def test_issue_modal_with_huge_lists_and_text() -> None:
    many = [Lookup(id=n, name=f"Type {n} " + "x" * 200) for n in range(500)]
    view = issue_modal(subject="s" * 10_000, description="d" * 50_000, types=many, priorities=[], private_metadata="m")
    fields = inputs(modal(view))
    assert len(fields["Type"]["element"]["options"]) == 100
    assert len(fields["Subject"]["element"]["initial_value"]) == 150
    assert "Priority" not in fields  # Slack refuses an empty select


# --- small modals, subject -------------------------------------------------------------------


def test_loading_and_result_modals() -> None:
    loading = modal(loading_modal("Create Issuetrak issue, please wait", ids.ISSUE_MODAL))
    assert loading["callback_id"] == ids.ISSUE_MODAL and loading["title"]["text"].endswith("…")
    result = modal(result_modal("Create issue", "Issue 999 does not exist <!channel>"))
    assert result["blocks"][0]["text"]["text"] == "Issue 999 does not exist &lt;!channel&gt;"
    assert "submit" not in result


def test_subject_from_takes_the_first_line_without_markup() -> None:
    text = "\n  \n*Printer* on <#C1|it-help> is _down_ again <https://x.example|see log>\nsecond line"
    assert subject_from(text) == "Printer on #it-help is down again see log"
    assert subject_from("&lt;b&gt; &amp; co") == "<b> & co"
    assert subject_from("") == ""
    assert len(subject_from("long " * 100)) == 150


@settings(max_examples=50, deadline=None)
@given(
    text=st.text(max_size=5000),
    title=st.text(max_size=100),
    metadata=st.text(max_size=3000),
    names=st.lists(st.text(max_size=100), max_size=120),
)
def test_modals_never_break(text: str, title: str, metadata: str, names: list[str]) -> None:
    lookups = [Lookup(id=n, name=name) for n, name in enumerate(names)]
    modal(note_modal(text=text, issue_number=None, private_allowed=True, private_metadata=metadata))
    modal(
        issue_modal(
            subject=subject_from(text), description=text, types=lookups, priorities=lookups, private_metadata=metadata
        )
    )
    modal(result_modal(title, text))
    modal(loading_modal(title, ids.NOTE_MODAL))
    assert len(subject_from(text)) <= 150 and "\n" not in subject_from(text)
