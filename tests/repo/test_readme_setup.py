"""The README's two set-up commands work on a fresh Debian or Ubuntu (PEP 668 refuses a bare
`pip install` into the system Python): the first makes a venv and installs into it, within the pins,
the second runs the console from it; the test command says it runs from the venv. The install command
is one, everywhere: CI runs it verbatim and the deploy check reads it from here (and runs it, with a
smoke test, in a fresh copy of the tree)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
INSTALL = 'python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e ".[test,dev]"'


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_that_install_into_a_venv_and_run_from_it() -> None:
    install, run = _quick_start_commands()
    assert install == INSTALL
    assert run == ".venv/bin/python -m bot shell"


def test_the_readme_says_the_tests_run_from_the_venv() -> None:
    assert "Tests: `python -m pytest` from the venv" in README
    assert "python3-venv" in README  # what Debian needs for the first command


def test_ci_installs_with_the_readmes_command_verbatim() -> None:
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert INSTALL in ci_lines
    assert [line for line in ci_lines if "pip install" in line and not line.startswith("#")] == [INSTALL]


def test_ci_runs_lint_imports_once() -> None:
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci_lines.count("lint-imports") == 1


def test_the_deploy_check_reads_the_install_command_from_the_readme() -> None:
    """The same extraction scripts/check-deploy.sh runs (its own lines, executed here) finds the Quick start's."""
    script = (ROOT / "scripts" / "check-deploy.sh").read_text()
    found = re.search(r"^readme_install=\$\((.*?)\)\n", script, re.DOTALL | re.MULTILINE)
    assert found is not None
    extraction = found.group(1).replace('"$root/README.md"', "README.md")
    done = subprocess.run(["bash", "-c", extraction], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    assert done.stdout.strip() == INSTALL
    assert 'bash -euc "$readme_install"' in script  # and runs it as it is


def _bash_blocks(heading: str) -> list[str]:
    """The lines (comments cut) of the bash blocks in the README section under `heading`."""
    section = README.split(f"\n{heading}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    return [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("heading", "uses_the_wheel"),
    [
        ("### A container platform", "docker build"),
        ("### A container platform", "docker compose up"),
        ("### A VM (systemd)", "pip install --constraint requirements.txt dist/trackerbot-*.whl"),
    ],
)
def test_each_deploy_section_builds_the_wheel_it_uses(heading: str, uses_the_wheel: str) -> None:
    lines = _bash_blocks(heading)
    used = next(i for i, line in enumerate(lines) if uses_the_wheel in line)
    built = [i for i, line in enumerate(lines) if "pip wheel --no-deps -w dist ." in line]
    venv = [i for i, line in enumerate(lines) if re.match(r"python3(\.11)? -m venv \.venv$", line)]
    assert built and venv and venv[0] < built[0] < used  # the venv that builds it, the wheel, then its use
    assert not [line for line in lines[: built[0]] if "dist/" in line and "rm -rf" not in line]


def test_the_built_wheel_is_not_left_untracked() -> None:
    done = subprocess.run(
        ["git", "check-ignore", "dist/trackerbot-0.1.0-py3-none-any.whl"], cwd=ROOT, capture_output=True, check=False
    )
    assert done.returncode == 0  # ignored: `git status` stays clean before `git push heroku main`
