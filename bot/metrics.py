"""trackerbot's Prometheus metrics (`GET /metrics`), with prometheus-client.

A leaf: it imports nothing of trackerbot, so every layer may count here. Every series is named
`trackerbot_…`, and its labels come from fixed sets (a surface, a tracker's name, an error class),
never from what people type: no names, ids, emails, tokens or URLs.

With several worker processes (`PROMETHEUS_MULTIPROC_DIR` set to a fresh directory before they
start, as prometheus-client requires), each process writes its values there and `exposition()`
adds up all of them, whichever process is scraped.
"""

from __future__ import annotations

import math

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack wants its acknowledgement within 3 s; the buckets are finest where a healthy bot answers.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
TRACKER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
WATCH_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

ACK_SECONDS = Histogram(
    "trackerbot_ack_seconds",
    "Time from a Slack request's arrival to its acknowledgement, by surface",
    ["surface"],
    buckets=ACK_BUCKETS,
)
TRACKER_CALL_SECONDS = Histogram(
    "trackerbot_tracker_call_seconds",
    "Time one tracker call took, retries included, answered or not",
    ["tracker"],
    buckets=TRACKER_BUCKETS,
)
TRACKER_ERRORS = Counter(
    "trackerbot_tracker_errors_total",
    "Tracker calls that ended in a typed error, by tracker and error class",
    ["tracker", "kind"],
)
TOKEN_MINTS = Counter("trackerbot_token_mints_total", "Tracker tokens minted (logins and refreshes)", ["tracker"])
# Read from the store when /metrics is scraped: the same for every process, so the latest read wins.
OUTBOX_DEPTH = Gauge(
    "trackerbot_outbox_depth",
    "Tracker writes waiting in the outbox (pending or being sent)",
    [],
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "trackerbot_outbox_oldest_waiting_seconds",
    "Age of the oldest write waiting in the outbox (0 when none waits)",
    [],
    multiprocess_mode="mostrecent",
)
DIGESTS_POSTED = Counter("trackerbot_digests_posted_total", "Channel digests posted", ["trigger"])
DIGESTS_FAILED = Counter("trackerbot_digests_failed_total", "Channel digests that could not be posted", ["trigger"])
WATCH_ROUNDS = Counter("trackerbot_watch_rounds_total", "Rounds of the watch poller")
WATCH_ROUND_SECONDS = Histogram(
    "trackerbot_watch_round_seconds", "Time one round of the watch poller took", buckets=WATCH_BUCKETS
)


def label(name: str) -> str:
    """A tracker's name as a label value: lower case, as /healthz names it."""
    return name.lower()


def observe_watch_round(seconds: float) -> None:
    """One round of the watch poller ended after `seconds`."""
    WATCH_ROUNDS.inc()
    WATCH_ROUND_SECONDS.observe(seconds)


def set_outbox(depth: int | None, oldest_seconds: float | None) -> None:
    """The outbox as the store just said: `depth` None when the store could not say (both NaN, not a
    stale number); `oldest_seconds` None when nothing waits (0, as the README says)."""
    if depth is None:
        OUTBOX_DEPTH.set(math.nan)
        OUTBOX_OLDEST_SECONDS.set(math.nan)
        return
    OUTBOX_DEPTH.set(depth)
    OUTBOX_OLDEST_SECONDS.set(max(0.0, oldest_seconds or 0.0))


def multiprocess() -> bool:
    """Whether this process writes its values to `PROMETHEUS_MULTIPROC_DIR`: prometheus-client
    decided it when it was first imported, from that variable, so a variable set later changes
    nothing (and must not make /metrics read files nobody writes)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def exposition() -> bytes:
    """Every series in Prometheus' text format: this process's, or all processes' together."""
    if not multiprocess():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated
    return generate_latest(registry)
