"""The digest message: a one-line summary, then what needs attention, Issuetrak's last day,
and Kitsu tasks due soon, with a link per item; summarised ("…and N more") to stay within a
message's limits, never cut mid-item."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, PlainTextObject

from bot.views.cards import list_section, as_dicts
from bot.views.text import escape, fmt_date, link

if TYPE_CHECKING:
    from bot.services.digests import Digest
    from bot.trackers.models import Task

__all__ = ["as_dicts", "digest_blocks"]

MAX_ITEMS_PER_SECTION = 12


def _project_line(project, reasons: list[str]) -> str:  # type: ignore[no-untyped-def]
    target = f", due {fmt_date(project.target_date)}" if project.target_date else ""
    name = link(project.url, project.name)
    return f"• {name} ({project.tracker.label}{escape(target)}): {escape(', '.join(reasons))}"


def _task_label(task: "Task") -> str:
    return " ".join(part for part in (task.entity or task.name, task.task_type) if part)


def digest_blocks(digest: "Digest") -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Daily digest · {fmt_date(digest.today)}")),
        ContextBlock(elements=[MarkdownTextObject(text=escape(digest.summary))]),
    ]
    if digest.attention:
        lines = [_project_line(project, reasons) for project, reasons in digest.attention]
        blocks.append(list_section("*Projects needing attention*", lines, max_lines=MAX_ITEMS_PER_SECTION)[0])
    elif digest.projects_checked:
        blocks.append(list_section(None, ["All projects are on track."], max_lines=1)[0])
    if digest.opened or digest.closed or digest.open_by_assignee:
        blocks.append(DividerBlock())
        issue_lines = [f"• Opened {link(i.url, f'#{i.number}')} {escape(i.subject)}" for i in digest.opened]
        issue_lines += [f"• Closed {link(i.url, f'#{i.number}')} {escape(i.subject)}" for i in digest.closed]
        blocks.append(list_section("*Issuetrak, last 24 hours*", issue_lines or ["• No issues opened or closed."],
                                    max_lines=MAX_ITEMS_PER_SECTION)[0])
        per_person = [f"• {escape(name)}: {count} open" for name, count in digest.open_by_assignee.most_common()]
        if per_person:
            blocks.append(list_section("*Open issues per assignee*", per_person, max_lines=MAX_ITEMS_PER_SECTION)[0])
    if digest.tasks_due:
        blocks.append(DividerBlock())
        task_lines = []
        for person, tasks in sorted(digest.tasks_due.items()):
            soonest = sorted(tasks, key=lambda t: t.due_date or digest.today)[:5]
            shown = ", ".join(f"{link(t.url, _task_label(t))} ({fmt_date(t.due_date)})" for t in soonest)
            more = f" and {len(tasks) - 5} more" if len(tasks) > 5 else ""
            task_lines.append(f"• *{escape(person)}*: {shown}{more}")
        blocks.append(list_section("*Kitsu tasks due soon*", task_lines, max_lines=MAX_ITEMS_PER_SECTION)[0])
    if digest.failures:
        blocks.append(ContextBlock(elements=[
            MarkdownTextObject(text=escape(f"{label}: {error}")) for label, error in list(digest.failures.items())[:10]
        ]))
    return blocks
