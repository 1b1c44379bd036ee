"""A process stopped (SIGSTOP) in the middle of once-only work, for longer than its claim's lease,
then resumed (SIGCONT), while another real `python -m bot` took the work over: the resumed one
posts no digest, posts no watch news and sends no note the other one already handled. Real
processes on one SQLite file and on PostgreSQL, with a lease of a few seconds
(CLAIM_LEASE_SECONDS)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import make_url

from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.services import writes
from bot.store import Store, WatchKind, WatchTarget
from bot.trackers.issuetrak import ISSUE_NOTES
from tests.bot_processes import bot_environment, bot_process, free_port, send_command, wait_for
from tests.fixtures.issuetrak import IssuetrakServer

T = TypeVar("T")
LEASE_SECONDS = 3
CHANNEL = "C0GENERAL"


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


def in_store(url: str, work: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
    """Run `work` on a Store of the test's own (one more client of the database)."""

    async def run() -> T:
        store = Store(url)
        try:
            return await work(store)
        finally:
            await store.aclose()

    return asyncio.run(run())


def _sqlite_write_lock_free(url: str) -> bool:
    """Whether no connection holds the SQLite file's write lock (a stopped process holding it
    would stop every other process, which is not what these tests are about)."""
    holder = sqlite3.connect(str(make_url(url).database), timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        holder.close()


@contextmanager
def stopped(process: subprocess.Popen[bytes], url: str, ready: Callable[[], bool] = lambda: True) -> Iterator[None]:
    """SIGSTOP the process for the block, at a moment it holds no SQLite write transaction and
    `ready` (asked while it is stopped) says it is where the test wants it; then SIGCONT."""
    for _ in range(100):
        os.kill(process.pid, signal.SIGSTOP)
        if (not url.startswith("sqlite") or _sqlite_write_lock_free(url)) and ready():
            break
        os.kill(process.pid, signal.SIGCONT)
        time.sleep(0.01)
    else:
        raise AssertionError("the process was never stopped where the test wants it")
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def environment(database_url: str, slack_url: str, issuetrak: IssuetrakServer, **settings: str) -> dict[str, str]:
    return bot_environment(
        free_port(),
        database_url,
        slack_url,
        ISSUETRAK_URL=issuetrak.url,
        ISSUETRAK_API_KEY=issuetrak.state.api_key,
        CLAIM_LEASE_SECONDS=str(LEASE_SECONDS),
        **settings,
    )


@contextmanager
def bot(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with bot_process(env, int(env["PORT"]), log, seconds=60) as process:
        yield process


def logged(log: Path, text: str) -> bool:
    return text in log.read_text()


def test_a_digest_taken_over_while_its_builder_was_stopped_is_posted_once(
    store_url: str, issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    slack_url, slack_state = slack
    in_store(store_url, lambda s: s.subscribe(TEAM_ID, CHANNEL, "00:00", "UTC", [], "U0ALICE", datetime.now(UTC)))

    def digests() -> list[dict[str, Any]]:
        return [m for m in slack_state.of("chat.postMessage") if m.get("channel") == CHANNEL]

    def due_again() -> bool:
        return bool(in_store(store_url, lambda s: s.due_subscriptions(datetime.now(UTC))))

    issuetrak_server.state.faults.latency = 2.0  # the first process is still building when it is stopped
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    env = environment(store_url, slack_url, issuetrak_server)
    with bot(env, first_log) as first:
        wait_for(lambda: issuetrak_server.state.received, 30, "the first process to build the digest")
        with stopped(first, store_url):
            issuetrak_server.state.faults.latency = 0.0
            wait_for(due_again, 30, "the stopped process's lease to run out")
            with bot(environment(store_url, slack_url, issuetrak_server), second_log):
                wait_for(digests, 30, "the second process to post the digest")
        wait_for(lambda: logged(first_log, "taken over by another process; not posted here"), 30, "the first to go on")
    assert len(digests()) == 1


def test_watch_news_taken_over_while_its_poster_was_stopped_is_posted_once(
    store_url: str, issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    """Three watched issues change in one channel: the first process posts news of some, and is
    stopped while Slack's pace (a post a second per channel) holds the next; each post it made is
    recorded by then (a post sent and not yet recorded is the one step no claim can fence)."""
    slack_url, slack_state = slack
    issues = (1001, 1002, 1003)
    for number in issues:
        target = WatchTarget(WatchKind.ISSUE, "issuetrak", str(number), f"issue {number}")
        in_store(
            store_url,
            lambda s, target=target: s.add_watch(  # type: ignore[misc]
                TEAM_ID, CHANNEL, target, personal=False, by="U0ALICE", now=datetime.now(UTC), cap=50
            ),
        )

    def news() -> list[str]:
        return [m["text"] for m in slack_state.of("chat.postMessage") if "Waiting for parts" in m.get("text", "")]

    def recorded() -> bool:
        return all(item.snapshot is not None for item in in_store(store_url, lambda s: s.watched_items()))

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with bot(environment(store_url, slack_url, issuetrak_server, WATCH_POLL_SECONDS="5"), first_log) as first:
        wait_for(recorded, 30, "a round to record the watched issues")
        for number in issues:
            issuetrak_server.state.issues[number]["Status"] = "Waiting for parts"
        wait_for(news, 30, "the first process to post the first piece of news")

        def between_posts() -> bool:
            left = len(issues) - len(news())
            return left > 0 and in_store(store_url, lambda s: s.pending_news()) == left

        with stopped(first, store_url, between_posts):
            time.sleep(LEASE_SECONDS + 1)  # the stopped process's claim runs out (nothing to poll for it)
            with bot(environment(store_url, slack_url, issuetrak_server, WATCH_POLL_SECONDS="5"), second_log):
                wait_for(lambda: len(news()) == len(issues), 30, "the second process to post the rest")
        wait_for(lambda: logged(first_log, "taken over by another process; not posted here"), 30, "the first to go on")
    assert sorted(news()) == sorted(set(news())) and len(news()) == len(issues)


def test_a_note_taken_over_while_its_sender_was_stopped_is_sent_once(
    store_url: str, issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    """Saved while Issuetrak was down; the first process's worker is looking for an earlier copy
    (a slow Issuetrak) when it is stopped; the second sends the note and tells the person."""
    slack_url, slack_state = slack
    tag = writes.reference("command:stopped")

    def notes() -> int:
        return sum(tag in note["NoteText"] for note in issuetrak_server.state.notes.values())

    def told(text: str) -> list[str]:
        return [m["text"] for m in slack_state.of("chat.postMessage") if m.get("text", "").startswith(text)]

    def looked() -> bool:
        return bool(issuetrak_server.requests_to(ISSUE_NOTES.format(number=1003)))

    def due_again() -> bool:
        row = in_store(store_url, lambda s: s.get("command:stopped"))
        return row is not None and row.claim is not None and row.claim.until < datetime.now(UTC)

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    env = environment(store_url, slack_url, issuetrak_server)
    issuetrak_server.state.faults.fail_next.extend([503] * 100_000)
    with bot(env, first_log) as first:
        assert send_command(int(env["PORT"]), slack_url, "note 1003 rack cabled", "stopped").status_code == 200
        wait_for(lambda: [c for c in slack_state.of("response_url") if "saved your note" in c["text"]], 30, "saved")
        issuetrak_server.state.faults.latency = LEASE_SECONDS  # the first attempt's look outlives the lease
        issuetrak_server.state.received.clear()
        issuetrak_server.state.faults.fail_next.clear()
        wait_for(looked, 60, "the first process to look for an earlier copy of the note")
        with stopped(first, store_url):
            issuetrak_server.state.faults.latency = 0.0
            wait_for(due_again, 30, "the stopped process's lease to run out")
            with bot(environment(store_url, slack_url, issuetrak_server), second_log):
                wait_for(lambda: notes() and told("Added note"), 30, "the second process to send the note")
        wait_for(lambda: logged(first_log, "was taken over; its new holder tells the person"), 30, "the first to go on")
    assert notes() == 1 and len(told("Added note")) == 1
