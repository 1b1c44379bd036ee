"""`python -m bot shell`: the offline console. Type what you would type in Slack and see what the
bot would post, rendered as text; trackers that are not configured run on built-in demo data.

The lines drive the production Bolt app (`bot.running.app.create_app`) through Slack-shaped
payloads; a local stand-in for the Slack Web API, served on loopback, records what the app posts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TextIO

from bot.console.demo_trackers import console_setup, fresh_database
from bot.console.render import Style
from bot.console.session import Session
from bot.console.terminal import Output, Reader, StreamReader, TerminalReader
from bot.demo import slack as slack_standin
from bot.demo.loopback import serve_in_thread
from bot.logs import SecretMasker
from bot.running.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store import Store, StoreError
from bot.trackers.registry import build_trackers

__all__ = ["open_console", "run_console"]

log = logging.getLogger(__name__)

INTERRUPTED = 130  # what a shell reports for a program stopped by Ctrl-C
CANNOT_START = 2
FAILED = 1
LOG_NAME = "console.log"


async def run_console(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None, home: Path | None = None
) -> int:
    """Run the console until `:quit` or the end of input; returns the process's exit code.

    `stdin`/`stdout` default to the process's own; when input is not a terminal, lines are read
    one by one with no prompts (scripts, tests). `home` (default ~/.trackerbot) holds the
    history, the log and the console's database."""
    out_stream = stdout or sys.stdout
    out = Output(out_stream, Style(color=_wants_color(out_stream)))
    folder = home or Path.home() / ".trackerbot"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        out.line(f"The console cannot start: it cannot create {folder} ({exc.strerror}).")
        return CANNOT_START
    source = stdin or sys.stdin
    reader: Reader = (
        TerminalReader(folder / "history") if stdin is None and _is_terminal(source) else StreamReader(source)
    )
    log_path = folder / LOG_NAME
    try:
        with _logging_to(log_path, settings):
            try:
                async with open_console(settings, reader=reader, out=out, folder=folder) as session:
                    session.banner()
                    return await session.run()
            except StoreError as exc:
                out.line(f"The console cannot start: {exc}")
                return CANNOT_START
            except Exception as exc:  # a sentence for the person, the details for the log
                log.exception("the console stopped")
                out.line(f"The console stopped ({type(exc).__name__}); the details are in {log_path}.")
                return FAILED
    except asyncio.CancelledError:  # Ctrl-C while the bot was working
        out.line("Interrupted.")
        return INTERRUPTED
    finally:
        reader.close()


@asynccontextmanager
async def open_console(settings: Settings, *, reader: Reader, out: Output, folder: Path) -> AsyncIterator[Session]:
    """A console session on the production app: the Slack stand-in on loopback, demo trackers
    in-process for every tracker `settings` leave off, and the store (`session.setup` holds the
    demo trackers' states)."""
    slack = slack_standin.SlackState()
    with serve_in_thread(slack_standin.create_app(slack)) as slack_url:
        _uvicorn_to_log()
        setup = console_setup(settings, slack_api_url=f"{slack_url}/api/", folder=folder)
        database = fresh_database(settings, folder)
        store = Store(setup.settings.DATABASE_URL)
        runtime = Runtime(
            settings=setup.settings, trackers=build_trackers(setup.settings, transports=setup.transports()), store=store
        )
        try:
            yield Session(
                app=create_app(runtime, socket_mode=True),
                runtime=runtime,
                setup=setup,
                slack=slack,
                slack_url=slack_url,
                reader=reader,
                out=out,
                log_path=folder / LOG_NAME,
                database=database,
            )
        finally:
            await runtime.aclose()
            await store.aclose()


def _wants_color(stream: TextIO) -> bool:
    """Emphasis only on a terminal that shows it, and not when NO_COLOR is set (no-color.org)."""
    return _is_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def _logging_to(path: Path, settings: Settings) -> Iterator[None]:
    """Logs go to a file, masked like the servers' logs: the terminal shows only the bot."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretMasker(settings.secret_values()))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _uvicorn_to_log() -> None:
    """uvicorn (serving the Slack stand-in) sets up its own stderr logging; send it to ours."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
