"""`.ci/run` on a clean Debian machine: python3-venv is installed (apt-get) before the venv is made."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$CALLS"\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _run_until_the_venv(tmp_path: Path, *, has_venv: bool) -> list[str]:
    """Run `.ci/run` with stand-ins for python3 and apt-get; the stand-in `python3 -m venv` fails, so
    the script stops there and nothing is installed. Returns the calls, in order."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    python_body = 'case "$1" in -c) exit ' + ("0" if has_venv else "1") + ";; -m) exit 1;; esac"
    _stub(bin_dir, "python3", python_body)
    _stub(bin_dir, "apt-get", "exit 0")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0  # the stand-in venv failed, and set -e stopped the script there
    return calls.read_text().splitlines()


def test_ci_run_installs_python3_venv_before_creating_the_venv(tmp_path: Path) -> None:
    calls = _run_until_the_venv(tmp_path, has_venv=False)
    install = calls.index("apt-get install -y -qq python3-venv")
    venv = calls.index("python3 -m venv .venv")
    assert calls.index("apt-get update -qq") < install < venv
    assert calls[-1] == "python3 -m venv .venv"


def test_ci_run_leaves_apt_alone_when_venv_is_there(tmp_path: Path) -> None:
    calls = _run_until_the_venv(tmp_path, has_venv=True)
    assert not [call for call in calls if call.startswith("apt-get")]
    assert calls[-1] == "python3 -m venv .venv"


def test_ci_run_sets_ci_for_the_test_run() -> None:
    text = (ROOT / ".ci" / "run").read_text()
    assert 'export CI="${CI:-1}"' in text
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
