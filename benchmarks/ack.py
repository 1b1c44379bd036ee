"""What a person in Slack feels, measured on `python -m bot`: start-up to `/healthz`, the time
to the card on response_url, and the acknowledgement latency of `/tracker project ...` and of
the "Create Issuetrak issue" shortcut under load while every tracker takes 2 s (with the time
to the shortcut's modal and the bot's peak RSS under that load).

One run is one bot process: start, warm up at zero latency (Bolt's first `auth.test`, the
Projectrak token and project list), card timings, then the load.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import slack_load
from benchmarks.process import running_bot
from benchmarks.report import Row, Spread, ms, percentile, secs
from benchmarks.servers import Servers

LOAD_LATENCY_SECONDS = 2.0
LOAD_REQUESTS = 200
LOAD_IN_FLIGHT = 50
ACK_TARGET_SECONDS = 0.050
CARD_OVERHEAD_TARGET_SECONDS = 0.020
RSS_TARGET_MB = 150.0
STARTUP_TARGET_SECONDS = 2.0
MODAL_DEADLINE_SECONDS = 3.0  # a trigger_id opens a modal only within 3 s of the click
PROJECT_KEYS = ("WEB", "MOB", "OPS", "DATA", "MKT", "LEGAL")
CARD_TEXT = "Website relaunch"  # the WEB card's text: proves the card is the project, not an error
WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class AckRun:
    startup: float
    cards: list[float]  # seconds from sending `/tracker project WEB` to the card on response_url
    command_acks: list[float]
    shortcut_acks: list[float]
    command_cpu: float  # the bot's CPU seconds per request while the load was sent
    shortcut_cpu: float
    modal_opens: list[float]  # seconds from sending the shortcut to views.open at the stand-in
    peak_rss_mb: float


def wait_for(servers: Servers, method: str, since: int, keys: set[str], key: str) -> dict[str, dict[str, Any]]:
    """The stand-in's calls of `method` whose `key` ("hook" or "trigger_id") is one of `keys`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = {c[key]: c for c in servers.slack_calls(method, since) if c[key] in keys}
        if len(found) == len(keys):
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(keys) - len(found)} {method} calls never reached the Slack stand-in")
        time.sleep(0.02)


def _card_seconds(servers: Servers, url: str, hook: str) -> float:
    since = servers.counters()["slack_calls"]
    request = slack_load.command("project WEB", hook, servers.response_url("").rstrip("/"))
    sent = asyncio.run(slack_load.send_all(url, [request], 1))[0]
    card = wait_for(servers, "response_url", since, {hook}, "hook")[hook]
    if CARD_TEXT not in card["text"]:
        raise RuntimeError(f"the card was not the project's: {card['text']!r}")
    return float(card["at"]) - sent.started


def measure(
    servers: Servers, *, run: int, cards: int, requests: int = LOAD_REQUESTS, in_flight: int = LOAD_IN_FLIGHT
) -> AckRun:
    response_base = servers.response_url("").rstrip("/")
    servers.set_latency(0.0)
    with running_bot(servers) as bot:
        _card_seconds(servers, bot.events_url, f"r{run}-warm")
        asyncio.run(
            slack_load.send_all(bot.events_url, [slack_load.create_issue_shortcut(f"r{run}-warm-sc", response_base)], 1)
        )
        servers.set_latency(LOAD_LATENCY_SECONDS)
        card_times = [_card_seconds(servers, bot.events_url, f"r{run}-card{i}") for i in range(cards)]

        keys = itertools.cycle(PROJECT_KEYS)
        commands = [
            slack_load.command(f"project {next(keys)}", f"r{run}-cmd{i}", response_base) for i in range(requests)
        ]
        cpu = bot.cpu_seconds()
        command_acks = asyncio.run(slack_load.send_all(bot.events_url, commands, in_flight))
        command_cpu, cpu = (bot.cpu_seconds() - cpu) / requests, bot.cpu_seconds()
        since = servers.counters()["slack_calls"]
        shortcuts = [slack_load.create_issue_shortcut(f"r{run}-sc{i}", response_base) for i in range(requests)]
        shortcut_acks = asyncio.run(slack_load.send_all(bot.events_url, shortcuts, in_flight))
        shortcut_cpu = (bot.cpu_seconds() - cpu) / requests
        opened = wait_for(servers, "views.open", since, {s.hook for s in shortcuts}, "trigger_id")
        modal_opens = [opened[s.request.hook]["at"] - s.started for s in shortcut_acks]
        peak = bot.peak_rss_mb()
        return AckRun(
            startup=bot.startup_seconds,
            cards=card_times,
            command_acks=[s.seconds for s in command_acks],
            shortcut_acks=[s.seconds for s in shortcut_acks],
            command_cpu=command_cpu,
            shortcut_cpu=shortcut_cpu,
            modal_opens=modal_opens,
            peak_rss_mb=peak,
        )


def _latency_row(label: str, runs: Sequence[list[float]], cpu: Sequence[float], requests: int, in_flight: int) -> Row:
    """Acknowledgement latency; with the bot's CPU per request, since with `in_flight` requests
    always waiting on one event loop, a request waits about `in_flight` x that CPU."""
    p50 = Spread.of([percentile(r, 0.50) for r in runs])
    p99 = Spread.of([percentile(r, 0.99) for r in runs])
    top = Spread.of([max(r) for r in runs])
    per_request = Spread.of(cpu)
    return Row(
        f"Ack of {label}: p50 / p99 / max, {requests} requests at {in_flight} in flight, every tracker 2 s",
        f"{p50.show(ms)} / {p99.show(ms)} / {top.show(ms)}; bot CPU {per_request.show(ms)} a request",
        f"p99 < {ACK_TARGET_SECONDS * 1000:.0f} ms",
        f"p99 = {p99.median / ACK_TARGET_SECONDS:.2f} × target",
        p99.median < ACK_TARGET_SECONDS,
    )


def rows(runs: Sequence[AckRun], *, requests: int = LOAD_REQUESTS, in_flight: int = LOAD_IN_FLIGHT) -> list[Row]:
    cards = Spread.of([percentile(r.cards, 0.5) for r in runs])
    overhead = Spread.of([percentile(r.cards, 0.5) - LOAD_LATENCY_SECONDS for r in runs])
    modal = Spread.of([percentile(r.modal_opens, 0.99) for r in runs])
    rss = Spread.of([r.peak_rss_mb for r in runs])
    startup = Spread.of([r.startup for r in runs])
    return [
        _latency_row(
            "`/tracker project <key>`",
            [r.command_acks for r in runs],
            [r.command_cpu for r in runs],
            requests,
            in_flight,
        ),
        _latency_row(
            "the *Create Issuetrak issue* shortcut",
            [r.shortcut_acks for r in runs],
            [r.shortcut_cpu for r in runs],
            requests,
            in_flight,
        ),
        Row(
            "Shortcut click to modal open (views.open), p99 under the same load",
            modal.show(ms),
            f"< {MODAL_DEADLINE_SECONDS:.0f} s (trigger life)",
            f"{modal.median / MODAL_DEADLINE_SECONDS:.3f} × deadline",
            modal.median < MODAL_DEADLINE_SECONDS,
        ),
        Row(
            f"`/tracker project WEB` to its card on response_url, tracker {LOAD_LATENCY_SECONDS:.0f} s "
            f"(median of {len(runs[0].cards)} per run)",
            f"{cards.show(secs)} = tracker + {overhead.show(ms)}",
            f"tracker + < {CARD_OVERHEAD_TARGET_SECONDS * 1000:.0f} ms",
            f"{cards.median / LOAD_LATENCY_SECONDS:.3f} × floor ({LOAD_LATENCY_SECONDS:.0f} s)",
            overhead.median < CARD_OVERHEAD_TARGET_SECONDS,
        ),
        Row(
            "Peak RSS of the bot process after the ack load (VmHWM)",
            rss.show(lambda v: f"{v:.0f} MB"),
            f"< {RSS_TARGET_MB:.0f} MB",
            f"{rss.median / RSS_TARGET_MB:.2f} × target",
            rss.median < RSS_TARGET_MB,
        ),
        Row(
            "Start-up: `python -m bot` to the first 200 from `/healthz` (trackers at 0 ms)",
            startup.show(secs),
            f"< {STARTUP_TARGET_SECONDS:.0f} s",
            f"{startup.median / STARTUP_TARGET_SECONDS:.2f} × target",
            startup.median < STARTUP_TARGET_SECONDS,
        ),
    ]
