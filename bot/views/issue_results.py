"""A page of Issuetrak issues found by `/tracker search` or `/tracker mine`: what was asked and
how many match, one section per issue, and Previous and More buttons.

One section per issue keeps every issue whole (a page of ten is well under Slack's 50 blocks and
each section under its 3000 characters); a button carries the command as typed and the page it
opens, so a click runs the same search again, under the rules of the moment of the click."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import messages
from bot.trackers.models import Issue, IssuePage, TrackerName
from bot.views import ids
from bot.views.limits import BUTTON_VALUE_LIMIT, FIELD_LIMIT, SECTION_LIMIT
from bot.views.mrkdwn import escape, fmt_date, link, truncate, truncate_mrkdwn
from bot.views.sentence_blocks import said

SUBJECT_LIMIT = 150
FACT_LIMIT = 60


def _one_line(text: str | None, limit: int) -> str:
    return escape(truncate(" ".join((text or "").split()), limit))


def _issue_section(issue: Issue) -> Block:
    title = f"*{link(issue.url, f'#{issue.number}')}* {_one_line(issue.subject, SUBJECT_LIMIT) or '(no subject)'}"
    facts = [
        _one_line(issue.status, FACT_LIMIT) or "—",
        _one_line(issue.priority, FACT_LIMIT),
        _one_line(issue.assignee, FACT_LIMIT) or "Unassigned",
    ]
    if issue.next_action and issue.next_action != issue.assignee:
        facts.append(f"next: {_one_line(issue.next_action, FACT_LIMIT)}")
    facts.append(f"submitted {fmt_date(issue.submitted_date)}")
    text = f"{title}\n{' · '.join(fact for fact in facts if fact)}"
    return SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(text, SECTION_LIMIT)))


def _page_button(label: str, command: str, page_index: int) -> ButtonElement | None:
    value = json.dumps({"c": command, "p": page_index}, separators=(",", ":"), ensure_ascii=False)
    if len(value) > BUTTON_VALUE_LIMIT:  # a cut command would page through another search
        return None
    return ButtonElement(text=PlainTextObject(text=label), action_id=ids.ISSUES_PAGE, value=value)


def _listing(page: IssuePage, heading: str, command: str) -> list[Block]:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=truncate_mrkdwn(heading, FIELD_LIMIT))]),
        *(_issue_section(issue) for issue in page.issues),
    ]
    buttons = [
        _page_button(messages.SEARCH_PREVIOUS, command, page.page_index - 1) if page.page_index > 0 else None,
        _page_button(messages.SEARCH_MORE, command, page.page_index + 1) if page.has_more else None,
    ]
    present = [button for button in buttons if button is not None]
    if present:
        blocks.append(ActionsBlock(elements=present))
    return blocks


def _span(page: IssuePage) -> tuple[int, int]:
    first = page.page_index * page.page_size + 1
    return first, first + len(page.issues) - 1


def search_results(page: IssuePage, words: str, command: str) -> list[Block]:
    """A page of `/tracker search` (`command` as typed, for the buttons)."""
    quoted = f"“{_one_line(words, 100)}”"
    if not page.issues:
        return said(messages.SEARCH_NONE.format(query=f"“{truncate(words, 100)}”"), as_written=True)
    first, last = _span(page)
    heading = messages.SEARCH_SHOWN.format(first=first, last=last, total=max(page.total, last), query=quoted)
    return _listing(page, f"{escape(TrackerName.ISSUETRAK.label)} · {heading}", command)


def my_issues(page: IssuePage, assigned: int, next_action: int, command: str) -> list[Block]:
    """A page of `/tracker mine`, with how many are assigned to the person and how many have
    the next action with them (an issue may be both)."""
    if not page.issues:
        filters = command.removeprefix("mine").strip()
        return said(messages.MINE_NONE.format(filters=filters) if filters else messages.MINE_NONE_OPEN, as_written=True)
    first, last = _span(page)
    heading = messages.MINE_SHOWN.format(
        first=first, last=last, total=max(page.total, last), assigned=assigned, next_action=next_action
    )
    return _listing(page, escape(heading), command)
