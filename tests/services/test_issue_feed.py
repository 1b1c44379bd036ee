"""The change feed: a round reads issues by search (with their notes) from the contract Issuetrak,
which evaluates every filter it is sent; GETs only for what no search returned; events from a
watermark; one process reads a round (the store's one claim), its cursor moved on fenced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.services import issue_feed
from bot.services.issue_feed import Change, Scopes
from bot.store import Store
from bot.trackers.errors import NotFound
from bot.trackers.issuetrak import IssuetrakClient, format_datetime, parse_datetime
from bot.trackers.models import Issue, Note
from tests.fixtures.issuetrak import IssuetrakServer
from tests.store.test_store import race

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def searches(server: IssuetrakServer) -> list[dict[str, object]]:
    return [json.loads(body) for _, _, body in server.requests_to("issues/search")]


async def test_watched_issues_come_by_one_search_with_their_notes_and_only_a_missing_one_by_get(
    issuetrak_client: IssuetrakClient, issuetrak_server: IssuetrakServer
) -> None:
    del issuetrak_server.state.issues[1004]
    reading = await issue_feed.read(issuetrak_client, wanted=[1001, 1002, 1003, 1004])

    assert set(reading.issues) == {1001, 1002, 1003}
    assert isinstance(reading.failures[1004], NotFound)
    assert [n.text for n in reading.issues[1001].notes] == ["Swapped the PSU; watching it tonight."]
    sent = searches(issuetrak_server)
    assert len(sent) == 1 and sent[0]["CanIncludeNotes"] is True
    for number in (1001, 1002, 1003):  # what a search told is not read again
        assert not issuetrak_server.requests_to(f"issues/true/{number}")
    assert len(issuetrak_server.requests_to("issues/true/1004")) == 1
    assert reading.calls == 2


async def test_a_project_scope_reads_its_open_issues_and_those_submitted_or_closed_since_the_cursor(
    issuetrak_client: IssuetrakClient, issuetrak_server: IssuetrakServer
) -> None:
    state = issuetrak_server.state
    since = state.created - timedelta(hours=6, minutes=30)
    state.issues[1002]["ProjectID"] = 3  # closed 5 h ago: after the cursor
    state.issues[1005]["ProjectID"] = 3  # closed 20 h ago: before it
    state.issues[1004]["ProjectID"] = 1  # open, another project: the server's filter keeps it out
    reading = await issue_feed.read(issuetrak_client, scopes=Scopes(projects=frozenset({3})), since=since)

    def after(issue: dict[str, object], name: str) -> bool:
        moment = parse_datetime(issue.get(name))
        return moment is not None and moment > since

    expected = {
        n
        for n, issue in state.issues.items()
        if issue["ProjectID"] == 3 and (issue["Status"] == "Open" or after(issue, "ClosedDate"))
    }
    assert set(reading.issues) == expected and 1002 in expected and 1005 not in expected
    assert reading.closed == {1002}
    assert reading.submitted == {n for n in expected if after(state.issues[n], "SubmittedDate")}
    assert all(state.issues[n]["ProjectID"] == 3 for n in reading.issues)
    assert not issuetrak_server.requests_to("issues/true/1004")


async def test_a_site_scope_pages_through_every_open_issue(
    issuetrak_client: IssuetrakClient, issuetrak_server: IssuetrakServer
) -> None:
    state = issuetrak_server.state
    template = state.issues[1003]
    for number in range(2000, 2250):
        state.issues[number] = {**template, "IssueNumber": number, "SubmittedDate": format_datetime(NOW)}
    reading = await issue_feed.read(issuetrak_client, scopes=Scopes(site=True), concurrency=3)
    open_ones = {n for n, issue in state.issues.items() if issue["Status"] == "Open"}
    assert set(reading.issues) == open_ones
    assert reading.calls == len(searches(issuetrak_server)) == -(-len(open_ones) // issue_feed.PAGE_SIZE)


def issue(**changes: object) -> Issue:
    base = Issue(number=7, subject="Printer", status="Open", assignee="Alice Martin", priority="Normal")
    return base.model_copy(update=changes)


def test_events_say_what_changed_with_who_did_it_from_slack() -> None:
    before = issue_feed.snapshot(issue(notes=[Note(id=1, issue_number=7, text="old")]))
    after = issue(
        status="Closed",
        closed_date=NOW,
        assignee="David Okafor",
        notes=[
            Note(id=1, issue_number=7, text="old"),
            Note(id=2, issue_number=7, text="private", is_private=True),
            Note(id=3, issue_number=7, text="Reassigned from Slack"),
            Note(id=4, issue_number=7, text="thanks"),
        ],
    )
    found = issue_feed.events(before, after, {3: ("U0YOU", "C0TRIAGE")})
    assert [(e.change, e.before, e.after, e.by_slack) for e in found if e.change is not Change.NOTE] == [
        (Change.CLOSED, "Open", "Closed", "U0YOU"),
        (Change.ASSIGNED, "Alice Martin", "David Okafor", "U0YOU"),
    ]  # the status change is the closure, said once
    assert [(e.note.id if e.note else None, e.by_slack) for e in found if e.change is Change.NOTE] == [
        (3, "U0YOU"),
        (4, None),
    ]  # never the private note
    assert issue_feed.events(None, after, {}) == [issue_feed.Event(Change.NEW, after)]
    assert issue_feed.events(issue_feed.snapshot(after), after, {}) == []


async def test_one_process_reads_a_round_and_a_stalled_holder_moves_no_cursor(store_url: str) -> None:
    async def claim(_n: int) -> bool:
        store = Store(store_url)
        try:
            return await store.claim_round("issuetrak", NOW, 30) is not None
        finally:
            await store.aclose()

    assert sorted(await race(4, claim)) == [False, False, False, True]

    store, other = Store(store_url), Store(store_url)
    try:
        later = NOW + timedelta(seconds=31)  # the lease ran out: another takes the round over
        taken = await store.claim_round("issuetrak", later, 30)
        assert taken is not None and taken[1] is None
        stalled = await other.claim_round("issuetrak", later + timedelta(seconds=31), 30)
        assert stalled is not None
        assert not await store.finish_round(taken[0], later)  # fenced: changes nothing
        assert await store.feed_cursor("issuetrak") is None
        assert await store.finish_round(stalled[0], later + timedelta(seconds=31))
        assert await store.feed_cursor("issuetrak") == later + timedelta(seconds=31)
        again = await store.claim_round("issuetrak", later + timedelta(seconds=32), 30)
        assert again is not None and again[1] == later + timedelta(seconds=31)
    finally:
        await store.aclose()
        await other.aclose()
