"""Figures across runs (medians, with the spread), the machine they ran on, and the markdown table."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1): p99 of 200 samples is the 198th smallest."""
    ordered = sorted(values)
    rank = max(1, math.ceil(len(ordered) * share - 1e-9))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """One figure over several runs: the median, and the lowest and highest run."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def show(self, fmt: Callable[[float], str]) -> str:
        """`77.1 ms (53.2–95.8)`: the median, then the lowest and highest run, unit not repeated."""
        median, low, high = fmt(self.median), fmt(self.low), fmt(self.high)
        if low == high:
            return median
        unit = median.rpartition(" ")[2] if " " in median else ""
        if unit and low.endswith(" " + unit) and high.endswith(" " + unit):
            low, high = low.removesuffix(" " + unit), high.removesuffix(" " + unit)
        return f"{median} ({low}–{high})"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def times(ratio: float) -> str:
    return f"{ratio:.2f}×"


@dataclass(frozen=True)
class Row:
    measurement: str
    result: str  # median over runs, with the range in brackets
    target: str
    versus: str  # the ratio to a floor or a baseline, or "—"
    met: bool | None  # None: no target, a figure to read

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "—"}[self.met]


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} × {model}, {platform.system()} {platform.release()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def table(rows: Sequence[Row], *, runs: int, seconds: float) -> str:
    lines = [
        f"Machine: {machine()}. Each figure is the median of {runs} run{'s' if runs != 1 else ''} "
        "(lowest–highest in brackets); the machine is shared with other test runs, so figures are noisy. "
        f"Suite time: {seconds:.0f} s.",
        "",
        "| measurement | result | target | vs floor / baseline | |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.measurement} | {r.result} | {r.target} | {r.versus} | {r.verdict} |" for r in rows]
    return "\n".join(lines) + "\n"


MEANING = """\
What the numbers mean for a person in Slack: the **ack** is how long Slack waits for the bot to say
"working on it" (Slack gives up at 3 s and shows the person an error); the **modal** row is how
soon a shortcut's form opens (its trigger dies after 3 s); the **card** row is how long the person
waits for the answer itself, which can never beat the tracker's own latency, so the figure that
matters is what the bot adds to it. **Token mints** and the **digest fan-out** are what the
trackers pay: one login however many people ask at once, and a 500-project digest that costs
about ceil(500 / C) round trips of wall time instead of 500. **Client overhead** is the bot's own
cost per tracker call; **memory** and **start-up** decide how small a machine can host the bot
and how soon it answers again after a restart or deploy. The **vendor baseline** compares the
bot's pooled client with the way Issuetrak's own sample calls the API. The **log masker** and
**hostile body** rows are what anyone on the internet can make the bot do. Measured here on the
code before the fix: the same unsigned 60 kB POST froze `python -m bot` for 55 s (the issue saw
94 s), `/healthz` waiting 55 s behind it (Bolt logged the unsigned body whole and the masker
took quadratic time over it); a 60 MB unsigned body got no answer within 120 s, and the bot's
peak RSS reached 281 MB; a 60 MB header that never ends took it to 202 MB. With the size limit
but before the bodies held at once shared an 8 MiB budget, 200 unsigned 1 MiB bodies at once
took it to 180 MB; what the burst still adds to a fresh bot (about 30 MB) is uvicorn's
per-connection buffers, and it grows slowly: 600 such bodies at once reached 129 MB.
"""
