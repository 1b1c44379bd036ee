"""trackerbot as people run it: `python -m bot` in a subprocess, on a free loopback port, with a
temporary SQLite store, pointed at the benchmark servers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.servers import REPO_ROOT, Servers, free_port

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-bench-0000000000-benchtoken"
START_TIMEOUT_SECONDS = 30.0


def _status_kib(pid: int, field: str) -> int:
    """A `VmHWM:`/`VmRSS:` line of /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


@dataclass
class Bot:
    url: str
    pid: int
    startup_seconds: float  # from exec to the first 200 from /healthz
    log_path: Path

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def cpu_seconds(self) -> float:
        """User and system CPU time the bot process has used so far."""
        return _cpu_seconds(self.pid)

    def tree_cpu_seconds(self) -> float:
        """The same for the bot and its child processes (the workers of WEB_CONCURRENCY > 1); a
        child that ends between being listed and being read counts for nothing."""
        return self.cpu_seconds() + sum(_cpu_seconds(child, gone=0.0) for child in _children(self.pid))

    def peak_rss_mb(self) -> float:
        """The process's high-water resident set size, in MB (10^6 bytes, as the target is)."""
        return _status_kib(self.pid, "VmHWM:") * 1024 / 1e6

    def workers(self) -> list[int]:
        """The processes that serve: the worker processes of WEB_CONCURRENCY > 1 (not
        multiprocessing's resource tracker beside them), else the bot itself."""
        children = [pid for pid in _children(self.pid) if b"resource_tracker" not in _cmdline(pid)]
        return children or [self.pid]


def rss_mb(pid: int) -> float:
    """A process's resident set size now, in MB."""
    return _status_kib(pid, "VmRSS:") * 1024 / 1e6


def open_descriptors(pid: int) -> int:
    """How many files (sockets included) a process has open now."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def bot_command(descriptors: int | None = None) -> list[str]:
    """`python -m bot`, held to `descriptors` open files (soft and hard limit) if given, by
    util-linux's `prlimit`, which then runs it in its own process (the same pid)."""
    held = [] if descriptors is None else ["prlimit", f"--nofile={descriptors}", "--"]
    return [*held, sys.executable, "-m", "bot"]


def _cpu_seconds(pid: int, *, gone: float | None = None) -> float:
    """User and system CPU seconds of `pid`; `gone` for a process that has ended (else the error)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        if gone is None:
            raise
        return gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> bytes:
    """A process's command line, empty once it has ended."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


@contextmanager
def running_bot(
    servers: Servers,
    *,
    log_level: str = "INFO",
    workers: int = 1,
    database_url: str | None = None,
    descriptors: int | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Bot]:
    """Start the bot (`workers` worker processes, on `database_url` or a temporary SQLite file,
    held to `descriptors` open files if given, with any other `settings`), wait until every
    worker serves, and kill it afterwards (without waiting for the background work a load left
    queued: a graceful stop would drain it for minutes)."""
    with tempfile.TemporaryDirectory(prefix="trackerbot-bench-") as workdir:
        port = free_port()
        env = {
            **os.environ,
            **servers.bot_environment(),
            "PYTHONPATH": str(REPO_ROOT),
            "PORT": str(port),
            "LOG_LEVEL": log_level,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "DATABASE_URL": database_url or f"sqlite:///{workdir}/bot.db",
            "WEB_CONCURRENCY": str(workers),
            **(settings or {}),
        }
        log_path = Path(workdir) / "bot.log"
        with log_path.open("wb") as log:
            started = time.monotonic()
            # cwd is the empty work directory, so no developer's .env is read.
            process = subprocess.Popen(
                bot_command(descriptors),
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                startup = _wait_healthy(url, process, started, log_path)
                if workers > 1:
                    _wait_workers(log_path, workers, started)
                yield Bot(url, process.pid, startup, log_path)
            finally:
                children = _children(process.pid)  # the parent first: it would start new ones
                process.kill()
                process.wait()
                for child in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)


def _wait_workers(log_path: Path, workers: int, started: float) -> None:
    """Until each of the worker processes has said it serves (uvicorn logs it once per worker)."""
    while log_path.read_text(errors="replace").count("Application startup complete") < workers:
        if time.monotonic() - started > START_TIMEOUT_SECONDS:
            raise RuntimeError(f"not all {workers} trackerbot workers started in time")
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """The child processes of `pid` now (none once it has ended)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _wait_healthy(url: str, process: subprocess.Popen[bytes], started: float, log_path: Path) -> float:
    with httpx.Client(timeout=10) as client:
        while time.monotonic() - started < START_TIMEOUT_SECONDS:
            if process.poll() is not None:
                said = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"trackerbot exited with {process.returncode} before /healthz answered; it said:\n{said}"
                )
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    said = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"trackerbot did not answer /healthz in time; it said:\n{said}")
