"""Hypothesis under CI: derandomized, no example database, so a failure is reproducible and never
carried into the next run; outside CI the usual random search with its database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import settings

from tests.conftest import hypothesis_profile

ROOT = Path(__file__).resolve().parents[2]


def test_ci_set_picks_the_derandomized_profile_without_a_database() -> None:
    assert hypothesis_profile({"CI": "true"}) == "trackerbot-ci"
    assert hypothesis_profile({"CI": "1"}) == "trackerbot-ci"
    profile = settings.get_profile("trackerbot-ci")
    assert profile.derandomize is True
    assert profile.database is None
    assert profile.deadline is None


def test_without_ci_the_search_stays_random() -> None:
    assert hypothesis_profile({}) == "trackerbot"
    assert hypothesis_profile({"CI": ""}) == "trackerbot"
    assert settings.get_profile("trackerbot").derandomize is False


def test_pytest_under_ci_runs_hypothesis_derandomized_with_no_database(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from hypothesis import settings\n"
        "def test_probe():\n"
        "    assert settings.default.derandomize is True\n"
        "    assert settings.default.database is None\n"
    )
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest", str(probe)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
