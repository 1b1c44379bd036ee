"""The triage subscriptions of a channel: the list with Edit and Remove, and the Edit modal."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.views import ids
from bot.views.limits import SECTION_LIMIT
from bot.views.mrkdwn import truncate_mrkdwn

EVENT_LABELS = {
    "new": "New issues",
    "closed": "Closed",
    "assigned": "Assignee or next action changed",
    "notes": "Public notes",
    "status": "Status, substatus or priority changed",
}
FILTER_LABELS = {
    "priority": "Priority",
    "type": "Type",
    "substatus": "Substatus",
    "submitter": "Submitter",
    "assignee": "Assignee",
}
KITSU_FILTER_LABELS = {"task_type": "Task type", "status": "New status"}  # a Kitsu production's


def subscriptions(head: str, entries: Sequence[tuple[int, str]]) -> list[Block]:
    """The list: a line per subscription (numbered as `unsubscribe` takes them), Edit and Remove."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(head, SECTION_LIMIT)))]
    for n, (sub_id, line) in enumerate(entries, start=1):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(f"*{n}.* {line}", SECTION_LIMIT))))
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Edit", action_id=ids.SUBSCRIPTION_EDIT, value=str(sub_id)),
                    ButtonElement(text="Remove", action_id=ids.SUBSCRIPTION_REMOVE, value=str(sub_id), style="danger"),
                ]
            )
        )
    return blocks


def filter_text(rule: dict[str, list[str]]) -> str:
    """A filter's values as the Edit modal shows them: `High, Urgent, -Spam`."""
    return ", ".join([*rule.get("in", []), *(f"-{v}" for v in rule.get("out", []))])


def edit_modal(
    events: Sequence[str] | None,
    filters: dict[str, dict[str, list[str]]],
    metadata: str,
    title: str,
    labels: dict[str, str] = FILTER_LABELS,
) -> View:
    """The Edit modal, pre-filled with what the subscription has now: its filters (`labels`: each
    filter's name and label) and, unless `events` is None (a Kitsu production's), its events."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(title, SECTION_LIMIT)))]
    if events is not None:
        options = [Option(value=value, label=label) for value, label in EVENT_LABELS.items()]
        chosen = [option for option in options if option.value in events]
        blocks.append(
            InputBlock(
                block_id=ids.SUBSCRIPTION_EVENTS_BLOCK,
                label="Tell this channel of",
                optional=True,
                element=CheckboxesElement(
                    action_id=ids.SUBSCRIPTION_EVENTS, options=options, initial_options=chosen or None
                ),
            )
        )
    for name, label in labels.items():
        blocks.append(
            InputBlock(
                block_id=ids.SUBSCRIPTION_FILTER_BLOCK.format(name=name),
                label=label,
                optional=True,
                hint=messages.SUBSCRIPTION_FILTER_HINT,
                element=PlainTextInputElement(
                    action_id=ids.SUBSCRIPTION_FILTER,
                    initial_value=filter_text(filters.get(name, {})) or None,
                    max_length=500,
                ),
            )
        )
    return View(
        type="modal",
        callback_id=ids.SUBSCRIPTION_MODAL,
        title=PlainTextObject(text="Edit subscription"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )
