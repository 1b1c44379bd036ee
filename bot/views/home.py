"""The App Home tab: who trackerbot thinks you are in Issuetrak, which trackers are set up,
the digests of your workspace, the watches you set, what you can type, and for admins the latest link decisions."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot import messages
from bot.store.models import AuditEntry, Subscription
from bot.views import ids
from bot.views.cards import LIST_LINE_LIMIT, help_blocks, list_section
from bot.views.mrkdwn import escape, truncate_mrkdwn

MAX_DIGEST_LINES = 20
MAX_WATCH_LINES = 30  # watches with a Stop button each; a view holds at most 100 blocks


def audit_line(entry: AuditEntry) -> str:
    what = messages.AUDIT_ACTIONS[entry.action.value].format(
        actor=escape(entry.actor), subject=escape(entry.subject), user=escape(entry.issuetrak_user_id or "?")
    )
    return f"• {entry.at:%Y-%m-%d %H:%M} UTC · {what}"


def _watch_blocks(watches: Sequence[tuple[str, int]]) -> list[Block]:
    """The person's watches, each with its Stop button; past MAX_WATCH_LINES, how many more."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{messages.HOME_WATCHES}*"))]
    if not watches:
        return [*blocks, list_section(None, [messages.HOME_NO_WATCHES], max_lines=1)[0]]
    for line, watch_id in watches[:MAX_WATCH_LINES]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate_mrkdwn(line, LIST_LINE_LIMIT)),
                accessory=ButtonElement(
                    text=PlainTextObject(text=messages.HOME_WATCH_STOP), action_id=ids.WATCH_STOP, value=str(watch_id)
                ),
            )
        )
    if len(watches) > MAX_WATCH_LINES:
        blocks.append(list_section(None, [], max_lines=0, total=len(watches) - MAX_WATCH_LINES)[0])
    return blocks


def _notify_blocks(
    kinds: Sequence[str], labels: Sequence[tuple[str, str]], quiet: tuple[str | None, str | None] = (None, None)
) -> list[Block]:
    """The person's DM choices: checkboxes, each saved as soon as it is clicked; then their quiet
    hours, a start and an end picker (each change saved at once, once both are picked) and, while
    they have some, a button for none."""
    options = [Option(value=value, label=label) for value, label in labels]
    chosen = [option for option in options if option.value in kinds]
    start, end = quiet
    pickers: list[TimePickerElement | ButtonElement] = [
        TimePickerElement(action_id=ids.NOTIFY_QUIET_FROM, placeholder=messages.HOME_QUIET_FROM, initial_time=start),
        TimePickerElement(action_id=ids.NOTIFY_QUIET_TO, placeholder=messages.HOME_QUIET_TO, initial_time=end),
    ]
    if start is not None or end is not None:
        pickers.append(ButtonElement(text=messages.HOME_QUIET_OFF, action_id=ids.NOTIFY_QUIET_OFF, value="off"))
    return [
        SectionBlock(text=MarkdownTextObject(text=f"*{messages.HOME_NOTIFY}*")),
        ActionsBlock(
            elements=[CheckboxesElement(action_id=ids.NOTIFY_KINDS, options=options, initial_options=chosen or None)]
        ),
        SectionBlock(text=MarkdownTextObject(text=messages.HOME_QUIET)),
        ActionsBlock(block_id=ids.NOTIFY_QUIET_BLOCK, elements=pickers),
        ContextBlock(elements=[MarkdownTextObject(text=messages.HOME_QUIET_HINT)]),
    ]


def home_view(
    *,
    identity: str,
    trackers: Sequence[tuple[str, bool]],
    digests: Sequence[Subscription],
    examples: Sequence[tuple[str, str]],
    audit: Sequence[AuditEntry] | None = None,
    watches: Sequence[tuple[str, int]] = (),
    may_start_digests: bool = True,
    notify: tuple[Sequence[str], Sequence[tuple[str, str]]] | None = None,
    quiet: tuple[str | None, str | None] = (None, None),
) -> View:
    """`identity` is a sentence already written for the person (bot.messages); `trackers` pairs
    each tracker's label with whether it is set up; `audit` (admins only, newest first) the link
    decisions to show; `watches` the person's watches, each a line already written for them with
    the watch's id, which its Stop button carries; `may_start_digests` whether to say how to start a digest
    (not to a person DIGEST_EDITORS leaves out); `notify` the person's DM choices and every choice's
    label, `quiet` their quiet hours ("HH:MM" each, or None)."""
    set_up = " · ".join(f"{'✅' if on else '▫️'} {escape(label)}" for label, on in trackers)
    digest_lines = [
        f"• <#{escape(s.channel_id)}> every day at {escape(s.time)} ({escape(s.timezone)})" for s in digests
    ]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="trackerbot")),
        list_section(None, [identity], max_lines=1)[0],
        ContextBlock(elements=[MarkdownTextObject(text=set_up or messages.HOME_NO_TRACKERS)]),
        DividerBlock(),
        list_section(
            "*Daily digests*",
            digest_lines or [messages.HOME_NO_DIGESTS if may_start_digests else messages.HOME_NO_DIGESTS_NOT_EDITOR],
            max_lines=MAX_DIGEST_LINES,
        )[0],
        DividerBlock(),
        *_watch_blocks(watches),
        DividerBlock(),
        *([*_notify_blocks(*notify, quiet), DividerBlock()] if notify is not None else []),
        *help_blocks(examples),
    ]
    if audit is not None:
        lines = [audit_line(entry) for entry in audit] or [messages.HOME_NO_AUDIT]
        blocks += [DividerBlock(), list_section(messages.HOME_LINK_AUDIT, lines, max_lines=len(lines))[0]]
    return View(type="home", blocks=blocks)
