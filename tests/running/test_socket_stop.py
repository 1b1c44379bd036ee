"""`python -m bot socket` while Slack cannot be reached: SIGTERM stops it within the README's bound
in every state (its apps.connections.open call hanging, waiting to try again, connected and then
cut off), exiting 0; and each failed attempt to connect is one log line naming the wait before
the next, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.running.process import SOCKET_RETRY_SECONDS
from tests.bot_processes import bot_environment, free_port
from tests.running.test_shutdown import EXIT_BOUND_SECONDS
from tests.slack.test_socket_mode import _slack_socket

ATTEMPT = re.compile(
    r"WARNING bot\.socket_mode: Socket Mode: Slack not reached \(attempt (\d+): .+\); next attempt in (\d+) s$"
)


@pytest.fixture
def slack() -> Iterator[tuple[str, SlackState]]:
    state = SlackState()
    with serve_in_thread(create_slack_standin(state)) as url:
        yield url, state


@contextlib.asynccontextmanager
async def _started(slack_url: str, tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot socket` against `slack_url`; killed on the way out if still running."""
    env = bot_environment(
        free_port(), f"sqlite:///{tmp_path / 'bot.db'}", slack_url, SLACK_APP_TOKEN="xapp-1-test-token"
    )
    with (tmp_path / "socket.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "socket", env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _log(tmp_path: Path) -> str:
    return (tmp_path / "socket.log").read_text(errors="replace")


async def _until(tmp_path: Path, found: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not found(_log(tmp_path)):
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}:\n{_log(tmp_path)}"
        await asyncio.sleep(0.1)


async def _stops(process: asyncio.subprocess.Process, tmp_path: Path) -> None:
    """SIGTERM; the process exits 0 within the bound, with no traceback in its log."""
    process.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    code = await asyncio.wait_for(process.wait(), EXIT_BOUND_SECONDS + 10)
    assert code == 0 and time.monotonic() - stopping < EXIT_BOUND_SECONDS, _log(tmp_path)
    assert "Traceback" not in _log(tmp_path), _log(tmp_path)


def _attempts(log: str) -> list[tuple[int, int]]:
    """(attempt, seconds to the next) of each line about a failed attempt; every such line must match."""
    lines = [line for line in log.splitlines() if "Failed to connect" in line or "not reached" in line]
    found = [ATTEMPT.search(line) for line in lines]
    assert all(found), lines
    return [(int(m[1]), int(m[2])) for m in found if m]


async def test_sigterm_while_slack_refuses_stops_it_and_each_attempt_is_one_line(tmp_path: Path) -> None:
    """Slack's API refuses connections: an attempt every SOCKET_RETRY_SECONDS, each one log line;
    SIGTERM while it waits for the next stops it."""
    async with _started(f"http://127.0.0.1:{free_port()}", tmp_path) as process:
        await _until(tmp_path, lambda log: len(_attempts(log)) >= 2, 3 * SOCKET_RETRY_SECONDS, "two attempts")
        await _stops(process, tmp_path)
    attempts = _attempts(_log(tmp_path))
    assert attempts[:2] == [(1, SOCKET_RETRY_SECONDS), (2, SOCKET_RETRY_SECONDS)]
    assert [n for n, _ in attempts] == list(range(1, len(attempts) + 1))


async def test_sigterm_while_slack_never_answers_stops_it(tmp_path: Path) -> None:
    """Slack's API takes the connection and never answers: SIGTERM while apps.connections.open
    waits stops it all the same."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(30)
        async with _started(f"http://127.0.0.1:{silent.getsockname()[1]}", tmp_path) as process:
            held, _ = await asyncio.to_thread(silent.accept)  # the bot's apps.connections.open, unanswered
            with held:
                await _stops(process, tmp_path)


async def test_sigterm_after_slack_cut_the_connection_off_stops_it(
    slack: tuple[str, SlackState], tmp_path: Path
) -> None:
    """Connected, then Slack's WebSocket goes away for good: the client tries again, one line an
    attempt; SIGTERM while it does stops it."""
    slack_url, slack_state = slack
    acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    envelope = {
        "envelope_id": "env-help",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/tracker",
            "text": "help",
            "trigger_id": "t1",
            "response_url": f"{slack_url}/response/t1",
        },
    }
    runner, slack_state.socket_url = await _slack_socket(envelope, acks)
    async with _started(slack_url, tmp_path) as process:
        try:
            assert (await asyncio.wait_for(acks.get(), 30))["envelope_id"] == "env-help"  # connected
        finally:
            await runner.cleanup()  # Slack's end closes, and nothing listens there any more
        await _until(tmp_path, _attempts, 4 * SOCKET_RETRY_SECONDS, "an attempt to connect again")
        await _stops(process, tmp_path)
