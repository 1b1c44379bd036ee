"""The search benchmark stays runnable, in its quick form, against the real servers process."""

from __future__ import annotations

from benchmarks import suite
from benchmarks.report import table
from benchmarks.servers import Servers


def test_search_measurement_runs_in_its_quick_form() -> None:
    with Servers.start(project_count=6) as servers:
        [row] = suite.measure(next(m for m in suite.MEASUREMENTS if m.name == "search"), servers, runs=1, quick=True)
    assert row.measurement.startswith("`/tracker search`") and "one page of 10 issues" in row.measurement
    assert row.result.startswith("1 Issuetrak call; bot CPU") and row.met is not None
    assert table([row], runs=1, seconds=1.0).count("| `/tracker search`") == 1
