"""The suite: every measurement, several runs each, against one servers process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import (
    ack,
    change,
    digest,
    hostile,
    masker,
    overhead,
    scale,
    search,
    slow_clients,
    soak,
    steps,
    tokens,
    vendor,
    watch,
)
from benchmarks.report import Row
from benchmarks.servers import Servers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Measurement:
    name: str
    once: Callable[[Servers, bool, int], Any]  # (servers, quick, run index) -> one run's figures
    rows: Callable[[list[Any]], list[Row]]
    in_default_run: bool = True  # False: only with --only NAME
    runs: int | None = None  # always this many runs, whatever --runs says


MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement("ack", lambda s, quick, i: ack.measure(s, run=i, cards=2 if quick else 3), ack.rows),
    Measurement("tokens", lambda s, quick, i: tokens.measure(s), tokens.rows),
    Measurement(
        "change", lambda s, quick, i: change.measure(s, run=i, clicks=3 if quick else change.CLICKS), change.rows
    ),
    Measurement(
        "digest", lambda s, quick, i: digest.measure(s, sample=10 if quick else digest.SEQUENTIAL_SAMPLE), digest.rows
    ),
    Measurement("watch", lambda s, quick, i: watch.measure(s, issues=100 if quick else watch.ISSUES), watch.rows),
    Measurement(
        "overhead", lambda s, quick, i: overhead.measure(s, calls=60 if quick else overhead.CALLS), overhead.rows
    ),
    Measurement("vendor", lambda s, quick, i: vendor.measure(s), vendor.rows),
    Measurement(
        "search", lambda s, quick, i: search.measure(s, searches=10 if quick else search.SEARCHES), search.rows
    ),
    Measurement("steps", lambda s, quick, i: steps.measure(s, samples=5 if quick else steps.SAMPLES), steps.rows),
    Measurement("masker", lambda s, quick, i: masker.measure(), masker.rows),
    Measurement(
        "hostile",
        lambda s, quick, i: hostile.measure(
            s, megabytes=8 if quick else hostile.BODY_MEGABYTES, burst=20 if quick else hostile.BURST_REQUESTS
        ),
        hostile.rows,
    ),
    Measurement(
        "slow",
        lambda s, quick, i: slow_clients.measure(s, connections=700 if quick else slow_clients.SLOW_CONNECTIONS),
        slow_clients.rows,
    ),
    Measurement(
        "scale",
        lambda s, quick, i: scale.measure(
            s, run=i, requests=1000 if quick else scale.CAPACITY_REQUESTS, burst=60 if quick else ack.LOAD_REQUESTS
        ),
        scale.rows,
    ),
    Measurement(
        "soak",
        lambda s, quick, i: soak.measure(s, seconds=60 * (soak.QUICK_MINUTES if quick else soak.MINUTES)),
        soak.rows,
        in_default_run=False,
        runs=1,
    ),
)
NAMES = tuple(m.name for m in MEASUREMENTS)
DEFAULT_NAMES = tuple(m.name for m in MEASUREMENTS if m.in_default_run)


def measure(measurement: Measurement, servers: Servers, *, runs: int, quick: bool) -> list[Row]:
    started = time.monotonic()
    results = []
    runs = measurement.runs or runs
    for index in range(runs):
        results.append(measurement.once(servers, quick, index))
        log.info("  %s run %d/%d done (%.0f s)", measurement.name, index + 1, runs, time.monotonic() - started)
    return measurement.rows(results)


def run(names: Sequence[str] = DEFAULT_NAMES, *, runs: int, quick: bool) -> list[Row]:
    """Start the servers, run the named measurements `runs` times each, return the table rows."""
    rows: list[Row] = []
    with Servers.start() as servers:
        for measurement in MEASUREMENTS:
            if measurement.name in names:
                log.info("%s ...", measurement.name)
                rows += measure(measurement, servers, runs=runs, quick=quick)
    return rows
