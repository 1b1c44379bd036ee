"""The HTTP core every tracker client stands on.

One pooled `httpx.AsyncClient` per tracker with explicit timeouts, a bound on requests in flight,
retries with backoff and jitter for idempotent calls (stamina), status codes turned into typed
errors, and a short-lived cache for reference data. Authentication lives in `httpx.Auth` flows
(`tokens.py`, `issuetrak.py`), never in `if` chains here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import httpx
import stamina
from cachetools import TTLCache

from bot import metrics
from bot.trackers.errors import AuthenticationRefused, InvalidInput, NotFound, TimedOut, TrackerError, Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


NO_AUTH = httpx.Auth()  # for a call that must go out without the client's auth flow (a login)


@dataclass(frozen=True)
class HttpOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_in_flight: int = 10
    attempts: int = 3
    wait_initial: float = 0.2
    wait_max: float = 2.0
    reference_ttl: float = 300.0
    pool_timeout: float = 10.0  # waiting for a free connection is bounded too


class _RetryableStatus(Exception):
    """A 5xx or 429 answer to an idempotent call: worth another attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, (_RetryableStatus, httpx.TimeoutException, httpx.TransportError))


E = TypeVar("E", bound=TrackerError)


def _caused(error: E, cause: str) -> E:
    error.cause = cause
    return error


def transport_cause(exc: BaseException) -> str:
    """What stopped a call before any answer, for an operator: "connection refused", "TLS: <reason>", or
    the error's class and first line (an OS or TLS message: no URL, no credential)."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = " ".join(str(exc).split())[:200]
    if any(isinstance(link, ssl.SSLError) for link in chain) or "SSL" in text:
        return f"TLS: {text}"
    if any(isinstance(link, ConnectionRefusedError) for link in chain) or "Connection refused" in text:
        return "connection refused"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _short_detail(response: httpx.Response) -> str:
    """A tracker's own error sentence, if it gave a short one (never the whole body)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "Message", "msg", "error_description"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return ""


class TrackerHTTP:
    """One tracker's connection pool, limits, retries and error mapping."""

    def __init__(
        self,
        tracker: str,
        base_url: str,
        auth: httpx.Auth | None = None,
        *,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.tracker = tracker
        self._label = metrics.label(tracker)
        self.options = options = options or HttpOptions()
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "trackerbot/0.1"},
            timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout, pool=options.pool_timeout),
            limits=httpx.Limits(max_connections=options.max_in_flight, max_keepalive_connections=options.max_in_flight),
        )
        self._slots = asyncio.Semaphore(options.max_in_flight)
        self._reference: TTLCache[Hashable, Any] = TTLCache(maxsize=256, ttl=options.reference_ttl)
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}
        self.on_success: Callable[[], None] | None = None  # called whenever the tracker answers 2xx

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        not_found: str = "That item",
        not_found_statuses: tuple[int, ...] = (404,),
    ) -> Any:
        """Send one call and return its decoded JSON (None for an empty body).

        `path` is relative to the tracker's root. A JSON `body` is serialized once, so the
        bytes signed by an auth flow are the bytes sent. Reads (and calls marked `idempotent`)
        are retried on 5xx, 429, timeouts and connection errors.
        """
        started = time.perf_counter()
        try:
            return await self._request(method, path, params, body, idempotent, not_found, not_found_statuses, started)
        except TrackerError as exc:
            metrics.TRACKER_ERRORS.labels(self._label, type(exc).__name__).inc()
            raise
        finally:
            metrics.TRACKER_CALL_SECONDS.labels(self._label).observe(time.perf_counter() - started)

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Any,
        idempotent: bool | None,
        not_found: str,
        not_found_statuses: tuple[int, ...],
        started: float,
    ) -> Any:
        content = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if content is not None else None
        retry = method.upper() in ("GET", "HEAD") if idempotent is None else idempotent
        try:
            response = await self._send(method, path.lstrip("/"), params, content, headers, retry)
        except _RetryableStatus as exc:
            response = exc.response
        except httpx.TimeoutException as exc:
            log.warning("%s %s %s timed out", self.tracker, method, path)
            raise _caused(TimedOut(self.tracker), f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            log.warning("%s %s %s failed: %s", self.tracker, method, path, type(exc).__name__)
            raise _caused(Unavailable(self.tracker), transport_cause(exc)) from None
        log.debug(
            "%s %s %s -> %s in %.0f ms",
            self.tracker,
            method,
            path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return self._decode(response, not_found, not_found_statuses)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str] | None,
        retry: bool,
    ) -> httpx.Response:
        attempts = self.options.attempts if retry else 1
        async for attempt in stamina.retry_context(
            on=_retryable,
            attempts=attempts,
            wait_initial=self.options.wait_initial,
            wait_max=self.options.wait_max,
            wait_jitter=self.options.wait_initial,
            timeout=None,
        ):
            with attempt:
                async with self._slots:
                    response = await self.client.request(method, path, params=params, content=content, headers=headers)
                if retry and (response.status_code >= 500 or response.status_code == 429):
                    raise _RetryableStatus(response)
                return response
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def _decode(self, response: httpx.Response, not_found: str, not_found_statuses: tuple[int, ...]) -> Any:
        status = response.status_code
        if status < 300:
            if self.on_success is not None:
                self.on_success()
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                return response.text
        cause = f"HTTP {status}"
        if status in not_found_statuses:
            raise _caused(NotFound(self.tracker, not_found), cause)
        if status in (401, 403):
            raise _caused(AuthenticationRefused(self.tracker), cause)
        if status in (400, 409, 422):
            raise _caused(InvalidInput(self.tracker, _short_detail(response)), cause)
        log.warning("%s answered %s", self.tracker, status)
        raise _caused(Unavailable(self.tracker), cause)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def reference(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """Reference data (projects, users, lookups) cached for `reference_ttl`, loaded once
        however many callers ask at the same time.

        The load runs as a task of its own: a caller that gives up (a 2 s check, a health probe
        timing out) stops waiting without cancelling it, so every other caller still gets the
        value or the error. A load that fails is not cached; the next caller loads again."""
        if key in self._reference:
            return cast(T, self._reference[key])
        pending = self._loading.get(key)
        if pending is None:
            pending = self._loading[key] = asyncio.ensure_future(load())  # held here until done

            def loaded(task: asyncio.Future[Any]) -> None:
                del self._loading[key]
                if not task.cancelled() and task.exception() is None:  # exception(): marks it retrieved
                    self._reference[key] = task.result()

            pending.add_done_callback(loaded)
        return cast(T, await asyncio.shield(pending))

    def forget_reference(self) -> None:
        self._reference.clear()


__all__ = ["NO_AUTH", "HttpOptions", "TrackerError", "TrackerHTTP"]
