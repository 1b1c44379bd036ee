"""The digest message: a one-line summary, then the projects needing attention, Issuetrak's last
day, and the tasks due soon, with a link per item.

A few sections, never more than a dozen blocks (Slack allows 50), each holding whole lines up to a
character budget and then "…and N more": a long digest is summarised, never cut mid-item, and the
whole message stays a few thousand characters (docs/slack.md: msg_blocks_too_long).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, PlainTextObject

from bot import messages
from bot.views.cards import LIST_LINE_LIMIT, as_dicts, list_section
from bot.views.limits import FIELD_LIMIT, HEADER_LIMIT, MAX_CONTEXT_ELEMENTS
from bot.views.mrkdwn import escape, fmt_date, link, truncate
from bot.views.sentence_blocks import said

if TYPE_CHECKING:
    from bot.digest import Attention, Digest
    from bot.trackers.models import Issue, Task

__all__ = ["as_dicts", "digest_blocks"]

MAX_LINES = 15  # lines per section before "…and N more"
SECTION_BUDGET = 2000  # characters per section
TASKS_PER_PERSON = 5
NAME_LIMIT = 80  # characters of a name or subject in a line, so each line stays whole
MORE_RESERVE = 20  # room for " and N more" at the end of a person's line


def digest_blocks(digest: Digest) -> list[Block]:
    title = f"{f'Digest · {digest.scope}' if digest.scope else 'Daily digest'} · {fmt_date(digest.today)}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_LIMIT))),
        *said(digest.summary, as_written=True),
        *_attention(digest),
        *_issues(digest),
        *_tasks(digest),
    ]
    if digest.failures or digest.warnings:
        notes = [f"{label}: {error}" for label, error in digest.failures.items()] + digest.warnings
        notes = notes[:MAX_CONTEXT_ELEMENTS]
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=escape(truncate(note, FIELD_LIMIT))) for note in notes])
        )
    return blocks


def _lines(title: str, lines: list[str]) -> Block:
    return list_section(title, lines, max_lines=MAX_LINES, budget=SECTION_BUDGET)[0]


def _project_line(item: Attention) -> str:
    project = item.project
    due = f", due {fmt_date(project.target_date)}" if project.target_date else ""
    name = link(project.url, truncate(project.name, NAME_LIMIT))
    return f"• {name} ({project.tracker.label}{due}): {escape(', '.join(item.reasons))}"


def _attention(digest: Digest) -> list[Block]:
    if digest.attention:
        return [_lines("*Projects needing attention*", [_project_line(item) for item in digest.attention])]
    if digest.projects_checked:
        return said(messages.DIGEST_ALL_ON_TRACK, as_written=True)
    return []


def _issue_line(verb: str, issue: Issue) -> str:
    who = f" ({escape(issue.assignee)})" if issue.assignee else ""
    return f"• {verb} {link(issue.url, f'#{issue.number}')} {escape(truncate(issue.subject, NAME_LIMIT))}{who}"


def _issues(digest: Digest) -> list[Block]:
    if not digest.issues_read:
        return []
    lines = [_issue_line("Opened", i) for i in digest.opened] + [_issue_line("Closed", i) for i in digest.closed]
    blocks = [DividerBlock(), _lines("*Issuetrak, last 24 hours*", lines or [messages.DIGEST_NO_ISSUE_ACTIVITY])]
    if digest.open_by_assignee:
        per_person = [f"• {escape(name)}: {count}" for name, count in digest.open_by_assignee.most_common()]
        blocks.append(_lines("*Open issues per assignee*", per_person))
    return blocks


def _when(due: date | None, today: date) -> str:
    if due == today:
        return "today"
    if due is not None and (due - today).days == 1:
        return "tomorrow"
    return fmt_date(due)


def _person_line(person: str, tasks: list[Task], today: date) -> str:
    """A person's tasks, soonest first, as many whole ones as fit a list line, then "and N more"."""
    head = f"• *{escape(truncate(person, NAME_LIMIT))}*: "
    shown: list[str] = []
    for task in tasks[:TASKS_PER_PERSON]:
        project = f" ({escape(truncate(task.project, NAME_LIMIT))})" if task.project else ""
        item = f"{link(task.url, truncate(task.name, NAME_LIMIT))}{project} {_when(task.due_date, today)}"
        if shown and len(head) + len(", ".join([*shown, item])) > LIST_LINE_LIMIT - MORE_RESERVE:
            break
        shown.append(item)
    more = f" and {len(tasks) - len(shown)} more" if len(tasks) > len(shown) else ""
    return f"{head}{', '.join(shown)}{more}"


def _tasks(digest: Digest) -> list[Block]:
    if not digest.tasks_due:
        return []
    lines = [_person_line(person, tasks, digest.today) for person, tasks in sorted(digest.tasks_due.items())]
    return [DividerBlock(), _lines(f"*{escape(digest.task_trackers)} tasks due soon*", lines)]
