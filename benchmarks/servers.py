"""The four contract servers and the Slack stand-in, in a process of their own.

`python -m benchmarks.servers --port P --projects N` serves them all from one uvicorn on
127.0.0.1:P, each app mounted under its own prefix (`/issuetrak/helpdesk/api/v1`, `/projectrak`,
`/aip`, `/kitsu`, `/slack`), beside a small control app (`/control`) through which the suite
turns the knobs between measurements (latency, Projectrak's token life) and reads the counters
and what the Slack stand-in received. The load generator and the bot never share its process.

uvicorn binds the port itself (as `python -m bot` does) rather than using
`bot.demo.loopback.serve_in_thread`: that helper binds a socket created with protocol 0, so
asyncio never sets TCP_NODELAY on its connections and every answer on a kept-alive connection
waits ~40 ms for the client's delayed ACK (Nagle), which would swamp every figure here.

`Servers.start()` is the suite's side: it starts that process and talks to its control app.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from bot.demo import aip, issuetrak, kitsu, projectrak
from bot.demo.kitsu import DEMO_EMAIL, DEMO_PASSWORD
from bot.demo.slack import SlackState
from bot.demo.slack import create_app as create_slack_standin

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOKEN_SECONDS = projectrak.ProjectrakState.token_seconds
START_TIMEOUT_SECONDS = 30.0


@dataclass
class States:
    issuetrak: issuetrak.IssuetrakState
    projectrak: projectrak.ProjectrakState
    aip: aip.AipState
    kitsu: kitsu.KitsuState
    slack: SlackState

    @property
    def trackers(self) -> tuple[Any, ...]:
        return (self.issuetrak, self.projectrak, self.aip, self.kitsu)


def control_app(states: States) -> Starlette:
    """Knobs and counters, for the suite."""

    async def latency(request: Request) -> JSONResponse:
        seconds = float((await request.json())["seconds"])
        for state in states.trackers:
            state.faults.latency = seconds
        return JSONResponse({"latency": seconds})

    async def token_seconds(request: Request) -> JSONResponse:
        states.projectrak.token_seconds = float((await request.json())["seconds"])
        return JSONResponse({"token_seconds": states.projectrak.token_seconds})

    async def counters(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "projectrak_mints": states.projectrak.mints,
                "projectrak_requests": len(states.projectrak.requests),
                "issuetrak_requests": len(states.issuetrak.received),
                "kitsu_logins": states.kitsu.logins,
                "slack_calls": len(states.slack.calls),
            }
        )

    async def calls(request: Request) -> JSONResponse:
        """Slack stand-in calls of one method from index `since` on: when, and the few arguments
        the suite matches on (the response_url hook, the trigger id, the text, a step's execution)."""
        method = request.query_params["method"]
        since = int(request.query_params.get("since", "0"))
        found = [
            {
                "at": call.at,
                "hook": call.args.get("_hook"),
                "trigger_id": call.args.get("trigger_id"),
                "text": str(call.args.get("text") or "")[:200],
                "execution": call.args.get("function_execution_id"),
            }
            for call in states.slack.calls[since:]
            if call.method == method
        ]
        return JSONResponse({"calls": found, "total": len(states.slack.calls)})

    async def add_issues(request: Request) -> JSONResponse:
        """`count` more Issuetrak issues, copies of the first demo issue; their numbers."""
        count = int((await request.json())["count"])
        issues = states.issuetrak.issues
        template, start = issues[min(issues)], max(issues) + 1
        numbers = list(range(start, start + count))
        for number in numbers:
            issues[number] = {**template, "IssueNumber": number}
        return JSONResponse({"numbers": numbers})

    async def notes(_: Request) -> JSONResponse:
        """The text of every note Issuetrak holds (the soak counts its own by their tags)."""
        return JSONResponse({"texts": [str(note.get("NoteText", "")) for note in states.issuetrak.notes.values()]})

    async def secrets(_: Request) -> JSONResponse:
        """The demo credentials (AIP's token is made afresh by each state)."""
        return JSONResponse(
            {
                "issuetrak_key": states.issuetrak.api_key,
                "projectrak_key_id": states.projectrak.key_id,
                "projectrak_key": states.projectrak.api_key,
                "aip_token": states.aip.token,
            }
        )

    return Starlette(
        routes=[
            Route("/secrets", secrets),
            Route("/latency", latency, methods=["POST"]),
            Route("/projectrak/token-seconds", token_seconds, methods=["POST"]),
            Route("/issuetrak/issues", add_issues, methods=["POST"]),
            Route("/issuetrak/notes", notes),
            Route("/counters", counters),
            Route("/calls", calls),
        ]
    )


def create_app(project_count: int) -> Starlette:
    states = States(
        issuetrak=issuetrak.IssuetrakState(),
        projectrak=projectrak.ProjectrakState(project_count=project_count),
        aip=aip.AipState(),
        kitsu=kitsu.KitsuState(),
        slack=SlackState(),
    )
    states.slack.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    return Starlette(
        routes=[
            Mount("/issuetrak", issuetrak.create_app(states.issuetrak)),
            Mount("/projectrak", projectrak.create_app(states.projectrak)),
            Mount("/aip", aip.create_app(states.aip)),
            Mount("/kitsu", kitsu.create_app(states.kitsu)),
            Mount("/slack", create_slack_standin(states.slack)),
            Mount("/control", control_app(states)),
        ]
    )


@dataclass
class Servers:
    """The suite's handle on the servers process."""

    root: str  # http://127.0.0.1:<port>
    secrets: dict[str, str]
    control: httpx.Client

    @classmethod
    @contextmanager
    def start(cls, *, project_count: int = 500) -> Iterator[Servers]:
        root = f"http://127.0.0.1:{free_port()}"
        command = [
            sys.executable,
            "-m",
            "benchmarks.servers",
            "--port",
            root.rsplit(":", 1)[1],
            "--projects",
            str(project_count),
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
        try:
            with httpx.Client(base_url=f"{root}/control", timeout=10) as control:
                secrets = _wait_ready(control, process)
                yield cls(root, secrets, control)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @property
    def urls(self) -> dict[str, str]:
        return {
            "issuetrak": f"{self.root}/issuetrak{issuetrak.IssuetrakState.prefix}",
            "projectrak": f"{self.root}/projectrak",
            "aip": f"{self.root}/aip",
            "kitsu": f"{self.root}/kitsu",
            "slack": f"{self.root}/slack",
        }

    def set_latency(self, seconds: float) -> None:
        self.control.post("/latency", json={"seconds": seconds}).raise_for_status()

    def add_issues(self, count: int) -> list[int]:
        """Add `count` Issuetrak issues (copies of a demo issue); their numbers."""
        answer = self.control.post("/issuetrak/issues", json={"count": count}).raise_for_status()
        return [int(n) for n in answer.json()["numbers"]]

    def note_texts(self) -> list[str]:
        return list(self.control.get("/issuetrak/notes").raise_for_status().json()["texts"])

    def set_token_seconds(self, seconds: float) -> None:
        self.control.post("/projectrak/token-seconds", json={"seconds": seconds}).raise_for_status()

    def counters(self) -> dict[str, int]:
        counters: dict[str, int] = self.control.get("/counters").raise_for_status().json()
        return counters

    def slack_calls(self, method: str, since: int = 0) -> list[dict[str, Any]]:
        answer = self.control.get("/calls", params={"method": method, "since": since}).raise_for_status()
        calls: list[dict[str, Any]] = answer.json()["calls"]
        return calls

    def bot_environment(self) -> dict[str, str]:
        """The settings that point trackerbot at these servers (Slack settings aside)."""
        return {
            "SLACK_API_URL": f"{self.urls['slack']}/api/",
            "ISSUETRAK_URL": self.urls["issuetrak"],
            "ISSUETRAK_API_KEY": self.secrets["issuetrak_key"],
            "PROJECTRAK_URL": self.urls["projectrak"],
            "PROJECTRAK_API_KEY_ID": self.secrets["projectrak_key_id"],
            "PROJECTRAK_API_KEY": self.secrets["projectrak_key"],
            "AIP_URL": self.urls["aip"],
            "AIP_TOKEN": self.secrets["aip_token"],
            "KITSU_URL": self.urls["kitsu"],
            "KITSU_EMAIL": DEMO_EMAIL,
            "KITSU_PASSWORD": DEMO_PASSWORD,
        }

    def response_url(self, hook: str) -> str:
        return f"{self.urls['slack']}/response/{hook}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(control: httpx.Client, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark servers exited with {process.returncode}")
        try:
            secrets: dict[str, str] = control.get("/secrets").raise_for_status().json()
            return secrets
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the benchmark servers did not start in time")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.servers")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--projects", type=int, default=500, help="Projectrak projects to serve")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.projects),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )


if __name__ == "__main__":
    main()
