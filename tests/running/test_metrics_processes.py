"""`/metrics` with several worker processes: each writes its values to PROMETHEUS_MULTIPROC_DIR,
and whichever process is scraped shows them all added up (counters and histograms summed; the
outbox gauges, which every process reads from the same store, as last read). Two real processes,
alive at the same time, on one directory and one store."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.store import NotePayload, OutboxKind, Requester, Store

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import asyncio, sys
from datetime import UTC, datetime
from bot import metrics
from bot.running.health import Health
from bot.store import Store
from bot.trackers.registry import Trackers

n = int(sys.argv[2])
metrics.TOKEN_MINTS.labels("kitsu").inc(n)
metrics.ACK_SECONDS.labels("command").observe(0.01 * n)
metrics.TRACKER_ERRORS.labels("issuetrak", "Unavailable").inc()
metrics.observe_watch_round(0.5)
print("counted", flush=True)
sys.stdin.readline()  # scrape when told

async def scrape() -> bytes:
    store = Store(sys.argv[1])
    try:
        return await Health(Trackers(), store).scrape(datetime.now(UTC))
    finally:
        await store.aclose()

sys.stdout.write(asyncio.run(scrape()).decode())
"""


def series(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def one_waiting_write(url: str) -> None:
    store = Store(url)
    created = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    payload = NotePayload(issue=1, html="<p>x</p>", private=False, created_by="amartin", email="a@example.com")
    await store.enqueue("k1", OutboxKind.NOTE, payload, Requester("T0", "U0", "C0"), created)
    await store.aclose()


def test_two_worker_processes_are_scraped_as_one(tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    asyncio.run(one_waiting_write(url))

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(n)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline() == "counted\n"  # both alive, both counted
        scraped = [series(worker.communicate("scrape\n", timeout=60)[0]) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    assert [worker.returncode for worker in workers] == [0, 0]
    for seen in scraped:  # whichever process is scraped: the same sums
        assert seen[("trackerbot_token_mints_total", frozenset({("tracker", "kitsu")}))] == 3
        assert seen[("trackerbot_ack_seconds_count", frozenset({("surface", "command")}))] == 2
        assert abs(seen[("trackerbot_ack_seconds_sum", frozenset({("surface", "command")}))] - 0.03) < 1e-9
        assert (
            seen[("trackerbot_tracker_errors_total", frozenset({("tracker", "issuetrak"), ("kind", "Unavailable")}))]
            == 2
        )
        assert seen[("trackerbot_watch_rounds_total", frozenset())] == 2
        assert seen[("trackerbot_outbox_depth", frozenset())] == 1, "read from the store, not summed over processes"
        assert seen[("trackerbot_outbox_oldest_waiting_seconds", frozenset())] > 3600
    assert len(list(directory.iterdir())) >= 2, "each process wrote its own files"
