"""Channel digests: what needs attention across the trackers, on demand or every day at a
channel's chosen local time, posted exactly once (the store's claims decide who posts).

`build` fans out to every tracker at once; each client's own bound (HttpOptions.max_in_flight)
keeps N projects at about ceil(N / C) round trips. Posting a digest in Slack (claimed, paced,
told apart when it fails) is at the Slack edge: `bot.posting.digest_delivery`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day

from bot import messages
from bot.digest import TASKS_DUE_DAYS, Attention, Digest, days
from bot.runtime import Runtime
from bot.services import identity
from bot.store import local_due_date
from bot.times import time_zone
from bot.trackers.capabilities import IssueSource, ProjectSource, TaskSource
from bot.trackers.errors import TrackerError
from bot.trackers.models import Issue, ProjectStatus, TrackerName
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

BEHIND_MARGIN = 20.0  # percentage points under the share of time elapsed that count as "behind"
HEALTHY = frozenset({"on track", "green", "ok", "healthy"})  # Projectrak health values that need nothing
DIGEST_NOW_EVERY = timedelta(minutes=1)  # one `digest now` per channel per minute, across processes

# --- rules ----------------------------------------------------------------------------------------


def behind(project: ProjectStatus, today: date) -> bool:
    """Percent complete more than BEHIND_MARGIN points under the share of time elapsed between
    the open and target dates (exactly at the margin is not behind)."""
    if project.is_closed or project.percent_complete is None or not project.open_date or not project.target_date:
        return False
    span = (project.target_date - project.open_date).days
    if span <= 0 or today <= project.open_date:
        return False
    elapsed = min(1.0, (today - project.open_date).days / span) * 100
    return project.percent_complete < elapsed - BEHIND_MARGIN


def attention_reasons(project: ProjectStatus, today: date) -> list[str]:
    """Why a project needs attention today (empty: it does not). Overdue means the target date
    has passed: on the target date itself a project is not overdue yet."""
    reasons = []
    if project.is_overdue(today):
        reasons.append(messages.ATTENTION_OVERDUE.format(days=days((today - project.target_date).days)))  # type: ignore[operator]
    elif behind(project, today):
        reasons.append(messages.ATTENTION_BEHIND.format(percent=project.percent_complete))
    if project.health and project.health.strip().casefold() not in HEALTHY:
        reasons.append(messages.ATTENTION_HEALTH.format(health=project.health))
    if project.overdue_tasks:
        count = project.overdue_tasks
        reasons.append(messages.ATTENTION_OVERDUE_TASKS.format(count=count, s="s" if count != 1 else ""))
    return reasons


@dataclass(frozen=True)
class Scope:
    """What a digest covers: everything, one of `trackers` (the configured project sources, by
    key: "projectrak"), or the projects whose ID, key or name is `ref` (any case)."""

    ref: str | None = None
    trackers: frozenset[TrackerName] = frozenset()

    @classmethod
    def of(cls, rt: Runtime, ref: str | None) -> Scope:
        return cls(ref, frozenset(source.tracker for source in rt.trackers.project_sources()))

    @property
    def tracker(self) -> TrackerName | None:
        wanted = (self.ref or "").strip().casefold()
        return next((t for t in self.trackers if t.value == wanted), None)

    @property
    def is_project(self) -> bool:
        return bool(self.ref) and self.tracker is None

    def takes(self, tracker: TrackerName) -> bool:
        """Whether the digest reads this tracker at all."""
        return self.is_project or self.tracker in (None, tracker)

    def covers(self, project: ProjectStatus) -> bool:
        if not self.is_project:
            return self.takes(project.tracker)
        wanted = (self.ref or "").strip().casefold()
        return wanted in (project.id.casefold(), (project.key or "").casefold(), project.name.casefold())


# --- the digest -----------------------------------------------------------------------------------


def _consider(digest: Digest, projects: Iterable[ProjectStatus]) -> None:
    """Count the open projects and keep the ones that need attention today."""
    for project in projects:
        if project.is_closed:
            continue
        digest.projects_checked += 1
        if reasons := attention_reasons(project, digest.today):
            digest.attention.append(Attention(project, reasons))


IssueFilter = Callable[[Issue], bool]


def every_issue(_issue: Issue) -> bool:
    """Every issue may be shown (a reader under ISSUE_SCOPE=all)."""
    return True


def shows_issues(rt: Runtime, scope: str | None) -> bool:
    """Whether a digest of `scope` reads Issuetrak's issues (so whoever it is for needs the read rule)."""
    return rt.trackers.issuetrak is not None and Scope.of(rt, scope).takes(TrackerName.ISSUETRAK)


def issues_shown(rt: Runtime, reader: identity.Reader) -> IssueFilter | None:
    """Which Issuetrak issues a digest for the person `reader` describes may show (ISSUE_SCOPE);
    None: none, as Issuetrak could not say who they are (the rest of the digest still goes)."""
    if reader.refusal is not None:
        return None
    return lambda issue: identity.scope_refusal(rt, reader.user, issue) is None


async def build(
    rt: Runtime, scope: str | None = None, *, today: date | None = None, shown: IssueFilter | None = every_issue
) -> Digest:
    """Read every tracker side by side (each bounded by its client's limit) and keep what matters.

    `today` is the digest's local date (the clock's UTC date by default). `shown` keeps the
    Issuetrak issues the digest's reader may see (None: their section is left out, said so). A
    tracker that fails is named in the digest; the others still make it."""
    now = rt.clock()
    digest = Digest(today=today or now.date(), scope=scope)
    wanted = Scope.of(rt, scope)
    trackers = rt.trackers
    await asyncio.gather(
        *(
            _guarded(digest, source.name, _tracker(source, digest, wanted, now, shown))
            for source in trackers.project_sources()
            if wanted.takes(source.tracker)
        )
    )
    for watch in trackers.credential_watches():
        if warning := watch.token_expiry_warning(now):
            digest.warnings.append(warning)  # a token the bot cannot renew: say so daily
    digest.attention.sort(key=lambda item: (item.project.target_date or date.max, item.project.name.casefold()))
    return digest


async def _guarded(digest: Digest, label: str, work: Awaitable[None]) -> None:
    try:
        await work
    except TrackerError as exc:
        log.info("digest: %s", exc)
        digest.failures[label] = str(exc)


async def _tracker(
    source: ProjectSource, digest: Digest, scope: Scope, now: datetime, shown: IssueFilter | None
) -> None:
    """One tracker's part: its projects (with overdue task counts from a task source), the tasks
    due soon, and the issue activity of an issue source (the issues `shown` keeps)."""
    listed = [p for p in await source.list_projects() if scope.covers(p)]
    projects = listed if source.lists_statuses else await _each(digest, source, listed)
    if isinstance(source, TaskSource):
        projects = await _tasks(source, digest, scope, projects)
    _consider(digest, projects)
    if isinstance(source, IssueSource) and not (scope.is_project and not projects):
        if shown is None:
            digest.failures[source.name] = messages.DIGEST_ISSUES_LEFT_OUT
            return
        # Issues of the whole site, or of the projects the scope names.
        activity = await source.issue_activity(now - timedelta(hours=24), projects if scope.is_project else None)
        digest.issues_read = True
        digest.opened = [issue for issue in activity.opened if shown(issue)]
        digest.closed = [issue for issue in activity.closed if shown(issue)]
        open_issues = (issue for issue in activity.still_open if shown(issue))
        digest.open_by_assignee = Counter(issue.assignee or "Unassigned" for issue in open_issues)


async def _each(digest: Digest, source: ProjectSource, listed: list[ProjectStatus]) -> list[ProjectStatus]:
    """Each listed project read with its status; the ones that could not be read are counted in
    the digest."""
    results = await asyncio.gather(*(source.read_project(p.id) for p in listed), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    for error in failed:
        if not isinstance(error, TrackerError):
            raise error
    if failed:
        digest.failures[source.name] = messages.DIGEST_PROJECTS_NOT_READ.format(
            failed=len(failed), listed=len(results), error=failed[0]
        )
    return [r for r in results if isinstance(r, ProjectStatus)]


async def _tasks(
    source: TaskSource, digest: Digest, scope: Scope, projects: list[ProjectStatus]
) -> list[ProjectStatus]:
    """Note each person's tasks due soon; the projects with their overdue task counts."""
    if scope.is_project:  # only the named projects' tasks
        batches = await asyncio.gather(*(source.open_tasks(project_id=p.id) for p in projects))
        tasks = sorted((t for batch in batches for t in batch), key=lambda t: t.due_date or date.max)
    else:
        tasks = await source.open_tasks()
    today, horizon = digest.today, digest.today + timedelta(days=TASKS_DUE_DAYS)
    overdue = Counter(task.project for task in tasks if task.due_date is not None and task.due_date < today)
    for task in tasks:  # soonest first
        if task.due_date is not None and today <= task.due_date <= horizon:
            for person in task.assignees or ["Unassigned"]:
                digest.tasks_due.setdefault(person, []).append(task)
    return [p.model_copy(update={"overdue_tasks": overdue[p.name]}) for p in projects]


# --- subscriptions --------------------------------------------------------------------------------


def may_change(rt: Runtime, user: str) -> bool:
    """DIGEST_EDITORS (anyone when empty) and TRACKER_ADMINS may change and post digests."""
    editors = rt.settings.digest_editors
    return not editors or user in editors or user in rt.settings.admins


def _scope_text(scope: str | None) -> str:
    return f" for {escape(scope)}" if scope else ""


async def scope_known(rt: Runtime, scope: str) -> bool:
    """Whether a digest scope names a tracker or an existing project (True when no tracker could say)."""
    wanted = Scope.of(rt, scope)
    if wanted.tracker is not None:
        return True
    answers = await asyncio.gather(*(s.list_projects() for s in rt.trackers.project_sources()), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, TrackerError):
            raise answer
    read = [projects for projects in answers if isinstance(projects, list)]
    return not read or any(wanted.covers(p) for projects in read for p in projects)


async def schedule(
    rt: Runtime, *, team: str, channel: str, user: str, at: time_of_day, zone: str, scope: str | None
) -> str:
    """`digest daily HH:MM [zone] [scope]`: set (or change) the channel's daily digest, which then
    acts with the rights of `user` (its owner; a paused one is resumed). The read rule for what it
    shows was asked before (`/tracker`'s handler), as for `digest now`."""
    if not may_change(rt, user):
        return messages.DIGEST_NOT_ALLOWED
    try:
        time_zone(zone)
    except ValueError as exc:
        return str(exc)
    if scope and not await scope_known(rt, scope):
        return messages.DIGEST_UNKNOWN_SCOPE.format(scope=escape(scope))
    hhmm = at.strftime("%H:%M")
    now = rt.clock()
    sub = await rt.store.subscribe(team, channel, hhmm, zone, [scope] if scope else [], user, now)
    # Today's time already passed: start tomorrow rather than posting the moment it is set.
    if (due := local_due_date(sub, now)) is not None:
        await rt.store.settle_digest(sub.id, due, now)
    return messages.DIGEST_SCHEDULED.format(time=hhmm, zone=zone, scope=_scope_text(scope))


async def unschedule(rt: Runtime, *, team: str, channel: str, user: str) -> str:
    if not may_change(rt, user):
        return messages.DIGEST_NOT_ALLOWED
    return messages.DIGEST_OFF if await rt.store.unsubscribe(team, channel) else messages.DIGEST_WAS_OFF


async def describe_schedule(rt: Runtime, *, team: str, channel: str, user: str) -> str:
    """`digest list`: the channel's digest, or that it has none (and how to start one, to those who may)."""
    sub = await rt.store.subscription(team, channel)
    if sub is None:
        return messages.DIGEST_NONE if may_change(rt, user) else messages.DIGEST_NONE_NOT_EDITOR
    scope = sub.scope[0] if sub.scope else None
    owner = sub.owner or sub.created_by
    if sub.paused_at is not None:
        return messages.DIGEST_LIST_PAUSED.format(
            time=sub.time,
            zone=sub.timezone,
            scope=_scope_text(scope),
            user=owner,
            scope_arg=f" {escape(scope)}" if scope else "",
        )
    return messages.DIGEST_LIST.format(time=sub.time, zone=sub.timezone, scope=_scope_text(scope), user=owner)
