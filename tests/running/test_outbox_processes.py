"""The outbox with several processes: two runtimes (two Stores, two sets of tracker clients) on one
real PostgreSQL database deliver the same outbox at once against a slow Issuetrak, with a lease
shorter than a whole batch takes; every note lands exactly once and every person is told once.
Below that, the fencing itself on both databases: a claim that was taken over changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack import TEAM_ID, SlackState
from bot.running.app import web_client
from bot.running.workers import deliver_due
from bot.runtime import Runtime
from bot.services import writes
from bot.settings import Settings, load_settings
from bot.slack.directory import PersonLookup, fresh_lookup
from bot.store import NotePayload, OutboxKind, OutboxState, Requester, Store
from bot.trackers.registry import build_trackers
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import FAST
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
ALICE = Requester(team_id=TEAM_ID, user_id="U0ALICE", channel_id="C0GENERAL")
NOTES = 20
# A lease far shorter than one worker takes for the whole batch (20 notes x 2 slow calls).
SHORT = writes.Timing(lease_seconds=2.0, attempt_seconds=1.0, settle_seconds=1.5, second_look_seconds=0.1)
LATENCY = 0.15  # seconds Issuetrak takes for every call
DEADLINE_SECONDS = 60.0  # a generous bound: the run takes a few seconds


def note_payload(key: str, text: str) -> NotePayload:
    """A note as `submit` records it: the HTML with the write's tag (who writes it is decided
    when it goes out: Alice, whose Slack email is Issuetrak user amartin's)."""
    return NotePayload(
        issue=1001,
        html=f"<p>{text}</p><p><small>{writes.reference(key)}</small></p>",
        private=False,
    )


@pytest.fixture
def pg_settings(pg_url: str, issuetrak_server: IssuetrakServer, slack_url: str) -> Settings:
    return load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack_url}/api/",
        DATABASE_URL=pg_url,
        ISSUETRAK_URL=issuetrak_server.url,
        ISSUETRAK_API_KEY=issuetrak_server.state.api_key,
    )


@pytest.fixture
async def processes(pg_settings: Settings) -> AsyncIterator[list[tuple[Runtime, AsyncWebClient]]]:
    """Two runtimes as two processes would have them: own Store (own engine), own tracker clients."""
    runtimes = [
        Runtime(
            settings=pg_settings,
            trackers=build_trackers(pg_settings, options=FAST),
            store=Store(pg_settings.DATABASE_URL),
        )
        for _ in range(2)
    ]
    yield [(rt, web_client(rt)) for rt in runtimes]
    for rt in runtimes:
        await rt.aclose()
        await rt.store.aclose()


def people(rt: Runtime) -> PersonLookup:
    return fresh_lookup(web_client(rt))


def tagged(server: IssuetrakServer) -> Callable[[str], int]:
    return lambda key: sum(writes.reference(key) in note["NoteText"] for note in server.state.notes.values())


async def test_two_processes_on_postgresql_with_a_slow_issuetrak_post_every_note_once(
    processes: list[tuple[Runtime, AsyncWebClient]], issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    keys = [f"note:two-processes:{n}" for n in range(NOTES)]
    store = processes[0][0].store
    for n, key in enumerate(keys):
        await store.enqueue(key, OutboxKind.NOTE, note_payload(key, f"rack {n} cabled"), ALICE, processes[0][0].clock())
    issuetrak_server.state.faults.latency = LATENCY

    async def worker(rt: Runtime, client: AsyncWebClient) -> int:
        """A worker loop, as `Workers` runs it, until every row is settled one way or the other."""
        loop = asyncio.get_running_loop()
        deadline, tried = loop.time() + DEADLINE_SECONDS, 0
        while loop.time() < deadline:
            rows = [await rt.store.get(key) for key in keys]
            if all(row is not None and row.state is OutboxState.DELIVERED for row in rows):
                return tried
            done = await deliver_due(rt, client, timing=SHORT)
            tried += done
            if not done:
                await asyncio.sleep(0.05)  # polling for rows coming due, as the 5 s interval does
        raise AssertionError("the outbox was not delivered in time")

    tries = await asyncio.gather(*(worker(rt, client) for rt, client in processes))

    count = tagged(issuetrak_server)
    assert [count(key) for key in keys] == [1] * NOTES
    assert all(tries), tries  # both processes delivered some
    told = [m for m in slack_state.of("chat.postMessage") if "Added note" in m.get("text", "")]
    assert len(told) == NOTES and {m["channel"] for m in told} == {"U0ALICE"}
    assert len({m["text"] for m in told}) == NOTES  # each person told once about each note


async def test_a_claim_that_was_taken_over_changes_nothing(store: Store) -> None:
    """The fencing token is (row id, attempts): once the lease ran out and another worker claimed
    the row, the first worker can neither requeue it, fail it, nor start sending it."""
    item, _ = await store.enqueue("k", OutboxKind.NOTE, NotePayload(issue=1, html=""), ALICE, NOW)
    stale = await store.claim(item.id, NOW, lease_seconds=30)
    assert stale is not None and await store.start_sending(stale, NOW, within_seconds=10)
    later = NOW + timedelta(seconds=30)
    fresh = await store.claim(item.id, later, lease_seconds=30)
    assert fresh is not None and fresh.attempts == stale.attempts + 1

    assert not await store.mark_retry(stale, "late", later + timedelta(minutes=5))
    assert not await store.mark_failed(stale, "late")
    assert not await store.start_sending(stale, later, within_seconds=10)
    row = await store.get(item.id)
    assert row is not None and (row.state, row.attempts, row.last_error) == (OutboxState.SENDING, 2, None)
    assert row.payload is not None and row.payload.sent_at == NOW  # the stale worker's send is remembered

    assert not await store.start_sending(fresh, later + timedelta(seconds=25), within_seconds=10)  # lease nearly out
    assert await store.start_sending(fresh, later + timedelta(seconds=5), within_seconds=10)
    assert await store.mark_retry(fresh, "Issuetrak did not answer.", later + timedelta(minutes=1))
    assert not await store.mark_retry(fresh, "twice", later)  # only while sending under that claim


async def test_a_worker_whose_claim_was_taken_over_while_it_looked_sends_nothing(
    runtime: Runtime, issuetrak_server: IssuetrakServer, clock: list[datetime]
) -> None:
    """Right before the POST the claim is checked once more: a worker that lost its row while it
    was looking for an earlier copy stops there, and the new holder posts the one note."""
    key = "note:taken-over"
    item, _ = await runtime.store.enqueue(key, OutboxKind.NOTE, note_payload(key, "patch panel"), ALICE, clock[0])
    first = await runtime.store.claim(item.id, clock[0], SHORT.lease_seconds)
    clock[0] += timedelta(seconds=SHORT.lease_seconds)  # its lease ran out (a stalled process)
    second = await runtime.store.claim(item.id, clock[0], SHORT.lease_seconds)
    assert first is not None and second is not None

    assert (
        await writes.deliver(runtime, first, people(runtime), timing=SHORT) is None
    )  # nobody to tell: not its row any more
    assert not issuetrak_server.requests_to("notes")
    outcome = await writes.deliver(runtime, second, people(runtime), timing=SHORT)
    assert outcome is not None and outcome.result is writes.Result.DELIVERED
    assert tagged(issuetrak_server)(key) == 1


async def test_an_attempt_is_cut_off_well_inside_its_lease(
    runtime: Runtime, issuetrak_server: IssuetrakServer, clock: list[datetime]
) -> None:
    """Issuetrak slower than the attempt's bound: the attempt ends, the row goes back to the
    queue under its own claim (never left "sending" past its lease), and the next attempt finds
    the note Issuetrak wrote after all instead of sending it again."""
    key = "note:cut-off"
    item, _ = await runtime.store.enqueue(key, OutboxKind.NOTE, note_payload(key, "UPS swapped"), ALICE, clock[0])
    claimed = await runtime.store.claim(item.id, clock[0], SHORT.lease_seconds)
    assert claimed is not None
    await (
        runtime.trackers.require_issuetrak().list_users()
    )  # who Alice is in Issuetrak is known: only the write is slow
    issuetrak_server.state.faults.latency = 3 * SHORT.attempt_seconds  # well under the client's read timeout
    outcome = await writes.deliver(runtime, claimed, people(runtime), first_try=True, timing=SHORT)
    assert outcome is not None and outcome.result is writes.Result.SAVED
    row = await runtime.store.get(item.id)
    assert (
        row is not None
        and row.state is OutboxState.PENDING
        and row.payload is not None
        and row.payload.sent_at is not None
    )

    issuetrak_server.state.faults.latency = 0.0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10  # Issuetrak finishes the slow write in its own time
    while not tagged(issuetrak_server)(key) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    clock[0] += timedelta(hours=1)
    again = await runtime.store.claim(item.id, clock[0], SHORT.lease_seconds)
    assert again is not None
    outcome = await writes.deliver(runtime, again, people(runtime), timing=SHORT)
    assert outcome is not None and outcome.result is writes.Result.DELIVERED
    assert tagged(issuetrak_server)(key) == 1
