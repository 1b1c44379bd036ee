"""Block Kit cards and lists for messages: issues, projects, assets, help.

Every function takes normalized models (text already decoded from HTML) and returns a list of
`slack_sdk` Block objects. Tracker text is escaped here, and every piece is cut to Slack's limits
with an ellipsis, so a card never fails to render whatever a tracker returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    LinkButtonElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import messages
from bot.slack.notes_html import safe_url
from bot.store.models import WatchKind, WatchTarget
from bot.trackers.models import Asset, AssetPage, Issue, Lookup, ProjectStatus, Task, TrackerName
from bot.views import ids
from bot.views.issue_actions import action_rows
from bot.views.limits import (
    BUTTON_TEXT_LIMIT,
    BUTTON_URL_LIMIT,
    BUTTON_VALUE_LIMIT,
    FIELD_LIMIT,
    HEADER_LIMIT,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELDS,
    SECTION_LIMIT,
)
from bot.views.mrkdwn import (
    escape,
    fmt_date,
    fmt_hours,
    fmt_money,
    link,
    progress_bar,
    truncate,
    truncate_mrkdwn,
)

# How much of a list a message shows before it says "…and N more" (keeps payloads small).
LIST_LINE_LIMIT = 300
ASSET_LIST_LINES = 15
UNPAGED_ASSET_LINES = 5  # per source that does not page
PROJECT_LINES_PER_TRACKER = 10
PROJECT_SECTION_BUDGET = 2000
ASSET_ATTRIBUTE_FIELDS = 8
KITSU_TASK_LINES = 5


def as_dicts(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """The JSON Slack expects for `blocks` (slack_sdk checks its limits here)."""
    return [block.to_dict() for block in blocks]


# --- building blocks -------------------------------------------------------------------------


def _inline(text: str | None, limit: int = 200) -> str:
    """Tracker text on one line, cut to `limit` characters, escaped for mrkdwn."""
    return escape(truncate(" ".join((text or "").split()), limit))


def _header(text: str, fallback: str = "(untitled)") -> HeaderBlock:
    shown = " ".join(text.split()) or fallback
    return HeaderBlock(text=PlainTextObject(text=truncate(shown, HEADER_LIMIT), emoji=True))


def _section(mrkdwn: str) -> SectionBlock:
    text = truncate_mrkdwn(mrkdwn, SECTION_LIMIT)
    return SectionBlock(text=MarkdownTextObject(text=text if text.strip() else "—"))  # Slack refuses blank text


def _fields(pairs: Sequence[tuple[str, str]]) -> SectionBlock:
    """A two-column section of `*label*\\nvalue` fields; values are already mrkdwn."""
    return SectionBlock(
        fields=[
            MarkdownTextObject(text=truncate_mrkdwn(f"*{escape(label)}*\n{value or '—'}", FIELD_LIMIT))
            for label, value in pairs[:MAX_FIELDS]
        ]
    )


def _context(*texts: str) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(text=truncate_mrkdwn(text, FIELD_LIMIT) or "—") for text in texts[:MAX_CONTEXT_ELEMENTS]
        ]
    )


def _open_button(tracker: TrackerName, url: str | None) -> LinkButtonElement | None:
    href = safe_url(url)
    if href is None or len(href) > BUTTON_URL_LIMIT:
        return None
    return LinkButtonElement(
        text=PlainTextObject(text=truncate(f"Open in {tracker.label}", BUTTON_TEXT_LIMIT)),
        url=href,
        action_id=ids.OPEN_IN_TRACKER,
    )


def _with_actions(blocks: list[Block], *elements: ButtonElement | None) -> None:
    present = [element for element in elements if element is not None]
    if present:
        blocks.append(ActionsBlock(elements=present))


def list_section(
    title: str | None,
    lines: Sequence[str],
    *,
    max_lines: int,
    budget: int = SECTION_LIMIT,
    total: int | None = None,
) -> tuple[SectionBlock, int]:
    """One section with `title` and as many `lines` as fit in `budget` characters (at most
    `max_lines`), then "…and N more" counted against `total` (default: all the lines; pass it
    when only the first lines were rendered). Returns the section and how many lines it shows."""
    total = len(lines) if total is None else total
    reserve = 40  # room for the "…and N more" line
    text = title or ""
    shown = 0
    for full in lines[:max_lines]:
        line = truncate_mrkdwn(full, LIST_LINE_LIMIT)
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > budget - reserve:
            break
        text, shown = candidate, shown + 1
    if shown < total:
        more = f"_…and {total - shown} more_"
        text = f"{text}\n{more}" if text else more
    return _section(text), shown


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _overdue_mark(target: date | None, today: date, closed: bool) -> str:
    """ "⚠ overdue by N days" when `target` has passed and the work is still open, else ""."""
    if closed or target is None or target >= today:
        return ""
    return f"⚠ overdue by {_days((today - target).days)}"


def _dated(target: date, today: date, closed: bool) -> str:
    mark = _overdue_mark(target, today, closed)
    return f"{fmt_date(target)} {mark}" if mark else fmt_date(target)


def _estimated_actual(estimated: float | None, actual: float | None, fmt: Callable[[float | None], str]) -> str | None:
    if estimated is None and actual is None:
        return None
    return f"{fmt(estimated)} estimated · {fmt(actual)} actual"


# --- issues ----------------------------------------------------------------------------------


def issue_card(
    issue: Issue,
    today: date | None = None,
    *,
    priorities: Sequence[Lookup] = (),
    substatuses: Sequence[Lookup] = (),
    changed: str | None = None,
) -> list[Block]:
    """An Issuetrak issue: subject, status, priority, assignee, dates, type and a link, then the
    rows that change it (`bot.views.issue_actions`; the Priority and Substatus menus when the
    site's lookups are given). `today` decides "overdue" (defaults to the local date); `changed`
    says who changed what, on a card redrawn after a change."""
    today = today or date.today()
    submitted = fmt_date(issue.submitted_date)
    if issue.submitted_by:
        submitted = f"{submitted} by {_inline(issue.submitted_by)}"
    pairs = [
        ("Status", _inline(issue.status) or "—"),
        ("Priority", _inline(issue.priority) or "—"),
        ("Assignee", _inline(issue.assignee) or "Unassigned"),
        ("Submitted", submitted),
    ]
    if issue.next_action:
        pairs.append(("Next action", _inline(issue.next_action)))
    if issue.substatus:
        pairs.append(("Substatus", _inline(issue.substatus)))
    if issue.target_date is not None:
        pairs.append(("Target date", _dated(issue.target_date.date(), today, issue.is_closed)))
    if issue.closed_date is not None:
        pairs.append(("Closed", fmt_date(issue.closed_date)))
    pairs.append(("Type", _inline(issue.issue_type) or "—"))
    blocks: list[Block] = [_header(issue.subject, fallback=f"Issue #{issue.number}"), _fields(pairs)]
    _with_actions(
        blocks, _add_note_button(issue), _watch_issue_button(issue), _open_button(TrackerName.ISSUETRAK, issue.url)
    )
    blocks += action_rows(issue, priorities=priorities, substatuses=substatuses)
    blocks.append(_context(f"{TrackerName.ISSUETRAK.label} #{issue.number}", *([changed] if changed else [])))
    return blocks


def _add_note_button(issue: Issue) -> ButtonElement:
    """ "Add note": opens the note form for this issue, as whoever clicks (checked then)."""
    return ButtonElement(text=PlainTextObject(text="Add note"), action_id=ids.ISSUE_ADD_NOTE, value=str(issue.number))


def _watch_issue_button(issue: Issue) -> ButtonElement | None:
    """ "Watch here": the issue's news in the channel where the card is (checked when clicked)."""
    return _watch_button(WatchTarget(WatchKind.ISSUE, TrackerName.ISSUETRAK.value, str(issue.number), ""))


def _watch_button(target: WatchTarget) -> ButtonElement | None:
    value = target.item_key
    if len(value) > BUTTON_VALUE_LIMIT:  # a cut value would watch the wrong item
        return None
    return ButtonElement(text=PlainTextObject(text=messages.WATCH_HERE_BUTTON), action_id=ids.WATCH_HERE, value=value)


# --- projects --------------------------------------------------------------------------------


def _project_status(project: ProjectStatus) -> str:
    if project.status:
        return _inline(project.status, 80)
    return "Closed" if project.is_closed else "Open"


def _refresh_button(project: ProjectStatus) -> ButtonElement | None:
    value = f"{project.tracker}:{project.id}"
    if len(value) > BUTTON_VALUE_LIMIT:  # a cut value would refresh the wrong project
        return None
    return ButtonElement(text=PlainTextObject(text="Refresh"), action_id=ids.PROJECT_REFRESH, value=value)


def _watch_project_button(project: ProjectStatus) -> ButtonElement | None:
    return _watch_button(WatchTarget(WatchKind.PROJECT, project.tracker.value, project.id, ""))


def project_card(project: ProjectStatus, today: date) -> list[Block]:
    """A project's status: progress, target date (flagged when overdue), budget and hours,
    health, owner and Kitsu's overdue tasks, with Refresh, Watch here and Open buttons."""
    pairs = [("Status", _project_status(project))]
    if project.percent_complete is not None:
        pairs.append(("Progress", progress_bar(project.percent_complete)))
    if project.target_date is not None:
        pairs.append(("Target date", _dated(project.target_date, today, project.is_closed)))
    if project.closed_date is not None:
        pairs.append(("Closed", fmt_date(project.closed_date)))
    budget = _estimated_actual(project.budget_estimated, project.budget_actual, fmt_money)
    if budget:
        pairs.append(("Budget", budget))
    hours = _estimated_actual(project.hours_estimated, project.hours_actual, fmt_hours)
    if hours:
        pairs.append(("Hours", hours))
    if project.health:
        pairs.append(("Health", _inline(project.health)))
    if project.owner:
        pairs.append(("Owner", _inline(project.owner)))
    if project.overdue_tasks is not None:
        pairs.append(("Overdue tasks", str(project.overdue_tasks)))
    if project.open_date is not None:
        pairs.append(("Opened", fmt_date(project.open_date)))

    where = escape(project.tracker.label)
    if project.key:
        where = f"{where} · {_inline(project.key, 60)}"
    blocks: list[Block] = [_header(project.name), _context(where), _fields(pairs)]
    blocks += [_task_line(task, today) for task in project.late_tasks[:KITSU_TASK_LINES]]
    _with_actions(
        blocks, _refresh_button(project), _watch_project_button(project), _open_button(project.tracker, project.url)
    )
    return blocks


def _task_line(task: Task, today: date) -> SectionBlock:
    """A Kitsu task on its production's card, with a "Comment" button (the comment form, this
    task chosen, as whoever clicks)."""
    name = link(task.url, truncate(" ".join(task.name.split()), 150) or "(task)")
    parts = [name, _inline(task.status, 60) or "—"]
    if task.due_date is not None:
        parts.append(_dated(task.due_date, today, False))
    if task.assignees:
        parts.append(_inline(", ".join(task.assignees), 200))
    section = _section("• " + " · ".join(parts))
    if len(task.id) <= BUTTON_VALUE_LIMIT:
        section.accessory = ButtonElement(
            text=PlainTextObject(text=messages.KITSU_COMMENT_BUTTON), action_id=ids.KITSU_TASK_COMMENT, value=task.id
        )
    return section


def _project_line(project: ProjectStatus, today: date) -> str:
    name = truncate(" ".join(project.name.split()), 100) or "(untitled)"
    parts = [link(project.url, name), _project_status(project)]
    if project.percent_complete is not None:
        parts.append(progress_bar(project.percent_complete, width=5))
    mark = _overdue_mark(project.target_date, today, project.is_closed)
    if mark:
        parts.append(mark)
    return "• " + " · ".join(parts)


def projects_list(
    projects: Sequence[ProjectStatus], today: date, failures: Mapping[str, str] | None = None
) -> list[Block]:
    """Projects across trackers, grouped by tracker, each group cut to a few lines with
    "…and N more"; `failures` maps a tracker label to a friendly sentence shown as context."""
    blocks: list[Block] = [_header("Projects")]
    for tracker in TrackerName:
        group = [project for project in projects if project.tracker is tracker]
        if not group:
            continue
        title = f"*{escape(tracker.label)}* · {len(group)} project{'s' if len(group) != 1 else ''}"
        section, _ = list_section(
            title,
            [_project_line(project, today) for project in group[:PROJECT_LINES_PER_TRACKER]],
            max_lines=PROJECT_LINES_PER_TRACKER,
            budget=PROJECT_SECTION_BUDGET,
            total=len(group),
        )
        blocks.append(section)
    if not projects:
        blocks.append(_section(messages.NO_PROJECTS_TO_SHOW))
    if failures:
        blocks.append(_context(*(f"{_inline(label, 40)}: {_inline(text, 300)}" for label, text in failures.items())))
    return blocks


# --- assets ----------------------------------------------------------------------------------


def asset_card(asset: Asset) -> list[Block]:
    """One asset: key, name, collection or type, status, its first attributes, attachments,
    who created it and when, and a link."""
    kind = "Type" if asset.tracker is TrackerName.KITSU else "Collection"
    pairs = [
        ("Key", _inline(asset.key, 100) or "—"),
        (kind, _inline(asset.collection) or "—"),
        ("Status", _inline(asset.status) or "—"),
    ]
    if asset.project:
        pairs.append(("Project", _inline(asset.project)))
    blocks: list[Block] = [_header(asset.name), _fields(pairs)]
    attributes = list(asset.attributes.items())
    if attributes:
        shown = attributes[:ASSET_ATTRIBUTE_FIELDS]
        blocks.append(_fields([(truncate(name, 100), _inline(value, 300)) for name, value in shown]))
    if len(attributes) > ASSET_ATTRIBUTE_FIELDS:
        blocks.append(_context(messages.MORE_ATTRIBUTES.format(count=len(attributes) - ASSET_ATTRIBUTE_FIELDS)))
    facts = [escape(asset.tracker.label)]
    if asset.attachments is not None:
        facts.append(f"📎 {asset.attachments} attachment{'s' if asset.attachments != 1 else ''}")
    if asset.created_by or asset.created_at:
        created = "Created"
        if asset.created_by:
            created = f"{created} by {_inline(asset.created_by)}"
        if asset.created_at:
            created = f"{created} on {fmt_date(asset.created_at)}"
        facts.append(created)
    blocks.append(_context(" · ".join(facts)))
    _with_actions(blocks, _open_button(asset.tracker, asset.url))
    return blocks


def _asset_line(asset: Asset) -> str:
    name = link(asset.url, truncate(" ".join(asset.name.split()), 100) or "(unnamed)")
    parts = [f"*{_inline(asset.key, 60)}* {name}" if asset.key else name]
    parts += [_inline(value, 60) for value in (asset.collection, asset.status) if value]
    return "• " + " · ".join(parts)


def _page_button(
    label: str, action_id: str, query: str, start: int, unpaged: Mapping[TrackerName, int]
) -> ButtonElement | None:
    """ "More" or "Previous": where the paged search goes on (`start`) and, for each source that
    does not page and has assets to show, where its section goes on (`u`, by the tracker's key; a
    source left out shows no section on that page): {"q":"laptop","start":10,"u":{"kitsu":5}}."""
    fields = {"q": query, "start": start, "u": {str(tracker): at for tracker, at in unpaged.items()}}
    value = json.dumps(fields, separators=(",", ":"))
    if len(value) > BUTTON_VALUE_LIMIT:  # a cut query would page through another search
        return None
    return ButtonElement(text=PlainTextObject(text=label), action_id=action_id, value=value)


def asset_list(
    page: AssetPage,
    query: str,
    extra: Sequence[Asset] = (),
    starts: Mapping[TrackerName, int] | None = None,
    page_size: int = ASSET_LIST_LINES,
) -> list[Block]:
    """A page of search results ("Showing 1–10 of 34 for “laptop”"), one line per asset, a
    More button when the search has more; `extra` (every match of the sources that do not page)
    in a section per tracker, titled by its label, each from its `starts` on (0 when not given).
    More pages them all: each click shows the next of each that has more; Previous, beside it
    past the first page, the page before (`page_size`: how many the search answers a page)."""
    starts = starts or {}
    quoted = f"“{_inline(query, 100)}”"
    blocks: list[Block] = []
    next_start: int | None = None
    groups: dict[TrackerName, list[Asset]] = {}
    for asset in extra:
        groups.setdefault(asset.tracker, []).append(asset)
    if page.assets:
        lines = [_asset_line(asset) for asset in page.assets[:ASSET_LIST_LINES]]
        section, shown = list_section(None, lines, max_lines=ASSET_LIST_LINES, total=len(page.assets))
        first, last = page.start_at + 1, page.start_at + shown
        shown_text = messages.ASSETS_SHOWN.format(first=first, last=last, total=max(page.total, last), query=quoted)
        blocks += [_section(shown_text), section]
        if last < page.total:
            next_start = last
    elif not any(assets[starts.get(tracker, 0) :] for tracker, assets in groups.items()):
        blocks.append(_section(messages.NO_ASSETS_MATCH.format(query=quoted)))
    onward: dict[TrackerName, int] = {}
    back: dict[TrackerName, int] = {}
    for tracker, assets in groups.items():
        start = starts.get(tracker, 0)
        back[tracker] = max(0, start - UNPAGED_ASSET_LINES)
        rest = assets[start:]
        if not rest:
            continue
        if blocks:
            blocks.append(DividerBlock())
        title = f"*{escape(tracker.label)}* · {len(assets)} asset{'s' if len(assets) != 1 else ''}"
        if start:
            title += " · " + messages.ASSETS_FROM.format(first=start + 1)
        lines = [_asset_line(asset) for asset in rest[:UNPAGED_ASSET_LINES]]
        section, shown = list_section(title, lines, max_lines=UNPAGED_ASSET_LINES, total=len(rest))
        blocks.append(section)
        if shown < len(rest):
            onward[tracker] = start + shown
    previous = None
    if page.start_at > 0 or any(starts.values()):
        previous = _page_button("Previous", ids.ASSET_PREVIOUS, query, max(0, page.start_at - page_size), back)
    more = None
    if next_start is not None or onward:
        # Past the paged search's end, a click pages the other sources only (the search answers no more).
        more = _page_button("More", ids.ASSET_MORE, query, next_start or max(page.total, 1), onward)
    _with_actions(blocks, previous, more)
    return blocks


# --- plain messages --------------------------------------------------------------------------


def help_blocks(examples: Sequence[tuple[str, str]]) -> list[Block]:
    """What the bot can do: one line per (command, what it does)."""
    lines = [f"`{_inline(command, 100)}`  {_inline(what, 200)}" for command, what in examples]
    section, _ = list_section("*What I can do*", lines, max_lines=len(lines))
    return [section]
