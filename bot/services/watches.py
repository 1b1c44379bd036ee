"""Watches: starting, stopping and listing them, and the poll that finds what changed.

A watch made in a channel is the channel's; one made in a DM with the bot (a channel ID starting
with D) is the person's, and its news comes to them by DM. The read rules apply when a watch is
made, as for reading an issue (`identity.reader`; a project needs no Issuetrak user), and again
each round for whom it acts (`still_reads`): a channel's watch acts with the rights of its owner,
who set it or last resumed it, and pauses when they may no longer read (`bot.posting.owners`).

The poll (`poll`) reads each distinct watched item once per round, however many watch it, with at
most POLL_CONCURRENCY reads at a time through the process's shared tracker clients (their tokens
and reference data are cached there): Issuetrak issues by the change feed's searches, many in
one call (`issue_feed`, read by one process a round), projects one by one. The first poll of an item only records it; later polls
compare with its watermark and record what changed as news for every watch of the item
(`Store.advance`, a compare-and-swap: one process announces a change). An item that no longer
exists, or that its tracker no longer shows the bot while it still takes the bot's credentials,
is reported once and its watches end; a tracker that does not answer changes nothing.
The Slack edge (`bot.posting.watch_posting`) posts the recorded news.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, issue_feed, lookup
from bot.slack.directory import SlackPerson
from bot.store import Watch, WatchAdded, WatchedItem, WatchEnd, WatchKind, WatchTarget
from bot.trackers.errors import AuthenticationRefused, NotFound, TrackerError
from bot.trackers.models import Issue, ProjectStatus, TrackerName
from bot.trackers.pages import is_number
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

MAX_WATCHES = 50  # per channel, and per person by DM: the poller stays bounded
POLL_CONCURRENCY = 10  # tracker reads side by side in one round
NOTES_SHOWN = 5  # new notes quoted in one piece of news; the rest are counted
NOTE_LINES = 3  # lines quoted of each new note
NOTE_CHARACTERS = 300
ISSUE_FIELDS = ("status", "assignee", "priority", "next_action")
PROJECT_FIELDS = ("status", "progress", "health", "overdue_tasks")


def personal(channel: str) -> bool:
    """Whether a command in `channel` speaks for the person alone (a DM with the bot)."""
    return channel.startswith("D")


def _destination(channel: str, user: str) -> str:
    return user if personal(channel) else channel


def describe_target(target: WatchTarget) -> str:
    """The item as people read it (mrkdwn, escaped)."""
    if target.kind is WatchKind.ISSUE:
        return messages.WATCH_ISSUE_ITEM.format(number=target.item_id, subject=escape(target.name))
    try:
        label = TrackerName(target.tracker).label
    except ValueError:
        label = target.tracker
    return messages.WATCH_PROJECT_ITEM.format(tracker=label, name=escape(target.name))


def issue_target(issue: Issue) -> WatchTarget:
    return WatchTarget(WatchKind.ISSUE, TrackerName.ISSUETRAK.value, str(issue.number), issue.subject, url=issue.url)


def project_target(project: ProjectStatus) -> WatchTarget:
    return WatchTarget(WatchKind.PROJECT, project.tracker.value, project.id, project.name, project.key, project.url)


async def find_project(rt: Runtime, ref: str) -> ProjectStatus | str:
    """The one project `ref` names, found as `/tracker project` finds one, or the sentence why not."""
    found = await lookup.find_projects(rt, ref)
    if len(found.projects) == 1:
        return found.projects[0]
    if found.projects:
        names = ", ".join(
            messages.WATCH_PROJECT_CHOICE.format(
                name=escape(p.name), tracker=p.tracker.label, ref=escape(p.key or p.id)
            )
            for p in found.projects[:10]
        )
        return messages.WATCH_SEVERAL_PROJECTS.format(ref=escape(ref), names=names)
    sentence = messages.NO_PROJECT.format(ref=escape(ref), where=found.where)
    return f"{sentence} {' '.join(found.failures.values())}".strip()


Item = Issue | ProjectStatus


def target_of(item: Item) -> WatchTarget:
    return issue_target(item) if isinstance(item, Issue) else project_target(item)


async def find_item(rt: Runtime, kind: WatchKind, ref: str) -> Item | str:
    """What `watch issue N` / `watch project <ref>` names, read from its tracker now (so it exists)."""
    if kind is WatchKind.ISSUE:
        return await lookup.get_issue(rt, int(ref))
    return await find_project(rt, ref)


async def item_from_value(rt: Runtime, value: str) -> Item | str:
    """The item a "Watch here" button names ("issue:1001", "project:kitsu:<id>"), read now; a value
    that names nothing is said so (NotFound), never trusted."""
    kind, _, rest = value.partition(":")
    if kind == WatchKind.ISSUE.value and is_number(rest):
        return await find_item(rt, WatchKind.ISSUE, rest)
    tracker, _, project_id = rest.partition(":")
    if kind == WatchKind.PROJECT.value and project_id and len(project_id) <= 255:
        try:
            name = TrackerName(tracker)
        except ValueError:
            raise NotFound("trackerbot", "That project") from None
        return await lookup.refresh_project(rt, name, project_id)
    raise NotFound("trackerbot", "That item")


async def watch(rt: Runtime, *, team: str, channel: str, person: SlackPerson, kind: WatchKind, ref: str) -> str:
    """`watch issue N` / `watch project <ref>`: start a watch for the channel (in a DM, the person)."""
    return await _start(rt, team=team, channel=channel, person=person, kind=kind, find=lambda: find_item(rt, kind, ref))


async def watch_here(rt: Runtime, *, team: str, channel: str, person: SlackPerson, value: str) -> str:
    """A "Watch here" click on a card: the same watch, of the item the button names."""
    kind = WatchKind.ISSUE if value.startswith(f"{WatchKind.ISSUE.value}:") else WatchKind.PROJECT
    return await _start(
        rt, team=team, channel=channel, person=person, kind=kind, find=lambda: item_from_value(rt, value)
    )


async def _start(
    rt: Runtime,
    *,
    team: str,
    channel: str,
    person: SlackPerson,
    kind: WatchKind,
    find: Callable[[], Awaitable[Item | str]],
) -> str:
    """The read rules first (nothing of an issue is read for someone who may not read issues; a
    project needs no Issuetrak user), then the item as its tracker has it now, then the watch. A
    paused watch of the item here is resumed, acting for the person from now on."""
    if identity.shut_out(rt, person):
        return messages.GUEST_REFUSED
    reader = identity.Reader(None)
    if kind is WatchKind.ISSUE:
        reader = await identity.reader(rt, team, person)
        if reader.refusal:
            return reader.refusal
    item = await find()
    if isinstance(item, str):
        return item
    if isinstance(item, Issue) and (refusal := identity.issue_refusal(rt, reader, item)):
        return refusal
    target = target_of(item)
    alone = personal(channel)
    added, existing = await rt.store.add_watch(
        team,
        _destination(channel, person.id),
        target,
        personal=alone,
        by=person.id,
        now=rt.clock(),
        cap=MAX_WATCHES,
    )
    item = describe_target(target)
    paused = added is WatchAdded.ALREADY and existing is not None and existing.paused_at is not None
    if paused and existing is not None and await rt.store.resume_watch(existing.id, person.id):
        return messages.WATCH_RESUMED.format(item=item, owner=existing.owner or existing.created_by)
    if added is WatchAdded.ALREADY:
        return (messages.WATCH_ALREADY_PERSONAL if alone else messages.WATCH_ALREADY).format(item=item)
    if added is WatchAdded.FULL:
        return (messages.WATCH_FULL_PERSONAL if alone else messages.WATCH_FULL).format(cap=MAX_WATCHES)
    started = messages.WATCH_STARTED_PERSONAL if alone else messages.WATCH_STARTED
    return started.format(item=item, every=f"{rt.settings.WATCH_POLL_SECONDS} s")


async def still_reads(rt: Runtime, team: str, person: SlackPerson, *, issues: bool) -> identity.Reader:
    """Whether the person a watch or digest acts for (a channel's: its owner; a personal watch's:
    its person) may still read what it shows (`issues`: Issuetrak issues), under the rules applied
    when it was set: a guest, or a person Slack no longer knows, may not, and issues need the read
    rule. A TRACKER_ADMINS member's stay while they stay admin. `down`: Issuetrak cannot say now."""
    admin = person.id in rt.settings.admins
    if not admin and not person.known:
        return identity.Reader(messages.PERSON_UNKNOWN)
    if not admin and identity.shut_out(rt, person):
        return identity.Reader(messages.GUEST_REFUSED)
    if not issues or rt.trackers.issuetrak is None:
        return identity.Reader(None)
    try:
        reader = await identity.reader(rt, team, person)
    except TrackerError as exc:
        return identity.Reader(str(exc), down=True)
    if admin and reader.refusal is not None and not reader.down:
        return identity.Reader(None)
    return reader


def news_shown(rt: Runtime, reader: identity.Reader, body: dict[str, Any]) -> bool:
    """Whether a piece of news may be told to the person `reader` describes: news of an issue
    only while the issue (as the poll read it) is in their ISSUE_SCOPE."""
    if reader.refusal is not None:
        return False
    if not isinstance(body.get("issue"), int):
        return True
    organization = body.get("organization")
    number, organization = int(body["issue"]), organization if isinstance(organization, int) else None
    return identity.organization_refusal(rt, reader.user, number, organization) is None


def shows_issues(watch: Watch) -> bool:
    """Whether a watch's news shows Issuetrak issues (so whom it acts for needs the read rule)."""
    return watch.target.kind is WatchKind.ISSUE


def resume_command(target: WatchTarget) -> str:
    """What to type to watch `target` again (and so resume a paused watch of it)."""
    if target.kind is WatchKind.ISSUE:
        return f"/tracker watch issue {target.item_id}"
    return f"/tracker watch project {target.name}"


def _names(watch: Watch, kind: WatchKind, ref: str) -> bool:
    """Whether `ref` names the watched item as people would type it."""
    target = watch.target
    if target.kind is not kind:
        return False
    wanted = ref.strip().lstrip("#").casefold()
    return wanted in {target.item_id.casefold(), (target.key or "").casefold(), target.name.casefold()}


def may_stop_elsewhere(rt: Runtime, watch: Watch, actor: str) -> bool:
    """Who may stop a watch from outside its channel (the Home tab): whoever set it, or an admin.
    In its channel anyone may (`unwatch` there: they are in the channel; a personal watch is
    reached only from its person's own DM)."""
    return actor == watch.created_by or actor in rt.settings.admins


async def unwatch(rt: Runtime, *, team: str, channel: str, user: str, kind: WatchKind, ref: str) -> str:
    """Stop the watch of the item `ref` names, here (this channel, or in a DM the person's own)."""
    alone = personal(channel)
    mine = await rt.store.watches_at(team, _destination(channel, user))
    found = next((w for w in mine if _names(w, kind, ref)), None)
    if found is None and kind is WatchKind.PROJECT and mine:
        project = await find_project(rt, ref)  # a ref of its own tracker, as `watch project` took it
        if isinstance(project, ProjectStatus):
            key = project_target(project).item_key
            found = next((w for w in mine if w.target.item_key == key), None)
    if found is None:
        what = (messages.WATCH_WHAT_ISSUE if kind is WatchKind.ISSUE else messages.WATCH_WHAT_PROJECT).format(
            ref=escape(ref)
        )
        return (messages.NOT_WATCHING_PERSONAL if alone else messages.NOT_WATCHING).format(what=what)
    # Here is the watch's channel (or its person's own DM): anyone here may stop it.
    await rt.store.end_watch(found.id, WatchEnd.UNWATCHED, rt.clock())
    said = messages.UNWATCHED_PERSONAL if found.personal else messages.UNWATCHED
    return said.format(item=describe_target(found.target))


async def listing(rt: Runtime, *, team: str, channel: str, user: str) -> str:
    """`watching`: the channel's watches (in a DM, the person's)."""
    alone = personal(channel)
    found = await rt.store.watches_at(team, _destination(channel, user))
    if not found:
        return messages.WATCHING_NONE_PERSONAL if alone else messages.WATCHING_NONE
    head = (messages.WATCHING_LIST_PERSONAL if alone else messages.WATCHING_LIST).format(
        count=len(found), cap=MAX_WATCHES
    )
    lines = [f"• {_entry(w)}" for w in found]
    return "\n".join([head, *lines])


def _entry(watch: Watch) -> str:
    """A watch as `watching` lists it: the item, whom it acts for, and whether it is paused."""
    said = messages.WATCHING_ENTRY_PAUSED if watch.paused_at is not None else messages.WATCHING_ENTRY
    return said.format(item=describe_target(watch.target), by=watch.owner or watch.created_by)


async def home_lines(rt: Runtime, *, team: str, user: str) -> list[tuple[str, int]]:
    """The watches a person set, wherever their news goes: a line each, with the watch's id (the
    Home tab, whose Stop buttons carry it)."""
    return [
        (
            messages.HOME_WATCH_WHERE_PERSONAL.format(item=describe_target(w.target))
            if w.personal
            else messages.HOME_WATCH_WHERE.format(item=describe_target(w.target), channel=w.destination),
            w.id,
        )
        for w in await rt.store.watches_by(team, user)
    ]


async def stop_from_home(rt: Runtime, *, team: str, actor: str, value: str) -> str | None:
    """A Stop click on the Home tab: away from the watch's channel, so only whoever set the watch
    or an admin may stop it (the button's value could be anyone's watch id). None when it stopped
    (the Home tab, published again, shows it gone); else the sentence why not."""
    found = await rt.store.watch(team, int(value)) if is_number(value, digits=18) else None
    if found is None or found.ended_at is not None:
        return messages.WATCH_ALREADY_ENDED
    if not may_stop_elsewhere(rt, found, actor):
        return messages.UNWATCH_NOT_ALLOWED
    await rt.store.end_watch(found.id, WatchEnd.UNWATCHED, rt.clock())
    return None


# --- the poll ------------------------------------------------------------------------------------


@dataclass
class Polled:
    """What one poll did: items read, news recorded, items gone, items that could not be read."""

    items: int = 0
    changed: int = 0
    gone: int = 0
    unreadable: int = 0


def issue_snapshot(issue: Issue) -> dict[str, Any]:
    """What a watch compares between polls of an issue: the change feed's watermark."""
    return issue_feed.snapshot(issue)


def project_snapshot(project: ProjectStatus) -> dict[str, Any]:
    percent = project.percent_complete
    return {
        "name": project.name,
        "status": project.status,
        "progress": None if percent is None else f"{percent:.0f}%",
        "health": project.health,
        "overdue_tasks": project.overdue_tasks,
    }


def first_lines(text: str) -> str:
    """A note's first lines, short enough to quote in news."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][:NOTE_LINES]
    short = " / ".join(lines)
    return short if len(short) <= NOTE_CHARACTERS else short[: NOTE_CHARACTERS - 1] + "…"


def _changes(before: dict[str, Any], after: dict[str, Any], fields: tuple[str, ...]) -> list[list[Any]]:
    return [[name, before.get(name), after.get(name)] for name in fields if before.get(name) != after.get(name)]


def issue_news(before: dict[str, Any], issue: Issue) -> dict[str, Any] | None:
    """What changed since `before`: fields, and new public notes (never a private one)."""
    after = issue_snapshot(issue)
    fresh = issue_feed.new_public_notes(before, issue)
    notes = [
        {"id": n.id, "author": n.created_by or "", "text": first_lines(issue_feed.readable(n.text))}
        for n in fresh[:NOTES_SHOWN]
    ]
    changes = _changes(before, after, ISSUE_FIELDS)
    if not changes and not notes:
        return None
    return {
        "changes": changes,
        "notes": notes,
        "more_notes": max(0, len(fresh) - NOTES_SHOWN),
        **whose(issue),
    }


def whose(issue: Issue) -> dict[str, Any]:
    """What every piece of news of an issue carries, however it was learned (a poll, a change
    from Slack): the issue, and whose it is now, for ISSUE_SCOPE when it is told (`news_shown`)."""
    return {"issue": issue.number, "organization": issue.organization_id}


def project_news(before: dict[str, Any], project: ProjectStatus) -> dict[str, Any] | None:
    changes = _changes(before, project_snapshot(project), PROJECT_FIELDS)
    return {"changes": changes, "notes": [], "more_notes": 0} if changes else None


Read = Callable[[WatchTarget], Awaitable[Issue | ProjectStatus]]


def _project_reader(rt: Runtime) -> Read:
    """Watched projects, each read from its tracker."""

    async def read(target: WatchTarget) -> ProjectStatus:
        return await lookup.refresh_project(rt, TrackerName(target.tracker), target.item_id)

    return read


def _from_reading(reading: issue_feed.Reading) -> Read:
    """The watched issues as the change feed's round read them."""

    async def read(target: WatchTarget) -> Issue:
        number = int(target.item_id)
        if number in reading.failures:
            raise reading.failures[number]
        return reading.issues[number]

    return read


def _heading(target: WatchTarget, found: Issue | ProjectStatus | None) -> dict[str, Any]:
    """The item as the news names it: as read now, else as it was when watched."""
    name, url = target.name, target.url
    if isinstance(found, Issue):
        name, url = found.subject, found.url or url
    elif isinstance(found, ProjectStatus):
        name, url = found.name, found.url or url
    return {"item": describe_target(replace(target, name=name, url=url)), "url": url}


async def _gone(rt: Runtime, item: WatchedItem, reason: str, done: Polled) -> None:
    """Report the item once to every watch of it, and end them (one process wins the swap)."""
    gone = {**_heading(item.target, None), "gone": reason}
    if await rt.store.advance(item.target.item_key, item.version, None, rt.clock(), news_body=gone, gone=True):
        done.gone += 1


# An item's first poll, recorded with the others' after the round: its key, version and snapshot.
FirstPoll = tuple[str, int, dict[str, Any]]


async def _poll_one(
    rt: Runtime, item: WatchedItem, done: Polled, refused: list[WatchedItem], read: Read, first: list[FirstPoll]
) -> None:
    target = item.target
    try:
        found = await read(target)
    except NotFound as exc:
        await _gone(rt, item, str(exc), done)
        return
    except AuthenticationRefused:  # this item closed to the bot, or its credentials refused: told apart after
        refused.append(item)
        return
    except (TrackerError, ValueError) as exc:  # an outage (or a tracker no longer set up): next round
        log.info("watch: %s could not be read this round (%s)", target.item_key, type(exc).__name__)
        done.unreadable += 1
        return
    now = rt.clock()
    snapshot = issue_snapshot(found) if isinstance(found, Issue) else project_snapshot(found)
    if item.snapshot is None:  # the first poll records the item (with the round's others), and announces nothing
        first.append((target.item_key, item.version, snapshot))
        return
    news = issue_news(item.snapshot, found) if isinstance(found, Issue) else project_news(item.snapshot, found)
    if news is None and snapshot == item.snapshot:
        return
    said = None if news is None else await _attributed(rt, {**_heading(target, found), **news})
    if await rt.store.advance(target.item_key, item.version, snapshot, now, news_body=said) and said is not None:
        done.changed += 1


async def _attributed(rt: Runtime, news: dict[str, Any]) -> dict[str, Any]:
    """Each new note the outbox wrote from Slack marked with its Slack person and channel, so the
    news is not echoed where it was written (`bot.posting.watch_posting`)."""
    ids = [note["id"] for note in news.get("notes", []) if isinstance(note.get("id"), int)]
    written = await rt.store.slack_notes(ids) if ids else {}
    for note in news.get("notes", []):
        if (found := written.get(note.get("id") or 0)) is not None:
            note["slack_user"], note["slack_channel"] = found
    return news


async def _settle_refusals(rt: Runtime, refused: list[WatchedItem], done: Polled) -> None:
    """Items a tracker refused to show the bot: when the same tracker still takes the bot's
    credentials (one probe call), those items alone became unreadable and their watches end; when
    it refuses the probe too, the credentials are at fault (a rotated key) and every watch waits."""
    probes = rt.trackers.probes()
    for tracker in sorted({item.target.tracker for item in refused}):
        mine = [item for item in refused if item.target.tracker == tracker]
        probe = probes.get(TrackerName(tracker))
        try:
            answers = probe is not None and bool(await probe.ping())
        except (TrackerError, TimeoutError):
            answers = False
        if not answers:
            log.warning("watch: %s refused trackerbot's credentials; %d watched items wait", tracker, len(mine))
            done.unreadable += len(mine)
            continue
        for item in mine:
            await _gone(rt, item, messages.WATCH_REFUSED.format(tracker=TrackerName(tracker).label), done)


async def _issue_reader(
    rt: Runtime, watched: list[WatchedItem], concurrency: int, also: issue_feed.Follower | None
) -> Read | None:
    """The watched issues, read by one round of the change feed (`issue_feed`), which `also`
    (the triage subscriptions) reads with them and records from; None when another process
    reads this round (it announces what changed). An Issuetrak that does not answer, or is not
    set up, makes each issue unreadable this round."""
    numbers = {int(item.target.item_id) for item in watched if item.target.kind is WatchKind.ISSUE}
    if not numbers and (also is None or also.empty):
        return _project_reader(rt)
    try:
        reading = await issue_feed.round_of(
            rt,
            wanted=numbers | (also.numbers if also else set()),
            scopes=also.scopes if also else issue_feed.Scopes(),
            named=also.named if also else None,
            consume=also.record if also else None,
            concurrency=concurrency,
        )
    except (TrackerError, ValueError) as exc:
        failed: Exception = exc

        async def unreadable(_target: WatchTarget) -> Issue:
            raise failed

        return unreadable
    return None if reading is None else _from_reading(reading)


async def poll(rt: Runtime, *, concurrency: int = POLL_CONCURRENCY, also: issue_feed.Follower | None = None) -> Polled:
    """Read every watched item once (issues by the change feed's search, at most `concurrency`
    calls at a time, with what `also` follows) and record what changed."""
    watched = await rt.store.watched_items()
    read_issues = await _issue_reader(rt, watched, concurrency, also)
    if read_issues is None:  # another process reads the issues this round
        watched = [item for item in watched if item.target.kind is not WatchKind.ISSUE]
    done, projects = Polled(items=len(watched)), _project_reader(rt)
    slots = asyncio.Semaphore(concurrency)

    refused: list[WatchedItem] = []
    first: list[FirstPoll] = []

    async def one(item: WatchedItem) -> None:
        read = read_issues if item.target.kind is WatchKind.ISSUE and read_issues is not None else projects
        async with slots:
            try:
                await _poll_one(rt, item, done, refused, read, first)
            except Exception:  # one item's failure must not stop the round
                log.exception("watch: polling %s failed", item.target.item_key)
                done.unreadable += 1

    await asyncio.gather(*(one(item) for item in watched))
    try:
        await rt.store.first_polls(first, rt.clock())
    except Exception:  # as one item's failure: those items are polled for the first time again next round
        log.exception("watch: recording %d first polls failed", len(first))
        done.unreadable += len(first)
    if refused:
        await _settle_refusals(rt, refused, done)
    return done
