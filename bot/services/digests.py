"""Channel digests: what needs attention across the trackers, on demand or every day at a
channel's chosen local time, posted exactly once (the store's claims decide who posts)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.store import check_timezone, local_due_date
from bot.trackers.errors import TrackerError
from bot.trackers.models import Issue, ProjectStatus, Task
from bot.views import digest as digest_view

log = logging.getLogger(__name__)

BEHIND_MARGIN = 20.0  # percentage points under the share of time elapsed that counts as "behind"
TASKS_DUE_DAYS = 3
POST_SPACING_SECONDS = 1.0  # chat.postMessage: about one message a second per channel


def behind(project: ProjectStatus, today: date) -> bool:
    """Percent complete well under the share of time elapsed between open and target dates."""
    if project.is_closed or project.percent_complete is None or not project.open_date or not project.target_date:
        return False
    span = (project.target_date - project.open_date).days
    if span <= 0 or today <= project.open_date:
        return False
    elapsed = min(1.0, (today - project.open_date).days / span) * 100
    return project.percent_complete < elapsed - BEHIND_MARGIN


def attention_reasons(project: ProjectStatus, today: date) -> list[str]:
    reasons = []
    if project.is_overdue(today):
        reasons.append(f"overdue by {(today - project.target_date).days} d")  # type: ignore[operator]
    elif behind(project, today):
        reasons.append("behind schedule")
    if project.health and project.health.strip().lower() not in ("on track", "green", "ok", "healthy"):
        reasons.append(project.health)
    if project.overdue_tasks:
        reasons.append(f"{project.overdue_tasks} overdue task{'s' if project.overdue_tasks != 1 else ''}")
    return reasons


@dataclass
class Digest:
    today: date
    attention: list[tuple[ProjectStatus, list[str]]] = field(default_factory=list)
    projects_checked: int = 0
    opened: list[Issue] = field(default_factory=list)
    closed: list[Issue] = field(default_factory=list)
    open_by_assignee: Counter[str] = field(default_factory=Counter)
    tasks_due: dict[str, list[Task]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        parts = [f"{len(self.attention)} of {self.projects_checked} projects need attention"]
        if self.opened or self.closed or self.open_by_assignee:
            parts.append(f"{len(self.opened)} issues opened and {len(self.closed)} closed in 24 h")
        if self.tasks_due:
            parts.append(f"{sum(len(t) for t in self.tasks_due.values())} Kitsu tasks due in {TASKS_DUE_DAYS} days")
        return " · ".join(parts)


def _in_scope(scope: str | None, tracker: str, project: ProjectStatus | None = None) -> bool:
    if not scope:
        return True
    wanted = scope.lower()
    if wanted == tracker:
        return True
    if project is not None:
        return wanted in (project.id.lower(), (project.key or "").lower(), project.name.lower())
    return False


async def build(rt: Runtime, scope: str | None = None) -> Digest:
    """Fetch every tracker side by side (each bounded by its client's limit) and keep what matters."""
    now = rt.clock()
    digest = Digest(today=now.date())
    trackers = rt.trackers

    async def guarded(label: str, work) -> None:  # type: ignore[no-untyped-def]
        try:
            await work
        except TrackerError as exc:
            digest.failures[label] = str(exc)

    jobs = []
    if trackers.issuetrak:
        jobs.append(guarded("Issuetrak", _issuetrak(rt, digest, now, scope)))
    if trackers.projectrak:
        jobs.append(guarded("Projectrak", _projectrak(rt, digest, scope)))
    if trackers.kitsu:
        jobs.append(guarded("Kitsu", _kitsu(rt, digest, scope)))
    await asyncio.gather(*jobs)
    digest.attention.sort(key=lambda pair: (pair[0].target_date or date.max, pair[0].name))
    return digest


def _consider(digest: Digest, projects: list[ProjectStatus], scope: str | None, tracker: str) -> None:
    for project in projects:
        if project.is_closed or not (_in_scope(scope, tracker) or _in_scope(scope, tracker, project)):
            continue
        digest.projects_checked += 1
        if reasons := attention_reasons(project, digest.today):
            digest.attention.append((project, reasons))


async def _issuetrak(rt: Runtime, digest: Digest, now: datetime, scope: str | None) -> None:
    client = rt.trackers.issuetrak
    assert client is not None
    _consider(digest, await client.list_projects(), scope, "issuetrak")
    if scope and scope.lower() != "issuetrak":
        return
    since = (now - timedelta(hours=24)).replace(tzinfo=None).isoformat(timespec="seconds")
    opened, closed, open_issues = await asyncio.gather(
        client.search_all(filters=[("SubmittedDate", "GreaterThan", since)]),
        client.search_all(filters=[("ClosedDate", "GreaterThan", since)]),
        client.search_all(filters=[("Status", "Equal", "Open")]),
    )
    digest.opened, digest.closed = opened, closed
    digest.open_by_assignee = Counter(issue.assignee or "Unassigned" for issue in open_issues)


async def _projectrak(rt: Runtime, digest: Digest, scope: str | None) -> None:
    client = rt.trackers.projectrak
    assert client is not None
    listed = [p for p in await client.list_projects() if _in_scope(scope, "projectrak") or _in_scope(scope, "projectrak", p)]
    detailed = await asyncio.gather(*(client.get_project(p.key or p.id) for p in listed))
    _consider(digest, list(detailed), scope, "projectrak")


async def _kitsu(rt: Runtime, digest: Digest, scope: str | None) -> None:
    client = rt.trackers.kitsu
    assert client is not None
    projects = [p for p in await client.open_projects() if _in_scope(scope, "kitsu") or _in_scope(scope, "kitsu", p)]
    detailed = await asyncio.gather(*(client.get_project(p.id) for p in projects))
    _consider(digest, list(detailed), scope, "kitsu")
    soon = digest.today + timedelta(days=TASKS_DUE_DAYS)
    for task in await client.open_tasks(due_before=soon + timedelta(days=1)):
        if task.due_date is None or task.due_date < digest.today:
            continue
        for person in task.assignees or ["Unassigned"]:
            digest.tasks_due.setdefault(person, []).append(task)


# --- posting --------------------------------------------------------------------------------------

_channel_locks: dict[str, asyncio.Lock] = {}


async def _post(client: AsyncWebClient, channel: str, digest: Digest) -> str:
    """Post a digest, at most one message a second per channel."""
    lock = _channel_locks.setdefault(channel, asyncio.Lock())
    async with lock:
        answer = await client.chat_postMessage(
            channel=channel, text=digest.summary, blocks=digest_view.as_dicts(digest_view.digest_blocks(digest)),
            unfurl_links=False,
        )
        await asyncio.sleep(POST_SPACING_SECONDS)
    return str(answer.get("ts", ""))


async def post_now(rt: Runtime, client: AsyncWebClient, *, team: str, channel: str, scope: str | None) -> str:
    digest = await build(rt, scope)
    await _post(client, channel, digest)
    return "Posted the digest in this channel."


async def post_due(rt: Runtime, client: AsyncWebClient) -> int:
    """Post every digest due now that this process wins the claim for; returns how many."""
    posted = 0
    for due in await rt.store.due_subscriptions(rt.clock()):
        sub = due.subscription
        if not await rt.store.claim_digest(sub.id, due.due_date, rt.clock()):
            continue
        digest = await build(rt, sub.scope[0] if sub.scope else None)
        ts = await _post(client, sub.channel_id, digest)
        await rt.store.mark_digest_posted(sub.id, due.due_date, ts)
        posted += 1
    return posted


def _may_change(rt: Runtime, user: str) -> bool:
    editors = rt.settings.digest_editors
    return not editors or user in editors


def _scope_text(scope: str | None) -> str:
    return f" for {scope}" if scope else ""


async def schedule(rt: Runtime, *, team: str, channel: str, user: str, at: time, zone: str, scope: str | None) -> str:
    if not _may_change(rt, user):
        return messages.DIGEST_NOT_ALLOWED
    check_timezone(zone)
    hhmm = at.strftime("%H:%M")
    now = rt.clock()
    sub = await rt.store.subscribe(team, channel, hhmm, zone, [scope] if scope else [], user, now)
    # Today's time already passed: start tomorrow rather than posting the moment it is set.
    if (due := local_due_date(sub, now)) is not None:
        await rt.store.claim_digest(sub.id, due, now)
    return messages.DIGEST_SCHEDULED.format(time=hhmm, zone=zone, scope=_scope_text(scope))


async def unschedule(rt: Runtime, *, team: str, channel: str, user: str) -> str:
    if not _may_change(rt, user):
        return messages.DIGEST_NOT_ALLOWED
    return messages.DIGEST_OFF if await rt.store.unsubscribe(team, channel) else messages.DIGEST_WAS_OFF


async def describe(rt: Runtime, *, team: str, channel: str) -> str:
    sub = await rt.store.subscription(team, channel)
    if sub is None:
        return messages.DIGEST_NONE
    return messages.DIGEST_LIST.format(time=sub.time, zone=sub.timezone,
                                       scope=_scope_text(sub.scope[0] if sub.scope else None), user=sub.created_by)

