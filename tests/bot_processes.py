"""Running `python -m bot` as a real process in tests: a free port, waiting for it to serve, and
signed Slack requests sent to it over HTTP (the restart, shutdown and several-process tests)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from benchmarks.process import bot_command
from bot.demo.slack import TEAM_ID
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]  # the bot under test is this checkout's, whatever is installed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


def bot_environment(port: int, database_url: str, slack_url: str, **settings: str) -> dict[str, str]:
    """The environment of a serving `python -m bot`: nothing of the test's own but PATH."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        **settings,
    }


@contextmanager
def bot_process(
    env: dict[str, str], port: int, log: Path, *, seconds: float = 30, descriptors: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot` serving on `port`, in a process group of its own (with any worker
    processes it starts); the group is killed with SIGKILL (if still running) on the way out."""
    with bot_processes([(env, port, log)], seconds=seconds, descriptors=descriptors) as (process,):
        yield process


@contextmanager
def bot_processes(
    bots: list[tuple[dict[str, str], int, Path]], *, seconds: float = 30, descriptors: int | None = None
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Several `python -m bot` (environment, port, log file), started at once, each waited for
    until it serves /healthz, each held to `descriptors` open files if given (`prlimit --nofile`);
    each group killed with SIGKILL (if still running) on the way out."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for env, _port, log in bots:
            with log.open("ab") as out:
                processes.append(
                    subprocess.Popen(
                        bot_command(descriptors),
                        env=env,
                        cwd=log.parent,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        for process, (_env, port, log) in zip(processes, bots, strict=True):
            wait_for(functools.partial(_serving, process, port, log), seconds, "the bot to serve /healthz")
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group: worker processes too
            process.wait(timeout=10)


def _serving(process: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def command_body(text: str, trigger: str, slack_url: str, *, user: str = "U0ALICE") -> str:
    """A `/tracker <text>` slash command as Slack posts it; its response_url hook is `trigger`."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": user,
            "command": "/tracker",
            "text": text,
            "trigger_id": trigger,
            "response_url": f"{slack_url}/response/{trigger}",
        }
    )


def signed_headers(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def send_command(port: int, slack_url: str, text: str, trigger: str) -> httpx.Response:
    """Send a signed `/tracker <text>` to the bot on `port`; its acknowledgement."""
    body = command_body(text, trigger, slack_url)
    return httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, timeout=10, headers=signed_headers(body))
