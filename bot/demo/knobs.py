"""What the demo servers share: the one latency-and-fault knob (`Faults`, every server's
`state.faults`, which can also hold a request while a test edits the server), a record of requests, and small helpers for bearer tokens and JSON bodies."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class DemoTracker:
    """One tracker served in-process by the console: its state (what it holds and received), its
    app, and the settings that point the real client at it. Each tracker's demo module makes one
    with `demo()` (its registry entry names the module)."""

    state: Any
    app: Any
    settings: dict[str, Any]


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any = None
    status: int = 0  # the status answered, once known


@dataclass
class Hold:
    """One request held at a server's gate: `arrived` is set when it waits there, and it goes on
    once `release()` is called (from any thread: a test edits the server's state meanwhile).
    `during`, when given, runs in a thread of its own while the request waits, then releases it."""

    method: str
    during: Callable[[], None] | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    timeout: float = 30.0  # a hold nobody releases gives up, so a broken test cannot hang the server

    def release(self) -> None:
        self.released.set()

    async def wait(self) -> None:
        self.arrived.set()
        if self.during is not None:
            await asyncio.to_thread(self.during)
            self.release()
        await asyncio.to_thread(self.released.wait, self.timeout)


@dataclass
class Faults:
    """The one latency-and-fault knob every demo server takes, as `state.faults`: each server waits
    `delay()` before answering and answers `injected()`'s status, when there is one, instead of
    running the endpoint (each server in its own words, where in its gate the vendor would fail)."""

    latency: float = 0.0  # seconds added to every answer
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next requests with
    fail_rate: float = 0.0  # share of the other requests answered 503, at random
    rng: random.Random = field(default_factory=lambda: random.Random(30))  # seeded: runs repeat
    holds: list[Hold] = field(default_factory=list)  # the next request of each hold's method waits

    def hold(self, method: str, during: Callable[[], None] | None = None) -> Hold:
        """Hold the next `method` request at the gate (see `Hold`), after its signature is checked."""
        held = Hold(method.upper(), during)
        self.holds.append(held)
        return held

    async def delay(self) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    async def held(self, method: str) -> None:
        """Wait here if a hold is set for this request's method (each hold takes one request)."""
        found = next((h for h in self.holds if h.method == method.upper()), None)
        if found is not None:
            self.holds.remove(found)
            await found.wait()

    def injected(self) -> int | None:
        """The status to fail this request with, or None to answer it."""
        if self.fail_next:
            return self.fail_next.pop(0)
        if self.fail_rate and self.rng.random() < self.fail_rate:
            return 503
        return None


@dataclass
class DemoKnobs:
    """What the Projectrak and AIP demo servers share: the fault knob and a record of requests."""

    faults: Faults = field(default_factory=Faults)
    requests: list[RecordedRequest] = field(default_factory=list)

    def received(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def instrumented(knobs: DemoKnobs, endpoint: Endpoint) -> Endpoint:
    """Record the request, wait the knob's latency, then answer an injected failure or run `endpoint`."""

    async def run(request: Request) -> Response:
        entry = RecordedRequest(request.method, request.url.path, dict(request.query_params), await json_body(request))
        knobs.requests.append(entry)
        await knobs.faults.delay()
        status = knobs.faults.injected()
        response = error(status, "Injected failure") if status is not None else await endpoint(request)
        entry.status = response.status_code
        return response

    return run
