"""Starting trackerbot's processes: HTTP (uvicorn), Socket Mode, and `digest --once`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import uvicorn

from bot import logs, messages
from bot.running.app import create_app
from bot.running.platform import ephemeral_sqlite_refusal, is_sqlite
from bot.running.session import SharedSession
from bot.running.workers import Workers, wind_down
from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from bot.store import Store, StoreError, StoreUnavailable
from bot.trackers.registry import build_trackers

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger(__name__)

# On SIGTERM the server stops listening at once; requests it is reading or answering (Slack's
# acknowledgements) get this long, then the background work gets its own bound (bot.running.web).
REQUESTS_STOP_SECONDS = 5.0
SOCKET_RETRY_SECONDS = 10.0  # Socket Mode: between attempts to connect, and between pings once connected
SOCKET_OPEN_SECONDS = 10  # Socket Mode: one apps.connections.open call, at most
METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


class StartupError(Exception):
    """The process cannot start; the message is one line, names the setting and is safe to print."""


def start_process(settings: Settings) -> None:
    """What every process does first: refuse SQLite where the platform wipes the disk (README,
    Deploy), then set up logging."""
    if refusal := ephemeral_sqlite_refusal(settings):
        raise StartupError(refusal)
    logs.configure(settings.LOG_LEVEL, settings.secret_values(), log_format=settings.LOG_FORMAT)


def build_runtime(settings: Settings) -> Runtime:
    """A process's runtime; once its store is open, it says which trackers are on (a warning when none is)."""
    start_process(settings)
    store = open_store(settings.DATABASE_URL)
    if on := settings.trackers_on():
        log.info("%s", messages.TRACKERS_ON.format(trackers=", ".join(on)))
    else:
        log.warning("%s", messages.NO_TRACKER_ON.format(switches=settings.tracker_switches()))
    return Runtime(settings=settings, trackers=build_trackers(settings), store=store)


def open_store(url: str) -> Store:
    """Open DATABASE_URL at start-up, or raise `StartupError` with one line naming the setting and the
    cause: a URL trackerbot cannot use, or a database that cannot be reached or opened."""
    try:
        with _quiet("bot.store.transactions"):  # its "database unavailable" warning is the cause said below
            return Store(url)
    except StoreUnavailable as exc:
        masker = logs.SecretMasker(_password(url))
        raise StartupError(masker.cut(messages.DATABASE_NOT_OPENED.format(cause=_cause(exc)))) from None
    except StoreError as exc:
        raise StartupError(" ".join(str(exc).split())) from None


def _cause(exc: BaseException) -> str:
    """The driver's own first line (drivers never echo passwords), or the store's sentence."""
    error = exc.__cause__
    original = getattr(error, "orig", None) or error or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _password(url: str) -> list[str]:
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password] if password else []


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def serve_http(settings: Settings) -> int:
    """Serve Slack over HTTP on $PORT: in this process, or, with WEB_CONCURRENCY > 1, in that many
    worker processes sharing the port (uvicorn's supervisor; each worker builds its own app and
    background workers from the environment, `worker_app`), which need a shared PostgreSQL."""
    from bot.running.web import KEEP_ALIVE_SECONDS, BoundedHttpToolsProtocol

    options: dict[str, Any] = {
        "host": "0.0.0.0",
        "port": settings.PORT,
        "log_config": None,
        "access_log": False,
        "http": BoundedHttpToolsProtocol,  # the head's size and time, and the connections open at once
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": REQUESTS_STOP_SECONDS,
    }
    if settings.WEB_CONCURRENCY == 1:
        uvicorn.run(web_app(settings), **options)
        return 0
    start_process(settings)
    check_shared_database(settings)
    with metrics_directory(os.environ):
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=settings.WEB_CONCURRENCY, **options)
    return 0


def web_app(settings: Settings) -> Starlette:
    """The HTTP app of one serving process, with its outbox worker and digest scheduler."""
    from bot.running.web import create_web_app

    runtime = build_runtime(settings)
    app = create_app(runtime)
    return create_web_app(runtime, app, workers=Workers(runtime, app.client))


def worker_app() -> Starlette:
    """One worker process's app when WEB_CONCURRENCY > 1 (uvicorn calls this in each worker): its
    settings read from the environment, as the parent process read and checked them."""
    return web_app(load_settings())


def check_shared_database(settings: Settings) -> None:
    """Before several worker processes start: DATABASE_URL is PostgreSQL, it opens (one line if
    not), and its schema is brought up to date, once, before the workers open it."""
    if is_sqlite(settings.DATABASE_URL):  # a URL trackerbot does not take is left to open_store
        raise StartupError(messages.WORKERS_NEED_POSTGRES.format(workers=settings.WEB_CONCURRENCY))
    asyncio.run(open_store(settings.DATABASE_URL).aclose())


@contextmanager
def metrics_directory(environ: MutableMapping[str, str]) -> Iterator[str]:
    """PROMETHEUS_MULTIPROC_DIR for the worker processes (each writes its metrics there, and
    `/metrics` adds them up): the one already set, or a fresh temporary directory, set in
    `environ` (the workers inherit it) and removed with everything in it afterwards."""
    if environ.get(METRICS_DIRECTORY):
        yield environ[METRICS_DIRECTORY]
        return
    with tempfile.TemporaryDirectory(prefix="trackerbot-metrics-") as fresh:
        environ[METRICS_DIRECTORY] = fresh
        try:
            yield fresh
        finally:
            environ.pop(METRICS_DIRECTORY, None)


async def serve_socket(settings: Settings) -> int:
    """Serve Slack over Socket Mode until SIGTERM, which stops it in every state (connecting,
    waiting to try again, connected) within the same bound as HTTP: the WebSocket gets
    `REQUESTS_STOP_SECONDS` to close, then the work in flight its own bound (bot.running.workers)."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.web.async_client import AsyncWebClient

    runtime = build_runtime(settings)
    app = create_app(runtime, socket_mode=True)
    shared = SharedSession(app)
    await shared.open()
    workers = Workers(runtime, app.client)
    workers.start()
    assert settings.SLACK_APP_TOKEN is not None
    socket_log = logging.getLogger("bot.socket_mode")
    socket_log.addFilter(OneLinePerAttempt(SOCKET_RETRY_SECONDS))
    handler = AsyncSocketModeHandler(
        app,
        settings.SLACK_APP_TOKEN.get_secret_value(),
        logger=socket_log,
        # apps.connections.open once per attempt (the app's client would retry it, a log line each time)
        web_client=AsyncWebClient(base_url=settings.SLACK_API_URL, timeout=SOCKET_OPEN_SECONDS, retry_handlers=[]),
        ping_interval=SOCKET_RETRY_SECONDS,
    )
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    # slack_sdk's connect() tries again until it connects, however long Slack stays away: it runs
    # beside the wait for SIGTERM, which cancels it wherever it is.
    connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]  # unannotated in slack_bolt
    try:
        await stopping.wait()  # SIGTERM: no new envelopes; then the work in flight, as over HTTP
    finally:
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        try:
            async with asyncio.timeout(REQUESTS_STOP_SECONDS):
                await handler.close_async()  # type: ignore[no-untyped-call]  # unannotated in slack_bolt
        except TimeoutError:
            log.warning(
                "Socket Mode: the WebSocket did not close within %.0f s; stopping anyway", REQUESTS_STOP_SECONDS
            )
        await wind_down(runtime, workers)
        await shared.close()
    return 0


class OneLinePerAttempt(logging.Filter):
    """slack_sdk's Socket Mode client tries to connect again every `ping_interval` seconds while
    Slack cannot be reached, logging each failure with a whole traceback (or, once connected and
    then cut off, a line of its own): each becomes one warning that counts the attempts and says
    when the next comes."""

    FAILURES = ("Failed to connect", "Failed to check the current session")

    def __init__(self, every: float) -> None:
        super().__init__()
        self.every = every
        self.attempts = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("A new session"):
            self.attempts = 0
        elif message.startswith(self.FAILURES):
            self.attempts += 1
            error = record.exc_info[1] if record.exc_info else None
            cause = f"{type(error).__name__}: {error}" if error is not None else message
            record.msg = "Socket Mode: Slack not reached (attempt %d: %s); next attempt in %.0f s"
            record.args = (self.attempts, " ".join(cause.split()), self.every)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


async def digest_once(settings: Settings) -> int:
    """Post every digest due now, then exit: 0 when each one this run claimed was posted (or none
    was due), 1 when a post or the database failed (cron shows it; the log has the details). A
    DATABASE_URL that cannot be opened at all stops start-up instead (`StartupError`: exit 2)."""
    from bot.posting import digest_delivery
    from bot.running.app import web_client

    try:
        runtime = build_runtime(settings)
        try:
            done = await digest_delivery.post_due(runtime, web_client(runtime))
        finally:
            await runtime.aclose()
            await runtime.store.aclose()
    except StoreError as exc:
        log.error("digest --once: %s", exc)
        return 1
    log.info("digest --once: %d digest(s) posted, %d failed", done.posted, done.failed)
    return 1 if done.failed else 0
