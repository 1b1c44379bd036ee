"""Personal notifications by DM: an issue assigned to me, the next action to me (both on unless
turned off), a public note on an issue I submitted or am assigned to, an issue I submitted closed.

Everyone linked to an Issuetrak user may be notified; the change feed reads the whole site's open
issues (and those submitted or closed since the last round) for them, and each issue's watermark
(`NotifyStore.advance_notify`, a compare-and-swap) records the DMs one change owes, once. Nothing
is recorded for a change the person made from Slack (the outbox says whose note it was), nor in
the first round after they linked or changed their choices (the change may be older than that).
The DMs are sent by `bot.posting.notify_posting`, after the person's rights are asked again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, issue_feed, triage
from bot.services.issue_feed import Change, Event, Reading, Scopes
from bot.slack.directory import SlackPerson
from bot.store.notify import KINDS, NotifySettings, Recipient
from bot.times import stored_time, time_of_day
from bot.views.mrkdwn import escape

KIND_LABELS = {
    "assigned": "an issue is assigned to me",
    "next_action": "the next action of an issue is mine",
    "notes": "a public note on an issue I submitted or am assigned to",
    "closed": "an issue I submitted is closed",
}


def _targets(event: Event) -> list[tuple[str | None, str]]:
    """Whose Issuetrak user hears of `event`, and by which choice."""
    issue = event.issue
    match event.change:
        case Change.ASSIGNED:
            return [(issue.assignee_id, "assigned")]
        case Change.NEXT_ACTION:
            return [(issue.next_action_id, "next_action")]
        case Change.NOTE:
            return [(issue.submitted_by_id, "notes"), (issue.assignee_id, "notes")]
        case Change.CLOSED:
            return [(issue.submitted_by_id, "closed")]
        case _:
            return []


@dataclass
class Notifications:
    """An `issue_feed.Follower`: the whole site's issues, for everyone who may be notified."""

    rt: Runtime
    recipients: list[Recipient]
    recorded: int = 0
    numbers: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.recipients

    @property
    def scopes(self) -> Scopes:
        return Scopes(site=True)

    def named(self, cursor: datetime | None) -> dict[str, issue_feed.Query]:
        return {}

    async def record(self, reading: Reading) -> None:
        self.recorded += await record(self.rt, self.recipients, reading)


async def followed(rt: Runtime) -> Notifications:
    return Notifications(rt, await rt.store.recipients() if rt.trackers.issuetrak is not None else [])


def _listening(recipient: Recipient, since: datetime | None) -> bool:
    """Whether the person had their choices (and link) for the whole time since the last round."""
    changed = max((m for m in (recipient.settings.changed_at, recipient.linked_at) if m is not None), default=None)
    return since is not None and (changed is None or changed < since)


async def record(rt: Runtime, recipients: list[Recipient], reading: Reading) -> int:
    """Record the DMs this round's reading owes; returns how many."""
    by_user: dict[str, list[Recipient]] = defaultdict(list)
    for recipient in recipients:
        if _listening(recipient, reading.since):
            by_user[recipient.issuetrak_user].append(recipient)
    marks, now, recorded = await rt.store.notify_watermarks(), rt.clock(), 0
    changed = [
        issue
        for number, issue in sorted(reading.issues.items())
        if marks.get(number) is None or marks[number][0] != issue_feed.snapshot(issue)
    ]
    notes = [n.id for issue in changed for n in issue.notes if n.id is not None]
    slack_notes = await rt.store.slack_notes(notes) if notes and by_user else {}
    names = await triage.names_of(rt) if by_user else {}
    first = {
        issue.number: issue_feed.snapshot(issue)
        for issue in changed
        if issue.number not in marks and not (reading.since is not None and issue.number in reading.submitted)
    }
    await rt.store.first_notify_sightings(first)  # recorded, announced to no one
    for issue in changed:
        if issue.number in first:
            continue
        mark = marks.get(issue.number)
        before: dict[str, Any] | None = mark[0] if mark else None
        lines: dict[tuple[str, str], list[str]] = defaultdict(list)
        for event in issue_feed.events(before or {}, issue, slack_notes):
            for user, kind in _targets(event):
                for recipient in by_user.get(user or "", []):
                    person = recipient.settings
                    if kind in person.kinds and event.by_slack != person.user_id:
                        said = triage.said(event, names)
                        if said not in lines[(person.team_id, person.user_id)]:
                            lines[(person.team_id, person.user_id)].append(said)
        body = {"issue": issue.model_dump(mode="json")}
        owed = [(team, user, {**body, "lines": said}) for (team, user), said in lines.items()]
        if await rt.store.advance_notify(
            issue.number, mark[1] if mark else None, issue_feed.snapshot(issue), owed, now
        ):
            recorded += len(owed)
    return recorded


# --- settings ---------------------------------------------------------------------------------------


async def choose(rt: Runtime, *, team: str, user: str, kinds: list[str]) -> NotifySettings:
    """The Home tab's checkboxes, saved at once."""
    return await rt.store.save_notify_settings(team, user, rt.clock(), kinds=[k for k in kinds if k in KINDS])


def quiet_span(start: object, end: object) -> tuple[str, str]:
    """The one rule of quiet hours, wherever they are set (the command, the Home tab): two times of
    day written "HH:MM" on a 24-hour clock, in the person's Slack time zone (kept as written and read
    in that zone when a DM is due), that differ; else ValueError."""
    if not isinstance(start, str) or not isinstance(end, str):
        raise ValueError("quiet hours need a start and an end")
    first, last = stored_time(start), stored_time(end)
    if first == last:
        raise ValueError("quiet hours need a start and an end that differ")
    return first, last


async def save_quiet(rt: Runtime, *, team: str, user: str, span: tuple[str, str] | None) -> NotifySettings:
    """Keep the person's quiet hours (`quiet_span`'s), or none (`span` None)."""
    return await rt.store.save_notify_settings(team, user, rt.clock(), quiet=span or (None, None))


async def quiet_hours(rt: Runtime, *, team: str, user: str, text: str) -> str:
    """`notify quiet 22:00-07:00` (in the person's Slack time zone) or `notify quiet off`."""
    if text.strip().lower() in ("off", "none"):
        await save_quiet(rt, team=team, user=user, span=None)
        return messages.NOTIFY_QUIET_OFF
    start, _, end = text.replace(" ", "").partition("-")
    try:
        span = quiet_span(start, end)
    except ValueError:
        return messages.NOTIFY_QUIET_USAGE
    await save_quiet(rt, team=team, user=user, span=span)
    return messages.NOTIFY_QUIET_SET.format(start=span[0], end=span[1])


async def quiet_from_home(
    rt: Runtime, *, team: str, user: str, start: object, end: object
) -> tuple[NotifySettings | None, str | None]:
    """A quiet-hours picker of the Home tab changed: `start` and `end` as the Home tab shows them
    now (None: that picker is empty, so the end kept is used). Saved at once when both ends are
    known; (None, None) while one is still to be picked; (None, the sentence why) when a value is
    refused, and nothing changes."""
    kept = await rt.store.notify_settings(team, user)
    start = kept.quiet_start if start is None else start
    end = kept.quiet_end if end is None else end
    if start is None or end is None:
        return None, None
    try:
        span = quiet_span(start, end)
    except ValueError:
        return None, messages.NOTIFY_QUIET_HOME_REFUSED
    return await save_quiet(rt, team=team, user=user, span=span), None


def is_quiet(settings: NotifySettings, local: time) -> bool:
    """Whether `local` (the person's wall-clock time) is inside their quiet hours (which may span midnight)."""
    if settings.quiet_start is None or settings.quiet_end is None:
        return False
    start, end = time_of_day(settings.quiet_start), time_of_day(settings.quiet_end)
    return start <= local < end if start <= end else local >= start or local < end


async def shown(rt: Runtime, *, team: str, person: SlackPerson, home: str | None) -> str:
    """`/tracker notify`: the person's choices and quiet hours, and where to change them (`home`:
    a link to the Home tab, None when the app's id is unknown). Only a person trackerbot knows in
    Issuetrak is notified (`NotifyStore.recipients`), so this asks who they are, which records an
    email match as using any command does, and says why no DM will come when none will."""
    settings = await rt.store.notify_settings(team, person.id)
    if rt.trackers.issuetrak is None:
        return describe_settings(settings, home, messages.NOTIFY_NO_ISSUETRAK)
    standing = await identity.identify(rt, team, person)
    if standing.user is not None:
        return describe_settings(settings, home)
    why = identity.refusal_sentence(rt, standing, person, reading=True)
    return describe_settings(settings, home, messages.NOTIFY_NOT_NOTIFIED.format(why=why))


def describe_settings(settings: NotifySettings, home: str | None = None, refusal: str | None = None) -> str:
    """The person's choices and quiet hours, where to change them, and why no DM comes (`refusal`)."""
    chosen = [f"{'☑' if kind in settings.kinds else '☐'} {label}" for kind, label in KIND_LABELS.items()]
    quiet = (
        messages.NOTIFY_QUIET_IS.format(start=settings.quiet_start, end=settings.quiet_end)
        if settings.quiet_start and settings.quiet_end
        else messages.NOTIFY_QUIET_NONE
    )
    where = messages.NOTIFY_HOME if home is None else messages.NOTIFY_HOME_LINK.format(url=escape(home))
    return "\n".join([messages.NOTIFY_HEAD, *chosen, quiet, where, *([refusal] if refusal else [])])
