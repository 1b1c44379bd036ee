"""The log masker on a megabyte: one 1 MB log line through `SecretMasker.filter` (what every
log line pays: the cut to `MESSAGE_LIMIT` characters, then the masking), and the whole uncut
megabyte through the patterns alone (`SecretMasker.mask`), which shows they take linear time.
Each is the worst of the adversarial shapes that made the old patterns quadratic (40k
characters took 38 s)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from benchmarks.report import Row, Spread, ms
from bot.logs import SecretMasker

MEGABYTE = 1024 * 1024
TARGET_SECONDS = 0.050
SECRETS = ("kitsu-p@ss word&1", "aip-token-0123456789")
ADVERSARIAL = {
    "one word": "x" * MEGABYTE,
    "JWT starts": "eyJ" * (MEGABYTE // 3),
    "key names": "token" * (MEGABYTE // 5),
    "hyphenated": "a-" * (MEGABYTE // 2),
    "names without values": "token: " * (MEGABYTE // 7),
    "bearer words": "bearer " * (MEGABYTE // 7),
    "one name, then spaces": "password" + " " * MEGABYTE,
}


@dataclass(frozen=True)
class MaskerRun:
    logged: float  # seconds: the worst shape's 1 MB record through the filter
    uncut: float  # seconds: the worst shape's whole megabyte through the patterns


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure() -> MaskerRun:
    masker = SecretMasker(SECRETS)
    logged, uncut = [], []
    for line in ADVERSARIAL.values():
        record = logging.LogRecord("slack_bolt.App", logging.INFO, __file__, 1, "body: %s", (line,), None)
        logged.append(_timed(partial(masker.filter, record)))
        uncut.append(_timed(partial(masker.mask, line)))
    return MaskerRun(max(logged), max(uncut))


def rows(runs: Sequence[MaskerRun]) -> list[Row]:
    logged = Spread.of([r.logged for r in runs])
    uncut = Spread.of([r.uncut for r in runs])
    return [
        Row(
            f"Log masker: one 1 MB log line through the filter (cut, then masked), worst of {len(ADVERSARIAL)} "
            "adversarial shapes; uncut: the whole megabyte through the patterns alone",
            f"{logged.show(ms)}; uncut {uncut.show(ms)}",
            f"< {TARGET_SECONDS * 1000:.0f} ms",
            f"{logged.median / TARGET_SECONDS:.3f} × target",
            logged.median < TARGET_SECONDS,
        )
    ]
