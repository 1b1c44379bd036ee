"""The HTTP process: Starlette routes for Slack (`POST /slack/events`), `GET /healthz`, `GET /readyz`
and `GET /metrics` (bot.running.health),
served by uvicorn with `BoundedHttpToolsProtocol`, which bounds what a client can hold before its
request reaches the app: a request head over 64 KB is refused (431), a head must arrive whole
within `HEAD_SECONDS`, and the connections open at once are capped (`connection_cap`).

`POST /slack/events` is guarded before Bolt sees anything, because Bolt reads the whole body,
parses it, and only then checks the signature (logging the whole body of a request that fails):
1. a body over `MAX_BODY_BYTES` is refused with 413, by its Content-Length before a byte is read,
   or, without one (chunked), as soon as the bytes counted while streaming pass the limit; and
   a body that would take all the bodies held at once over `MAX_BUFFERED_BYTES` gets 503, and
   one still arriving after `BODY_SECONDS` gets 408 (so slow clients cannot hold the budget);
2. a body that is not UTF-8 (Slack sends UTF-8 JSON or ASCII forms) gets 400;
3. the signature is checked (slack_sdk's SignatureVerifier, which also refuses a timestamp more
   than 5 minutes away): 401, and the body is never logged;
4. only then is the body parsed: a signed body that is still malformed, or lacks what Bolt reads
   before any listener runs (bot/running/payload_checks.py), gets 400.
Bolt's own signature check stays on behind this one: it costs one HMAC, and it keeps refusing
should a route ever reach Bolt some other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import resource
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.request import payload_utils as payloads
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bot import logs, messages, metrics
from bot.running import health as probes
from bot.running.health import Health
from bot.running.payload_checks import shape_refusal
from bot.running.session import SharedSession
from bot.running.workers import Workers, wind_down
from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads stay far below 1 MiB
# The bytes of all request bodies held at once, together: eight bodies of the largest size, or
# thousands of ordinary Slack payloads (a few KB each). Many big bodies sent at once get 503
# instead of the process's memory.
MAX_BUFFERED_BYTES = 8 * MAX_BODY_BYTES
BODY_SECONDS = 10.0  # Slack sends its small bodies at once; a body still arriving after this is not Slack's
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers together; Slack's are well under 8 KB
# Slack writes a request's head at once: a head not whole this long after the connection opened
# (or after the previous answer on it) is a client holding a connection, and the connection is closed.
HEAD_SECONDS = 5.0
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this (uvicorn's timeout_keep_alive)
MAX_CONNECTIONS = 4096  # the most connections one process keeps open, however many descriptors it may have
# What parsing a signed but malformed body can raise, in Bolt or in our listeners' readers.
MALFORMED = (ValueError, TypeError, AttributeError, KeyError, RecursionError)


class BodyTooLarge(Exception):
    """The request's body is over `MAX_BODY_BYTES` (declared or counted)."""


class TooManyBodies(Exception):
    """Reading this body would take the bodies held at once over the shared budget."""


class BodyBudget:
    """The bytes of request bodies held at once, across requests (one process, one event loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    @contextlib.contextmanager
    def share(self) -> Iterator[Callable[[int], None]]:
        """A `take(n)` for one request, raising `TooManyBodies` when `n` more bytes would go over
        the budget; whatever the request took is given back when the block ends."""
        taken = 0

        def take(size: int) -> None:
            nonlocal taken
            if self.held + size > self.limit:
                raise TooManyBodies
            self.held += size
            taken += size

        try:
            yield take
        finally:
            self.held -= taken


async def read_body(request: Request, take: Callable[[int], None], limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refused as soon as it is known to be over `limit` (`BodyTooLarge`: by its
    Content-Length before anything is read, else by counting while streaming), over the shared
    budget (`take` raises, for each chunk as it arrives: a client holds only what it has sent),
    or not all there within `BODY_SECONDS` (TimeoutError). A Content-Length that is not a number
    raises ValueError."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isascii() or not declared.isdigit()):
        raise ValueError("Content-Length is not a number")
    if declared is not None and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async with asyncio.timeout(BODY_SECONDS):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            take(len(chunk))
            chunks.append(chunk)
    return b"".join(chunks)


def signed(verifier: SignatureVerifier, body: str, headers: Headers) -> bool:
    """Whether Slack signed `body` (with a timestamp within 5 minutes). Headers that are absent
    or malformed (a timestamp that is not ASCII digits, a signature that is not ASCII) are
    simply not a signature."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature.isascii()):
        return False
    return verifier.is_valid(body, timestamp, signature)


# The surfaces the acknowledgement histogram tells apart, each with Bolt's own test of a payload.
SURFACES: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
    ("command", payloads.is_slash_command),
    ("shortcut", payloads.is_shortcut),
    ("action", payloads.is_action),
    ("view_submission", payloads.is_view_submission),
    ("options", payloads.is_options),
    ("event", payloads.is_event),
)


def surface(body: dict[str, Any]) -> str:
    """Which surface a (verified, parsed) Slack payload came from: a fixed label, never its content."""
    try:
        return next((name for name, test in SURFACES if test(body)), "other")
    except MALFORMED:  # a signed body of odd shape ("view": 5) was still acknowledged
        return "other"


def _closing(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A refusal that closes the connection, so the client stops sending the rest of its body
    (uvicorn would otherwise read and discard it to keep the connection alive)."""
    return PlainTextResponse(text, status_code=status, headers={"Connection": "close", **(headers or {})})


@functools.cache
def connection_cap() -> int:
    """The connections this process keeps open at once: half its descriptor limit (RLIMIT_NOFILE,
    raised by `LimitNOFILE` in deploy/trackerbot.service and `ulimits` in compose.yaml), at most
    `MAX_CONNECTIONS`. The other half is for connections accepted but not yet looked at (asyncio
    accepts up to uvicorn's backlog at a time), the database, the trackers and Slack, so the
    process never runs out of descriptors and always accepts."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, soft // 2))


# Per server, its connections waiting for a request head, the longest waiting first.
_WAITING: weakref.WeakKeyDictionary[ServerState, dict[BoundedHttpToolsProtocol, None]] = weakref.WeakKeyDictionary()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with what uvicorn lacks against clients that hold connections
    (uvicorn's `timeout_keep_alive` starts only after an answer and restarts at every byte, and
    its `limit_concurrency` answers 503 only once a head is whole, so neither bounds a client
    trickling a head; uvicorn#157 asks for a head timeout that was never added):

    - a request whose request line and headers together pass `MAX_HEAD_BYTES` is refused with
      431 (and closed): httptools buffers a head until it is complete, with no limit of its own;
      httptools gives no offsets, so a chunk counts as head only when it was all head: no head
      and no message ended while it was parsed, and a head was still open after it;
    - a head must be whole within `HEAD_SECONDS` of the connection opening, or of the previous
      answer on it (keep-alive), however its bytes trickle in; otherwise the connection is closed;
    - beyond `connection_cap()` open connections, a new connection is still accepted (a refused
      or unanswered connect would look like an outage to Slack): the connection waiting longest
      for a head (idle or trickling: Slack's heads arrive at once) is closed to make room, and
      when every connection has a request in flight, the new one gets 503 once its head is read
      (uvicorn's own answer when `limit_concurrency` is passed), and is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # between requests, or inside one's request line and headers
        self._ends = 0  # heads and messages ended so far on this connection
        self._head_bytes = 0
        self._waiting = _WAITING.setdefault(self.server_state, {})
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        if len(self.connections) > connection_cap():
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _make_room(self) -> None:
        """Close the connection waiting longest for a head; with none but this one, this one is
        over the cap and answers 503 (uvicorn's `limit_concurrency` check, passed at once)."""
        oldest = next((c for c in self._waiting if c is not self and not c.transport.is_closing()), None)
        if oldest is None:
            self.limit_concurrency = 0
            return
        oldest._stop_waiting()
        oldest.transport.close()

    def _wait_for_head(self) -> None:
        self._stop_waiting()
        self._waiting[self] = None  # the newest waiting, last in order
        self._head_deadline = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)

    def _stop_waiting(self) -> None:
        self._waiting.pop(self, None)
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        self._in_head = False
        self._ends += 1
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # uvicorn now waits for the next request
            self._wait_for_head()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._ends += 1
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        ends = self._ends
        super().data_received(data)
        if self._ends != ends:
            self._head_bytes = 0
            return
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            log.info("refused a request whose head passed %d bytes", MAX_HEAD_BYTES)
            text = messages.HEAD_TOO_LARGE.encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(text), text)
            )
            self.transport.close()


def create_web_app(runtime: Runtime, app: AsyncApp, *, workers: Workers | None = None) -> Starlette:
    runtime.settings.check_slack("serve")  # serving HTTP needs the signing secret
    assert runtime.settings.SLACK_SIGNING_SECRET is not None
    verifier = SignatureVerifier(runtime.settings.SLACK_SIGNING_SECRET.get_secret_value())
    shared = SharedSession(app)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await shared.open()
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            await wind_down(runtime, workers)  # after uvicorn answered the requests it was reading
            await shared.close()

    return Starlette(
        routes=[_slack_route(app, verifier), *_probe_routes(runtime, Health(runtime.trackers, runtime.store))],
        lifespan=lifespan,
    )


def _slack_route(app: AsyncApp, verifier: SignatureVerifier) -> Route:
    """`POST /slack/events`: the body bounded, decoded and its signature checked, then Bolt."""
    budget = BodyBudget(MAX_BUFFERED_BYTES)

    async def events(request: Request) -> Response:
        with budget.share() as take, logs.slack_request():
            started = time.perf_counter()
            text = await _signed_text(request, take, budget, verifier)
            return text if isinstance(text, Response) else await _dispatch(app, request, text, started)

    return Route("/slack/events", events, methods=["POST"])


async def _signed_text(
    request: Request, take: Callable[[int], None], budget: BodyBudget, verifier: SignatureVerifier
) -> str | Response:
    """The request's body as text, once read within the limits and signed; else the refusal."""
    try:
        body = await read_body(request, take)
        text = body.decode("utf-8")  # Slack sends UTF-8 (JSON) or ASCII (forms)
    except BodyTooLarge:
        log.info("refused a request body over %d bytes", MAX_BODY_BYTES)
        return _closing(messages.BODY_TOO_LARGE, 413)
    except TooManyBodies:
        log.warning("refused a request body: %d bytes of bodies already held", budget.held)
        return _closing(messages.TOO_MANY_BODIES, 503, {"Retry-After": "1"})
    except TimeoutError:
        log.info("refused a request body still arriving after %.0f s", BODY_SECONDS)
        return _closing(messages.BODY_TOO_SLOW, 408)
    except (ValueError, ClientDisconnect):
        return PlainTextResponse(messages.BAD_REQUEST, status_code=400)
    if not signed(verifier, text, request.headers):
        # Never the body, nor the signature: only that one was refused.
        log.info("refused a request without a valid Slack signature (%d bytes)", len(body))
        return PlainTextResponse(messages.BAD_SIGNATURE, status_code=401)
    return text  # the text is what Bolt reads


async def _dispatch(app: AsyncApp, request: Request, text: str, started: float) -> Response:
    """A signed body to Bolt, if it is a Slack payload Bolt can read; else 400."""
    try:
        bolt_request = AsyncBoltRequest(body=text, query=request.query_params, headers=request.headers)  # type: ignore[arg-type]
        refusal = shape_refusal(bolt_request.body)
        if refusal is None:
            logs.slack_request_by(bolt_request.context.team_id, bolt_request.context.user_id)  # the verified body's
            response = to_starlette_response(await app.async_dispatch(bolt_request))
            metrics.ACK_SECONDS.labels(surface(bolt_request.body)).observe(time.perf_counter() - started)
            return response
    except MALFORMED as exc:
        refusal = type(exc).__name__
    log.warning("refused a signed request that is not a Slack payload (%s)", refusal)
    return PlainTextResponse(messages.BAD_REQUEST, status_code=400)


def _probe_routes(runtime: Runtime, health: Health) -> list[Route]:
    """`GET /healthz`, `GET /readyz` and `GET /metrics`, each behind HEALTHZ_TOKEN."""

    async def healthz(request: Request) -> JSONResponse:
        return await _probe(request, probes.live)

    async def readyz(request: Request) -> JSONResponse:
        return await _probe(request, probes.ready)

    async def _probe(request: Request, passes: Callable[[dict[str, Any]], bool]) -> JSONResponse:
        view = health.view_for(request.headers.get("authorization"), runtime.settings.HEALTHZ_TOKEN)
        if view is None:
            return JSONResponse(
                {"error": messages.HEALTHZ_BAD_TOKEN}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        report = await health.report(view)
        return JSONResponse(report, status_code=200 if passes(report) else 503)

    async def metrics_text(request: Request) -> Response:
        if not health.may_scrape(request.headers.get("authorization"), runtime.settings.HEALTHZ_TOKEN):
            return PlainTextResponse(
                messages.METRICS_BAD_TOKEN, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return Response(await health.scrape(runtime.clock()), media_type=metrics.CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
    ]
