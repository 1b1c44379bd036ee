"""One change feed of Issuetrak issues, read by search (docs/trackers.md, "The change feed").

A round reads, with at most `concurrency` calls in flight:
- the open issues of the scopes followed (the whole site, or some projects), page after page of
  `POST issues/search` with their notes in the same answer (`CanIncludeNotes`);
- with a cursor (the start of the last round), the issues submitted (`SubmittedDate`) and closed
  (`ClosedDate`) after it: an issue opened and closed between two rounds, or one just closed;
- the wanted issues (the watched ones) none of those searches returned, by number, many in one
  search (`IssueNumber` Equal, joined by Or);
- and one GET only for a wanted issue no search returned at all: a search cannot tell an issue
  that no longer exists from one closed to the bot.

`events` then turns an issue's watermark (`snapshot`) and the issue as read into what happened
to it: new, closed, assigned, next action, substatus, priority, status and each public note, with
the Slack person who did it when a note the outbox wrote says so (`Reading.slack_notes`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from bot import messages
from bot.runtime import Runtime
from bot.trackers.errors import TrackerError
from bot.trackers.issuetrak import IssuetrakClient, SearchFilter
from bot.trackers.models import Issue, IssuePage, Note

FEED = "issuetrak"  # the feed's row in the store (its round's claim and cursor)
PAGE_SIZE = 100  # issues per search page
NUMBERS_PER_SEARCH = 100  # issue numbers asked for in one search
OPEN: SearchFilter = ("Status", "Equal", "Open")

T = TypeVar("T")


@dataclass(frozen=True)
class Scopes:
    """What a round reads beyond the wanted issues: the whole site's open issues, or some projects'."""

    site: bool = False
    projects: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.site and not self.projects

    def groups(self) -> list[list[SearchFilter]]:
        """The `any_of` groups that keep a search within the scopes (none: the whole site)."""
        if self.site or not self.projects:
            return []
        ordered = sorted(self.projects)
        return [
            [("ProjectID", "Equal", p) for p in ordered[i : i + NUMBERS_PER_SEARCH]]
            for i in range(0, len(ordered), NUMBERS_PER_SEARCH)
        ]


@dataclass
class Reading:
    """What one round read: every issue seen (with its notes), the wanted issues no search returned
    and why their own read failed, the issues submitted and closed since the cursor, the notes the
    outbox wrote from Slack (note id to Slack user), and how many calls it took."""

    issues: dict[int, Issue] = field(default_factory=dict)
    failures: dict[int, Exception] = field(default_factory=dict)
    submitted: set[int] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    named: dict[str, set[int]] = field(default_factory=dict)
    since: datetime | None = None
    calls: int = 0


# The named queries of a round (a subscription's new issues), made once the cursor is known.
Query = tuple[list[SearchFilter], list[list[SearchFilter]]]
NamedQueries = Callable[[datetime | None], Mapping[str, Query]]


class _Calls:
    """At most `limit` calls in flight, counted."""

    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.count = 0

    async def __call__(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self.slots:
            self.count += 1
            return await call()


async def _every_page(
    client: IssuetrakClient, calls: _Calls, filters: Sequence[SearchFilter], any_of: Sequence[Sequence[SearchFilter]]
) -> list[Issue]:
    """Every issue of one query: the first page says how many, then the rest side by side."""

    def page(index: int) -> Callable[[], Awaitable[IssuePage]]:
        return lambda: client.search_issues(
            filters=filters,
            any_of=any_of,
            page_index=index,
            page_size=PAGE_SIZE,
            order_by="IssueNumber",
            descending=False,
            include_notes=True,
        )

    first = await calls(page(0))
    pages = -(-first.total // PAGE_SIZE)
    rest = await asyncio.gather(*(calls(page(index)) for index in range(1, pages)))
    return [issue for found in (first, *rest) for issue in found.issues]


async def read(
    client: IssuetrakClient,
    *,
    wanted: Collection[int] = (),
    scopes: Scopes = Scopes(),
    since: datetime | None = None,
    named: Mapping[str, Query] | None = None,
    concurrency: int = 10,
) -> Reading:
    """One round of the feed (see the module's docstring); `named` queries' issues are kept under
    their names too. A search that fails fails the round (TrackerError): nothing is compared
    against a partial reading."""
    calls, reading = _Calls(concurrency), Reading(since=since)
    queries: list[tuple[list[SearchFilter], list[list[SearchFilter]], set[int] | None]] = []
    if not scopes.empty:
        groups = scopes.groups() or [[]]
        for group in groups:
            any_of = [group] if group else []
            queries.append(([OPEN], any_of, None))
            if since is not None:
                queries.append(([("SubmittedDate", "GreaterThan", since)], any_of, reading.submitted))
                queries.append(([("ClosedDate", "GreaterThan", since)], any_of, reading.closed))
    for name, (filters, any_of) in (named or {}).items():
        queries.append((filters, any_of, reading.named.setdefault(name, set())))
    found = await asyncio.gather(*(_every_page(client, calls, f, a) for f, a, _ in queries))
    for (_, _, marks), issues in zip(queries, found, strict=True):
        for issue in issues:
            reading.issues[issue.number] = issue
            if marks is not None:
                marks.add(issue.number)
    unseen = sorted(set(wanted) - reading.issues.keys())
    chunks = [unseen[i : i + NUMBERS_PER_SEARCH] for i in range(0, len(unseen), NUMBERS_PER_SEARCH)]
    by_number = await asyncio.gather(
        *(_every_page(client, calls, [], [[("IssueNumber", "Equal", n) for n in chunk]]) for chunk in chunks)
    )
    for issues in by_number:
        reading.issues.update((issue.number, issue) for issue in issues)

    async def one(number: int) -> None:
        try:
            reading.issues[number] = await calls(lambda: client.get_issue(number, include_notes=True))
        except TrackerError as exc:
            reading.failures[number] = exc

    await asyncio.gather(*(one(n) for n in unseen if n not in reading.issues))
    reading.calls = calls.count
    return reading


class Follower(Protocol):
    """What else a round reads and records from (the triage subscriptions): issue numbers, named
    queries, and what to record once the round was read."""

    @property
    def empty(self) -> bool: ...

    @property
    def numbers(self) -> set[int]: ...

    @property
    def scopes(self) -> Scopes: ...

    def named(self, cursor: datetime | None) -> Mapping[str, Query]: ...

    async def record(self, reading: Reading) -> None: ...


@dataclass
class Together:
    """Several followers read by one round: their numbers and scopes joined, each records."""

    followers: Sequence[Follower]

    @property
    def empty(self) -> bool:
        return all(f.empty for f in self.followers)

    @property
    def numbers(self) -> set[int]:
        return set().union(*(f.numbers for f in self.followers))

    @property
    def scopes(self) -> Scopes:
        active = [f.scopes for f in self.followers if not f.empty]
        return Scopes(site=any(s.site for s in active), projects=frozenset().union(*(s.projects for s in active)))

    def named(self, cursor: datetime | None) -> Mapping[str, Query]:
        return {key: q for f in self.followers for key, q in f.named(cursor).items()}

    async def record(self, reading: Reading) -> None:
        for follower in self.followers:
            if not follower.empty:
                await follower.record(reading)


async def round_of(
    rt: Runtime,
    *,
    wanted: Collection[int] = (),
    scopes: Scopes = Scopes(),
    named: NamedQueries | None = None,
    concurrency: int = 10,
    consume: Callable[[Reading], Awaitable[None]] | None = None,
) -> Reading | None:
    """Read the feed once, under the round's claim (the store's one claim, on the feed's row):
    None when another process is reading it now (its reading announces this round). `consume`
    records what the reading says; the cursor moves on to when this round began only once the
    round was read whole and consumed (a process that dies before leaves it to the next round,
    whose watermarks and thread rows announce nothing twice)."""
    client, now = rt.trackers.require_issuetrak(), rt.clock()
    taken = await rt.store.claim_round(FEED, now, rt.settings.CLAIM_LEASE_SECONDS)
    if taken is None:
        return None
    claim, since = taken
    try:
        reading = await read(
            client,
            wanted=wanted,
            scopes=scopes,
            since=since,
            named=named(since) if named else None,
            concurrency=concurrency,
        )
        if consume is not None:
            await consume(reading)
    except BaseException:
        await rt.store.give_back(claim)
        raise
    await rt.store.finish_round(claim, now)
    return reading


# --- events ---------------------------------------------------------------------------------------


class Change(StrEnum):
    NEW = "new"
    CLOSED = "closed"
    ASSIGNED = "assigned"
    NEXT_ACTION = "next_action"
    SUBSTATUS = "substatus"
    PRIORITY = "priority"
    STATUS = "status"
    NOTE = "note"


# The fields a snapshot keeps, and the change each one's new value is.
FIELD_CHANGES: tuple[tuple[str, Change], ...] = (
    ("assignee", Change.ASSIGNED),
    ("next_action", Change.NEXT_ACTION),
    ("substatus_id", Change.SUBSTATUS),
    ("priority", Change.PRIORITY),
    ("status", Change.STATUS),
)


@dataclass(frozen=True)
class Event:
    """One thing that happened to an issue: `before` and `after` for a field, `note` for a note,
    and `by_slack` the Slack user whose write from Slack made it, from `from_channel` (None:
    made in Issuetrak, or not known to be from Slack)."""

    change: Change
    issue: Issue
    before: Any = None
    after: Any = None
    note: Note | None = None
    by_slack: str | None = None
    from_channel: str | None = None


def snapshot(issue: Issue) -> dict[str, Any]:
    """An issue's watermark: what the next round compares. Notes: the highest note id seen,
    private ones included, so a private note is passed over and never announced."""
    return {
        "subject": issue.subject,
        "status": issue.status,
        "closed": issue.is_closed,
        "assignee": issue.assignee,
        "priority": issue.priority,
        "next_action": issue.next_action,
        "substatus_id": issue.substatus_id,
        "last_note": max((n.id for n in issue.notes if n.id is not None), default=0),
    }


def new_public_notes(before: Mapping[str, Any], issue: Issue) -> list[Note]:
    """The public notes added since `before`, oldest first (never a private one)."""
    seen = int(before.get("last_note") or 0)
    return sorted(
        (n for n in issue.notes if n.id is not None and n.id > seen and not n.is_private), key=lambda n: n.id or 0
    )


SlackNotes = Mapping[int, tuple[str, str | None]]  # note id: the Slack user and channel it came from


def events(before: Mapping[str, Any] | None, issue: Issue, slack_notes: SlackNotes) -> list[Event]:
    """What happened to `issue` since its watermark `before` (None: it is new to the feed). A
    field change made from Slack comes with a note the outbox wrote in the same round (its
    change note): that note's Slack person made the change."""
    if before is None:
        return [Event(Change.NEW, issue)]
    notes = new_public_notes(before, issue)
    made = next((slack_notes[n.id] for n in notes if n.id is not None and n.id in slack_notes), (None, None))
    found: list[Event] = []
    if issue.is_closed and not before.get("closed", (before.get("status") or "").lower() == "closed"):
        found.append(Event(Change.CLOSED, issue, before.get("status"), issue.status, None, *made))
    after = snapshot(issue)
    for name, change in FIELD_CHANGES:
        if before.get(name) != after[name] and not (change is Change.STATUS and found):
            found.append(Event(change, issue, before.get(name), after[name], None, *made))
    found += [Event(Change.NOTE, issue, None, None, n, *slack_notes.get(n.id or 0, (None, None))) for n in notes]
    return found


_TAG = re.compile(r"\s*\btb-[0-9a-f]{10}\b")
_FOOTER = re.compile(rf"^\s*{re.escape(messages.NOTE_FOOTER.partition('{')[0])}.*$", re.MULTILINE)


def readable(text: str) -> str:
    """A note as a person wrote it: without the line saying it came from Slack and without the
    write's internal tag (both trackerbot's own, for Issuetrak readers and for re-sends)."""
    return _TAG.sub("", _FOOTER.sub("", text)).strip()
