"""The benchmark suite stays runnable: measurements in their quick form, against the real
servers process, rendered into the table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks import soak, suite
from benchmarks.report import table
from benchmarks.servers import Servers


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with Servers.start(project_count=6) as running:
        yield running


def _measurement(name: str) -> suite.Measurement:
    return next(m for m in suite.MEASUREMENTS if m.name == name)


def test_overhead_measurement_runs_in_its_quick_form(servers: Servers) -> None:
    rows = suite.measure(_measurement("overhead"), servers, runs=1, quick=True)
    assert [row.measurement.split(":")[0] for row in rows] == ["Client overhead per call"] * 2
    assert all(row.result.startswith("CPU +") and row.met is not None for row in rows)
    rendered = table(rows, runs=1, seconds=1.0)
    assert rendered.count("| Client overhead per call") == 2


def test_masker_and_hostile_body_measurements_run_in_their_quick_form(servers: Servers) -> None:
    """The hostile-body run refuses (413) an 8 MB body twice, an 8 MB header (431), a burst of 20 unsigned 1 MiB bodies
    (401 or 503) and a 60 kB unsigned one (401) on a real `python -m bot`; any other answer stops
    the measurement."""
    rows = [
        *suite.measure(_measurement("masker"), servers, runs=1, quick=True),
        *suite.measure(_measurement("hostile"), servers, runs=1, quick=True),
    ]
    assert [row.measurement.split(":")[0].split(" (")[0] for row in rows] == [
        "Log masker",
        "Peak RSS",
        "Peak RSS",
        "Peak RSS",
        "An unsigned 60 kB POST",
    ]
    assert all(row.met is not None for row in rows)
    assert "refusing a 8 MB unsigned body" in rows[1].measurement and "413 in" in rows[1].result
    assert "after a 8 MB header that never ends" in rows[2].measurement
    assert "after 20 unsigned 1 MiB bodies sent at once" in rows[3].measurement
    assert table(rows, runs=1, seconds=1.0).count("\n| ") == 6  # the header and five rows


def test_watch_round_measurement_runs_in_its_quick_form(servers: Servers) -> None:
    """100 watched issues, each watched by two channels: the steady round reads them by a few
    searches (the change feed: the watched issues, and the site's open ones for the DMs of the
    person the benchmark's watches act for), never one GET each."""
    [row] = suite.measure(_measurement("watch"), servers, runs=1, quick=True)
    assert row.measurement.startswith("Watch round: 100 watched Issuetrak issues (200 watches")
    calls = int(row.result.split("; ")[1].split()[0])
    assert 1 <= calls <= 6 and row.met is not None
    assert table([row], runs=1, seconds=1.0).count("| Watch round") == 1


def test_scale_measurement_runs_in_its_quick_form(servers: Servers, pg_url: str) -> None:
    """WEB_CONCURRENCY 1, 2 and 4 on PostgreSQL (`pg_url`: skipped without it, failed in CI):
    capacity, CPU per acknowledgement and per whole command, and the burst's p99."""
    rows = suite.measure(_measurement("scale"), servers, runs=1, quick=True)
    assert [row.measurement.split(" (")[0].split(":")[0] for row in rows] == [
        "Ack capacity",
        "One core",
        "Ack p99 of the command burst",
    ]
    assert rows[0].result.count("/s") == 3 and rows[0].met is not None
    assert "acks/s" in rows[1].versus and rows[1].met is None
    assert rows[2].result.count("ms") == 2 and rows[2].met is not None


def test_slow_clients_measurement_runs_in_its_quick_form(servers: Servers) -> None:
    """700 slow-header connections against a bot held to 1,024 descriptors (its cap 512, so the
    longest waiting are closed to make room): every probe answered, every slow connection closed."""
    rows = suite.measure(_measurement("slow"), servers, runs=1, quick=True)
    assert [row.measurement.split(" ")[0] for row in rows] == ["700", "The"]
    assert "of 700 closed" in rows[1].result and all(row.met is not None for row in rows)
    assert table(rows, runs=1, seconds=1.0).count("slow") == 2


def test_soak_runs_in_its_smoke_form_and_writes_every_note_once(servers: Servers, pg_url: str) -> None:
    """20 s of the soak's mixed traffic on 2 workers and PostgreSQL (`pg_url`: skipped without it,
    failed in CI): every request answered 200, nothing logged at ERROR, every note on Issuetrak
    exactly once, watch rounds run, and both workers sampled twice. Not in the default run."""
    assert "soak" in suite.NAMES and "soak" not in suite.DEFAULT_NAMES
    run = soak.measure(servers, seconds=20)
    assert run is not None
    assert set(run.sent) == set(soak.KINDS) and sum(run.sent.values()) == 20 * soak.RATE
    assert not run.refused and run.errors_logged == 0
    assert run.notes_sent > 0 and run.notes_once == run.notes_sent and run.notes_twice == 0
    assert run.watch_rounds >= 2
    assert len(run.early.rss_mb) == len(run.late.descriptors) == soak.WORKERS
    rows = soak.rows([run])
    assert rows[0].measurement.startswith("Soak: 20 s of mixed traffic") and rows[1].met is True


def test_assign_to_me_measurement_runs_in_its_quick_form(servers: Servers) -> None:
    """Three clicks on a real `python -m bot`, each counted at the contract server."""
    [row] = suite.measure(_measurement("change"), servers, runs=1, quick=True)
    assert row.measurement.startswith("Assign to me: click to the redrawn card")
    assert " = 4 round trips (" in row.result and "from a bare client) + " in row.result and row.met is not None
