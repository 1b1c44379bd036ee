"""What the demo servers share: knobs for latency and injected failures, a record of requests,
and small helpers for bearer tokens and JSON bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any = None
    status: int = 0  # the status answered, once known


@dataclass
class DemoKnobs:
    """What every demo server shares: added latency, injected failures, a record of requests."""

    latency: float = 0.0  # seconds added to every answer
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next requests with
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
    """Record the request, wait `latency`, then answer a queued failure or run `endpoint`."""

    async def run(request: Request) -> Response:
        entry = RecordedRequest(request.method, request.url.path, dict(request.query_params), await json_body(request))
        knobs.requests.append(entry)
        if knobs.latency > 0:
            await asyncio.sleep(knobs.latency)
        response = error(knobs.fail_next.pop(0), "Injected failure") if knobs.fail_next else await endpoint(request)
        entry.status = response.status_code
        return response

    return run
