"""The README's two set-up commands work on a fresh Debian or Ubuntu (PEP 668 refuses a bare
`pip install` into the system Python): the first makes a venv and installs into it, the second
runs the console from it; the test command says it runs from the venv."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_that_install_into_a_venv_and_run_from_it() -> None:
    install, run = _quick_start_commands()
    assert install == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]"'
    assert run == ".venv/bin/python -m bot shell"


def test_the_readme_says_the_tests_run_from_the_venv() -> None:
    assert "Tests: `python -m pytest` from the venv" in README
    assert "python3-venv" in README  # what Debian needs for the first command
