"""The console's two ends: where its text goes, and where lines come from (a terminal with
readline history and Ctrl-C, or any stream read line by line, for scripts and tests)."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO

from bot.console.render import Style

log = logging.getLogger(__name__)
HISTORY_LENGTH = 1000


class Cancelled(Exception):
    """The person pressed Ctrl-C while asked for something."""


class Output:
    def __init__(self, stream: TextIO, style: Style) -> None:
        self.stream = stream
        self.style = style

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def lines(self, lines: Iterable[str], indent: str = "  ") -> None:
        for text in lines:
            self.line(indent + text)

    def json(self, value: Any) -> None:
        self.lines(json.dumps(value, indent=2, ensure_ascii=False).split("\n"), indent="    ")


class Reader(Protocol):
    interactive: bool

    def read(self, prompt: str, *, remember: bool = True) -> str | None:
        """One line without its newline; None at the end of input."""

    def close(self) -> None: ...


class StreamReader:
    """Lines from a pipe, a file or a test's StringIO: no prompts, no history."""

    interactive = False

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def read(self, prompt: str, *, remember: bool = True) -> str | None:
        line = self.stream.readline()
        return line.rstrip("\r\n") if line else None

    def close(self) -> None:
        pass


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt while reading (asyncio's own handler would only cancel
    the task once the line is read)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class TerminalReader:
    """A person at a terminal: prompts, line editing, and history kept in `history`."""

    interactive = True

    def __init__(self, history: Path) -> None:
        self.history = history
        try:
            import readline
        except ImportError:  # not every platform has it; the console works without
            self._readline = None
            return
        self._readline = readline
        readline.set_history_length(HISTORY_LENGTH)
        if history.exists():
            try:
                readline.read_history_file(history)
            except OSError as exc:
                log.warning("could not read the console history: %s", exc)

    def read(self, prompt: str, *, remember: bool = True) -> str | None:
        try:
            with _interruptible():
                line = input(prompt)
        except EOFError:
            sys.stdout.write("\n")  # ends the prompt's line on the terminal input() wrote it to
            return None
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            raise Cancelled from None
        if not remember and line and self._readline is not None:
            self._readline.remove_history_item(self._readline.get_current_history_length() - 1)
        return line

    def close(self) -> None:
        if self._readline is None:
            return
        try:
            self._readline.write_history_file(self.history)
        except OSError as exc:
            log.warning("could not save the console history: %s", exc)
