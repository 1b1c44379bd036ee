"""The rows of an issue card that change the issue: Assign to me, Assign…, Next action…,
Priority, Substatus, Target date and Refresh.

Each row's block_id carries what the card showed (`CardState`: the issue number and the raw value
of each field it can change), so a change can tell whether the field moved in Issuetrak since the
card was drawn. It is not signed: a forged one only changes what the clicker's own change is
compared with, and the rules (who may write, where) are checked on every click and send anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    Option,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)

from bot import messages
from bot.trackers.models import Issue, IssueField, Lookup
from bot.views import ids
from bot.views.limits import OPTION_TEXT_LIMIT, OPTION_VALUE_LIMIT, OPTIONS_LIMIT
from bot.views.mrkdwn import truncate

BLOCK_ID_LIMIT = 255  # Slack's limit for a block_id
_BUTTONS_ROW, _MENUS_ROW = "issue_card_buttons", "issue_card_menus"
_KEYS = {
    IssueField.ASSIGNEE: "a",
    IssueField.NEXT_ACTION: "n",
    IssueField.PRIORITY: "p",
    IssueField.SUBSTATUS: "s",
    IssueField.TARGET_DATE: "t",
}
Shown = str | int | None


@dataclass(frozen=True)
class CardState:
    """The issue a card shows, and what it showed of each field (a field absent: not known)."""

    issue: int
    shown: dict[IssueField, Shown] = field(default_factory=dict)

    def encode(self, row: str) -> str:
        values = {"i": self.issue, **{_KEYS[f]: v for f, v in self.shown.items()}}
        text = f"{row}|{json.dumps(values, separators=(',', ':'))}"
        if len(text) <= BLOCK_ID_LIMIT:
            return text
        return f"{row}|{json.dumps({'i': self.issue})}"  # too long to say all: compared with nothing

    @staticmethod
    def decode(block_id: object) -> CardState | None:
        """What a row's block_id says, or None when it is not one this bot drew."""
        if not isinstance(block_id, str) or len(block_id) > BLOCK_ID_LIMIT:
            return None
        _, _, text = block_id.partition("|")
        try:
            values = json.loads(text)
        except ValueError:
            return None
        number = values.get("i") if isinstance(values, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 10**9:
            return None
        shown = {
            f: values[key]
            for f, key in _KEYS.items()
            if key in values and (values[key] is None or isinstance(values[key], (str, int)))
        }
        return CardState(number, shown)


def card_state(issue: Issue) -> CardState:
    target = issue.target_date.date().isoformat() if issue.target_date else None
    return CardState(
        issue.number,
        {
            IssueField.ASSIGNEE: issue.assignee_id,
            IssueField.NEXT_ACTION: issue.next_action_id,
            IssueField.PRIORITY: issue.priority_id,
            IssueField.SUBSTATUS: issue.substatus_id,
            IssueField.TARGET_DATE: target,
        },
    )


def _options(choices: Sequence[Lookup]) -> list[Option]:
    return [
        Option(text=truncate(c.name, OPTION_TEXT_LIMIT) or str(c.id), value=str(c.id)[:OPTION_VALUE_LIMIT])
        for c in choices[:OPTIONS_LIMIT]
    ]


def _menu(action_id: str, placeholder: str, choices: Sequence[Lookup], current: Shown) -> StaticSelectElement | None:
    options = _options(choices)
    if not options:
        return None
    initial = next((o for o in options if o.value == str(current)), None)
    return StaticSelectElement(
        action_id=action_id, placeholder=PlainTextObject(text=placeholder), options=options, initial_option=initial
    )


def action_rows(
    issue: Issue,
    *,
    priorities: Sequence[Lookup] = (),
    substatuses: Sequence[Lookup] = (),
    extra: Sequence[ButtonElement] = (),
) -> list[Block]:
    """The card's buttons (`extra` first: Add note, Watch here, Open) with Assign to me and Refresh,
    then the menus: Assign…, Next action…, Priority and Substatus (when the site's lookups are
    known), Target date."""
    state = card_state(issue)
    buttons = [
        ButtonElement(text=messages.CHANGE_ASSIGN_ME, action_id=ids.CARD_ASSIGN_ME, value=str(issue.number)),
        *extra,
        ButtonElement(text=messages.CHANGE_CARD_REFRESH, action_id=ids.CARD_REFRESH, value=str(issue.number)),
    ]
    menus = [
        UserSelectElement(action_id=ids.CARD_ASSIGN, placeholder=PlainTextObject(text=messages.CHANGE_ASSIGN_PICK)),
        UserSelectElement(action_id=ids.CARD_NEXT_ACTION, placeholder=PlainTextObject(text=messages.CHANGE_NEXT_PICK)),
        _menu(ids.CARD_PRIORITY, messages.CHANGE_PRIORITY_PICK, priorities, issue.priority_id),
        _menu(ids.CARD_SUBSTATUS, messages.CHANGE_SUBSTATUS_PICK, substatuses, issue.substatus_id),
        DatePickerElement(
            action_id=ids.CARD_TARGET_DATE,
            placeholder=PlainTextObject(text=messages.CHANGE_TARGET_PICK),
            initial_date=None if issue.target_date is None else date.isoformat(issue.target_date.date()),
        ),
    ]
    return [
        ActionsBlock(block_id=state.encode(_BUTTONS_ROW), elements=buttons),
        ActionsBlock(block_id=state.encode(_MENUS_ROW), elements=[m for m in menus if m is not None]),
    ]
