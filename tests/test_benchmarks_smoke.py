"""The benchmark suite stays runnable: one measurement in its quick form, against the real
servers process, rendered into the table."""

from __future__ import annotations

from benchmarks import suite
from benchmarks.report import table
from benchmarks.servers import Servers


def test_overhead_measurement_runs_in_its_quick_form() -> None:
    overhead = next(m for m in suite.MEASUREMENTS if m.name == "overhead")
    with Servers.start(project_count=6) as servers:
        rows = suite.measure(overhead, servers, runs=1, quick=True)
    assert [row.measurement.split(":")[0] for row in rows] == ["Client overhead per call"] * 2
    assert all(row.result.startswith("CPU +") and row.met is not None for row in rows)
    rendered = table(rows, runs=1, seconds=1.0)
    assert rendered.count("| Client overhead per call") == 2
