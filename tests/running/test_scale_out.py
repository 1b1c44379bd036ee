"""Several processes on one PostgreSQL: `WEB_CONCURRENCY=N` (N uvicorn workers on one port, refused
on SQLite), and three real `python -m bot` processes doing each thing exactly once: notes, a
digest, and a watched issue's news.

The three-process test is a list of legs, each a thing that must happen exactly once whichever
process does it: `arrange` before the processes start, `act` while they serve, `done` (waited
for) once it happened, and `check` after every process has stopped (nothing can happen twice
later). A new leg is one more `Leg` in LEGS."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot import messages
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.running.process import METRICS_DIRECTORY, metrics_directory
from bot.services import writes
from bot.store import Store
from bot.store.models import WatchKind, WatchTarget
from tests.bot_processes import bot_environment, bot_process, bot_processes, free_port, send_command, wait_for
from tests.fixtures.issuetrak import IssuetrakServer
from tests.running.test_shutdown import EXIT_BOUND_SECONDS

T = TypeVar("T")
PROCESSES = 3
NOTES_EACH = 3
DIGEST_CHANNEL = "C0GENERAL"


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


# --- WEB_CONCURRENCY --------------------------------------------------------------------------------


def test_several_workers_on_sqlite_stop_start_up_with_one_line(tmp_path: Path) -> None:
    env = bot_environment(free_port(), f"sqlite:///{tmp_path / 'bot.db'}", "http://127.0.0.1:9", WEB_CONCURRENCY="2")
    done = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "trackerbot cannot start: " + messages.WORKERS_NEED_POSTGRES.format(workers=2)
    assert "Traceback" not in done.stderr + done.stdout


def test_the_metrics_directory_is_a_fresh_one_removed_afterwards_unless_one_is_set(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    with metrics_directory(environ) as made:
        assert environ[METRICS_DIRECTORY] == made and os.listdir(made) == []
        assert os.stat(made).st_mode & 0o777 == 0o700  # other local users can neither read nor plant metrics
    assert METRICS_DIRECTORY not in environ and not os.path.exists(made)
    environ = {METRICS_DIRECTORY: str(tmp_path)}
    with metrics_directory(environ) as kept:
        assert kept == str(tmp_path)
    assert environ == {METRICS_DIRECTORY: str(tmp_path)} and tmp_path.is_dir()


def _workers(supervisor: int) -> list[int]:
    """The worker processes uvicorn's supervisor started (multiprocessing's spawned children)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def test_web_concurrency_runs_that_many_workers_on_one_port(
    pg_url: str, issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    slack_url, slack_state = slack
    port = free_port()
    env = bot_environment(
        port,
        pg_url,
        slack_url,
        WEB_CONCURRENCY="2",
        ISSUETRAK_URL=issuetrak_server.url,
        ISSUETRAK_API_KEY=issuetrak_server.state.api_key,
    )
    with bot_process(env, port, tmp_path / "bot.log", seconds=60) as supervisor:
        workers = wait_for(lambda: len(_workers(supervisor.pid)) == 2 and _workers(supervisor.pid), 30, "two workers")
        directories = {_environment_of(pid).get(METRICS_DIRECTORY) for pid in workers}
        (directory,) = directories
        assert directory is not None and Path(directory).is_dir()
        assert send_command(port, slack_url, "note 1003 two workers, one note", "two-workers").status_code == 200
        wait_for(
            lambda: [c for c in slack_state.of("response_url") if c["text"].startswith("Added note")],
            20,
            "the note to be posted",
        )
        supervisor.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        assert supervisor.wait(timeout=EXIT_BOUND_SECONDS + 5) == 0  # the parent, once every worker has stopped
        assert time.monotonic() - stopping < EXIT_BOUND_SECONDS
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not Path(directory).exists()  # the fresh directory is removed with the parent
    tag = writes.reference("command:two-workers")
    assert sum(tag in note["NoteText"] for note in issuetrak_server.state.notes.values()) == 1
    assert f"Started parent process [{supervisor.pid}]" in (tmp_path / "bot.log").read_text()


# --- three processes, each thing once -----------------------------------------------------------------


@dataclass
class Cluster:
    """Three `python -m bot` processes on one PostgreSQL database, one Issuetrak and one Slack."""

    database_url: str
    issuetrak: IssuetrakServer
    slack_url: str
    slack: SlackState
    ports: list[int]

    def store(self, work: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
        """Run `work` on a Store of the test's own (a fourth client of the database)."""

        async def run() -> T:
            store = Store(self.database_url)
            try:
                return await work(store)
            finally:
                await store.aclose()

        return asyncio.run(run())


@dataclass(frozen=True)
class Leg:
    name: str
    arrange: Callable[[Cluster], None]  # before the processes start
    act: Callable[[Cluster], None]  # while they serve
    done: Callable[[Cluster], bool]  # waited for: the effect happened
    check: Callable[[Cluster], None]  # after every process stopped: it happened exactly once
    environment: dict[str, str] = field(default_factory=dict)  # settings the leg needs (WATCH_POLL_SECONDS=5)


def _nothing(_: Cluster) -> None:
    pass


# Notes: sent to every process while Issuetrak is down (each saved in the outbox), then Issuetrak
# comes back and the three outbox workers deliver side by side.
NOTE_TRIGGERS = [f"p{process}-n{n}" for process in range(PROCESSES) for n in range(NOTES_EACH)]


def _issuetrak_down(cluster: Cluster) -> None:
    cluster.issuetrak.state.faults.fail_next.extend([503] * 100_000)


def _send_notes(cluster: Cluster) -> None:
    for trigger in NOTE_TRIGGERS:
        port = cluster.ports[int(trigger[1])]
        assert send_command(port, cluster.slack_url, f"note 1003 rack {trigger} cabled", trigger).status_code == 200
    wait_for(
        lambda: (
            len([c for c in cluster.slack.of("response_url") if "saved your note" in c["text"]]) == len(NOTE_TRIGGERS)
        ),
        30,
        "every note to be saved",
    )
    # Issuetrak is back, slow enough that one worker's run lasts past the others' next ticks.
    cluster.issuetrak.state.faults.latency = 0.2
    cluster.issuetrak.state.faults.fail_next.clear()


def _note_counts(cluster: Cluster) -> list[int]:
    notes = [note["NoteText"] for note in cluster.issuetrak.state.notes.values()]
    return [sum(writes.reference(f"command:{t}") in text for text in notes) for t in NOTE_TRIGGERS]


def _told_added(cluster: Cluster) -> list[str]:
    return [m["text"] for m in cluster.slack.of("chat.postMessage") if m.get("text", "").startswith("Added note")]


def _notes_delivered(cluster: Cluster) -> bool:
    return all(_note_counts(cluster)) and len(_told_added(cluster)) >= len(NOTE_TRIGGERS)


def _each_note_once(cluster: Cluster) -> None:
    assert _note_counts(cluster) == [1] * len(NOTE_TRIGGERS)
    told = _told_added(cluster)
    assert len(told) == len(NOTE_TRIGGERS) == len(set(told))  # each person told once about each note


# A digest: due since midnight UTC before any process starts; every process's scheduler runs at start.
def _subscribe(cluster: Cluster) -> None:
    cluster.store(
        lambda store: store.subscribe(TEAM_ID, DIGEST_CHANNEL, "00:00", "UTC", [], "U0ALICE", datetime.now(UTC))
    )


def _digests(cluster: Cluster) -> list[dict[str, Any]]:
    return [m for m in cluster.slack.of("chat.postMessage") if m.get("channel") == DIGEST_CHANNEL]


def _one_digest(cluster: Cluster) -> None:
    assert len(_digests(cluster)) == 1


# A watched issue changing: two channels watch it; once a round has recorded it (Issuetrak is down
# until the notes leg's act ends), its status changes, and each channel hears of it once.
WATCHED_ISSUE = 1001
WATCH_CHANNELS = ("C0WATCHA", "C0WATCHB")
NEW_STATUS = "Waiting for parts"


def _watch_issue(cluster: Cluster) -> None:
    target = WatchTarget(WatchKind.ISSUE, "issuetrak", str(WATCHED_ISSUE), f"issue {WATCHED_ISSUE}")
    for channel in WATCH_CHANNELS:
        cluster.store(
            lambda store, channel=channel: store.add_watch(  # type: ignore[misc]
                TEAM_ID, channel, target, personal=False, by="U0ALICE", now=datetime.now(UTC), cap=50
            )
        )


def _recorded(cluster: Cluster) -> bool:
    return all(item.snapshot is not None for item in cluster.store(lambda store: store.watched_items()))


def _change_the_issue(cluster: Cluster) -> None:
    wait_for(lambda: _recorded(cluster), 60, "a round to record the watched issue")
    assert cluster.issuetrak.state.issues[WATCHED_ISSUE]["Status"] != NEW_STATUS
    cluster.issuetrak.state.issues[WATCHED_ISSUE]["Status"] = NEW_STATUS


def _watch_news(cluster: Cluster) -> list[tuple[str, str]]:
    return [
        (m["channel"], m["text"])
        for m in cluster.slack.of("chat.postMessage")
        if m.get("channel") in WATCH_CHANNELS and NEW_STATUS in m.get("text", "")
    ]


def _each_channel_told_once(cluster: Cluster) -> None:
    assert sorted(channel for channel, _ in _watch_news(cluster)) == sorted(WATCH_CHANNELS)
    assert not [m for m in cluster.slack.of("chat.postMessage") if m.get("channel") in WATCH_CHANNELS][2:]


LEGS = [
    Leg("notes sent to each process", _issuetrak_down, _send_notes, _notes_delivered, _each_note_once),
    Leg("a digest that is due", _subscribe, _nothing, lambda c: bool(_digests(c)), _one_digest),
    Leg(
        "a watched issue changing",
        _watch_issue,
        _change_the_issue,
        lambda c: len(_watch_news(c)) >= len(WATCH_CHANNELS),
        _each_channel_told_once,
        {"WATCH_POLL_SECONDS": "5"},
    ),
]


def test_three_processes_on_postgresql_do_each_thing_once(
    pg_url: str, issuetrak_server: IssuetrakServer, slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    slack_url, slack_state = slack
    cluster = Cluster(pg_url, issuetrak_server, slack_url, slack_state, [free_port() for _ in range(PROCESSES)])
    for leg in LEGS:
        leg.arrange(cluster)
    environment = {"ISSUETRAK_URL": issuetrak_server.url, "ISSUETRAK_API_KEY": issuetrak_server.state.api_key}
    for leg in LEGS:
        environment |= leg.environment
    bots = [
        (bot_environment(port, pg_url, slack_url, **environment), port, tmp_path / f"bot-{n}.log")
        for n, port in enumerate(cluster.ports)
    ]
    with bot_processes(bots) as running:  # started together: their first rounds race
        for leg in LEGS:
            leg.act(cluster)
        for leg in LEGS:
            wait_for(lambda leg=leg: leg.done(cluster), 60, leg.name)  # type: ignore[misc]
        for process in running:  # nothing is left running to do anything a second time
            process.send_signal(signal.SIGTERM)
        for process in running:
            process.wait(timeout=EXIT_BOUND_SECONDS + 5)
    for leg in LEGS:
        leg.check(cluster)
