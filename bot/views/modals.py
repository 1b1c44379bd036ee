"""Modals for the message shortcuts (add a note, create an issue), and the readers of what a
person submitted. Block and action ids come from `bot.views.ids`, shared with the listeners."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import messages
from bot.slack.notes_html import editable_text, mrkdwn_to_text
from bot.trackers.models import Lookup, TaskPlace
from bot.trackers.pages import is_number
from bot.views import ids
from bot.views.limits import (
    INPUT_LIMIT,
    OPTION_TEXT_LIMIT,
    OPTION_VALUE_LIMIT,
    OPTIONS_LIMIT,
    SECTION_LIMIT,
    TITLE_LIMIT,
)
from bot.views.mrkdwn import escape, truncate, truncate_mrkdwn

# An Issuetrak subject is one line of at most this many characters.
SUBJECT_LIMIT = 150

PRIVATE_VALUE = "private"
_ISSUE_NUMBER = re.compile(r"#?\s*([0-9]{1,9})")


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


def _modal(
    title: str,
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str | None = None,
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=_plain(truncate(" ".join(title.split()), TITLE_LIMIT) or "trackerbot"),
        submit=_plain(submit) if submit else None,
        close=_plain(close),
        blocks=list(blocks),
        private_metadata=private_metadata,
    )


def _text_input(
    ids_pair: tuple[str, str],
    label: str,
    initial: str,
    *,
    limit: int,
    multiline: bool = False,
    placeholder: str | None = None,
) -> InputBlock:
    block_id, action_id = ids_pair
    return InputBlock(
        block_id=block_id,
        label=_plain(label),
        element=PlainTextInputElement(
            action_id=action_id,
            initial_value=truncate(initial, limit) or None,
            multiline=multiline,
            max_length=limit,
            placeholder=_plain(placeholder) if placeholder else None,
        ),
    )


# What sites call the priority a new issue usually gets; without one of these, the middle of the list.
NORMAL_PRIORITIES = ("normal", "medium", "standard", "moderate")


def _normal(names: Sequence[str]) -> int:
    """The index of the site's normal priority among `names` (listed lowest first, as Issuetrak does)."""
    return next((i for i, name in enumerate(names) if name.casefold() in NORMAL_PRIORITIES), (len(names) - 1) // 2)


def _select(
    ids_pair: tuple[str, str],
    label: str,
    lookups: Sequence[Lookup],
    *,
    initial: Callable[[Sequence[str]], int] | None = None,
) -> InputBlock | None:
    """A static select of `lookups` (the first 100 whose id fits), the first one chosen (or the one
    `initial` picks by the options' names); None when there is nothing to choose from (Slack refuses an
    empty select)."""
    shown = [
        (str(lookup.id), truncate(" ".join(lookup.name.split()), OPTION_TEXT_LIMIT) or "—")
        for lookup in lookups
        if len(str(lookup.id)) <= OPTION_VALUE_LIMIT
    ][:OPTIONS_LIMIT]
    if not shown:
        return None
    options = [Option(value=value, text=text) for value, text in shown]
    chosen = initial([text for _, text in shown]) if initial else 0
    block_id, action_id = ids_pair
    return InputBlock(
        block_id=block_id,
        label=_plain(label),
        element=StaticSelectElement(action_id=action_id, options=options, initial_option=options[chosen]),
    )


def loading_modal(title: str, callback_id: str) -> View:
    """What opens at once (the trigger_id lives 3 seconds) while tracker data is fetched."""
    return _modal(title, [SectionBlock(text=MarkdownTextObject(text="Loading…"))], callback_id=callback_id)


def result_modal(title: str, text: str) -> View:
    """A modal saying what happened (done, or what went wrong); `text` is shown as written."""
    body = truncate_mrkdwn(escape(text), SECTION_LIMIT)
    return _modal(title, [SectionBlock(text=MarkdownTextObject(text=body if body.strip() else "—"))])


def note_modal(*, text: str, issue_number: int | None, private_allowed: bool, private_metadata: str) -> View:
    """ "Add Issuetrak note": the issue number, the note prefilled with `text` (cut to 3000
    characters), and a Private checkbox when the person may write private notes.
    `private_metadata` is the listener's own state and must fit Slack's 3000 characters."""
    blocks: list[Block] = [
        _text_input(
            ids.NOTE_ISSUE,
            "Issue number",
            "" if issue_number is None else str(issue_number),
            limit=20,
            placeholder="e.g. 123",
        ),
        _text_input(ids.NOTE_TEXT, "Note", text, limit=INPUT_LIMIT, multiline=True),
    ]
    if private_allowed:
        block_id, action_id = ids.NOTE_PRIVATE
        blocks.append(
            InputBlock(
                block_id=block_id,
                label=_plain("Private"),
                optional=True,
                element=CheckboxesElement(
                    action_id=action_id,
                    options=[Option(value=PRIVATE_VALUE, text="Mark the note private in Issuetrak")],
                ),
            )
        )
    return _modal(
        "Add Issuetrak note",
        blocks,
        callback_id=ids.NOTE_MODAL,
        submit="Add note",
        close="Cancel",
        private_metadata=private_metadata,
    )


def issue_modal(
    *,
    subject: str,
    description: str,
    types: Sequence[Lookup],
    priorities: Sequence[Lookup],
    private_metadata: str,
) -> View:
    """ "Create Issuetrak issue": subject and description prefilled, type and priority selects
    (left out when Issuetrak lists none)."""
    blocks: list[Block] = [
        _text_input(ids.ISSUE_SUBJECT, "Subject", subject, limit=SUBJECT_LIMIT),
        _text_input(ids.ISSUE_DESCRIPTION, "Description", description, limit=INPUT_LIMIT, multiline=True),
    ]
    selects = (
        _select(ids.ISSUE_TYPE, "Type", types),
        _select(ids.ISSUE_PRIORITY, "Priority", priorities, initial=_normal),  # not the lowest: the site's normal
    )
    blocks += [select for select in selects if select is not None]
    return _modal(
        "Create Issuetrak issue",
        blocks,
        callback_id=ids.ISSUE_MODAL,
        submit="Create issue",
        close="Cancel",
        private_metadata=private_metadata,
    )


# --- reading submissions ---------------------------------------------------------------------


def _state(state_values: Mapping[str, Any], ids_pair: tuple[str, str]) -> Mapping[str, Any]:
    block_id, action_id = ids_pair
    return (state_values.get(block_id) or {}).get(action_id) or {}


def _value(state_values: Mapping[str, Any], ids_pair: tuple[str, str]) -> str:
    return (_state(state_values, ids_pair).get("value") or "").strip()


def _selected_id(state_values: Mapping[str, Any], ids_pair: tuple[str, str]) -> int | None:
    value = ((_state(state_values, ids_pair).get("selected_option") or {}).get("value") or "").strip()
    return int(value) if is_number(value, 18) else None


class NoteForm(BaseModel):
    """What a person submitted in the note modal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issue_number: int | None  # None when what was typed is not a number ("#123" is fine)
    text: str
    private: bool


class IssueForm(BaseModel):
    """What a person submitted in the issue modal; a choice that is not an id is None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    description: str
    type_id: int | None
    priority_id: int | None


def parse_note_submission(state_values: Mapping[str, Any]) -> NoteForm:
    """`view.state.values` of the note modal."""
    number = _ISSUE_NUMBER.fullmatch(_value(state_values, ids.NOTE_ISSUE))
    selected = _state(state_values, ids.NOTE_PRIVATE).get("selected_options") or []
    return NoteForm(
        issue_number=int(number[1]) if number else None,
        text=_value(state_values, ids.NOTE_TEXT),
        private=any(option.get("value") == PRIVATE_VALUE for option in selected),
    )


def parse_issue_submission(state_values: Mapping[str, Any]) -> IssueForm:
    """`view.state.values` of the issue modal."""
    return IssueForm(
        subject=_value(state_values, ids.ISSUE_SUBJECT),
        description=_value(state_values, ids.ISSUE_DESCRIPTION),
        type_id=_selected_id(state_values, ids.ISSUE_TYPE),
        priority_id=_selected_id(state_values, ids.ISSUE_PRIORITY),
    )


def _known(names: Mapping[str, str]) -> Mapping[str, str]:
    """The names actually found (the people directory keeps an unknown person's ID as the name)."""
    return {user: name for user, name in names.items() if name != user}


def subject_from(text: str, names: Mapping[str, str] | None = None) -> str:
    """A subject for a new issue: the first non-empty line of a Slack message's text, without
    its markup (mentions as `@Name` when `names` has them), at most 150 characters."""
    known = _known(names or {})
    for raw in mrkdwn_to_text(text, resolve_user=known.get).split("\n"):
        line = " ".join(raw.split())
        if line:
            return truncate(line, SUBJECT_LIMIT)
    return ""


_USER_TOKEN = re.compile(r"<@([^<>|]+)(?:\|[^<>]*)?>")


def description_from(text: str, names: Mapping[str, str]) -> str:
    """A Slack message's text for the description field: as `editable_text` makes it, with the
    mentions whose names are known shown as `@Name` (the others keep their `<@U…>` token, which
    the submission still turns into a name or the ID)."""
    known = _known(names)
    out: list[str] = []
    position = 0
    for match in _USER_TOKEN.finditer(text):
        name = known.get(match.group(1))
        if name is not None:
            out += [editable_text(text[position : match.start()]), "@" + name.lstrip("@")]
            position = match.end()
    out.append(editable_text(text[position:]))
    return "".join(out)


# --- the Kitsu comment form -------------------------------------------------------------------


def _option(lookup: Lookup) -> Option | None:
    value = str(lookup.id)
    if len(value) > OPTION_VALUE_LIMIT:
        return None
    return Option(value=value, text=truncate(" ".join(lookup.name.split()), OPTION_TEXT_LIMIT) or "—")


def options(lookups: Sequence[Lookup]) -> list[dict[str, Any]]:
    """An options endpoint's answer for an external select: the first 100 that fit."""
    found = (_option(lookup) for lookup in lookups)
    return [option.to_dict() for option in found if option is not None][:OPTIONS_LIMIT]


def _external(ids_pair: tuple[str, str], label: str, initial: Lookup | None) -> InputBlock:
    block_id, action_id = ids_pair
    chosen = _option(initial) if initial is not None else None
    return InputBlock(
        block_id=block_id,
        label=_plain(label),
        element=ExternalDataSelectElement(action_id=action_id, min_query_length=0, initial_option=chosen),
    )


def kitsu_comment_modal(*, text: str, place: TaskPlace | None, private_metadata: str) -> View:
    """ "Add Kitsu comment": the task, chosen by production, then entity, then task (each with
    typeahead, its options read from the choices above it), the new status (the production's),
    and the comment prefilled with `text`. From a card's task line, `place` chooses the task."""
    blocks: list[Block] = [
        _external(
            ids.KITSU_PRODUCTION,
            messages.KITSU_FORM_PRODUCTION,
            Lookup(id=place.project_id, name=place.project) if place else None,
        ),
        _external(
            ids.KITSU_ENTITY,
            messages.KITSU_FORM_ENTITY,
            Lookup(id=place.entity_id, name=place.entity) if place else None,
        ),
        _external(
            ids.KITSU_TASK, messages.KITSU_FORM_TASK, Lookup(id=place.id, name=place.task_type) if place else None
        ),
        _external(ids.KITSU_STATUS, messages.KITSU_FORM_STATUS, None),
        _text_input(ids.KITSU_TEXT, messages.KITSU_FORM_TEXT, text, limit=INPUT_LIMIT, multiline=True),
    ]
    return _modal(
        messages.KITSU_COMMENT_TITLE,
        blocks,
        callback_id=ids.KITSU_COMMENT_MODAL,
        submit=messages.KITSU_FORM_SUBMIT,
        close="Cancel",
        private_metadata=private_metadata,
    )


class CommentForm(BaseModel):
    """What is chosen in the Kitsu comment form (Zou ids, "" when nothing is), and the text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    production: str
    entity: str
    task: str
    status: str
    text: str


def _chosen(state_values: Mapping[str, Any], ids_pair: tuple[str, str]) -> str:
    return str((_state(state_values, ids_pair).get("selected_option") or {}).get("value") or "").strip()


def parse_comment_form(state_values: Mapping[str, Any]) -> CommentForm:
    """`view.state.values` of the Kitsu comment form, submitted or as it stands while it is
    filled in (an options request carries it)."""
    return CommentForm(
        production=_chosen(state_values, ids.KITSU_PRODUCTION),
        entity=_chosen(state_values, ids.KITSU_ENTITY),
        task=_chosen(state_values, ids.KITSU_TASK),
        status=_chosen(state_values, ids.KITSU_STATUS),
        text=_value(state_values, ids.KITSU_TEXT),
    )
