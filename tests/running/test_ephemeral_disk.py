"""On a platform whose disk is wiped at restarts (Heroku, Render, Fly.io, Cloud Run), SQLite would lose the links,
the digests and the queued writes: `python -m bot`, `socket` and `digest --once` stop with one line naming
DATABASE_URL and ALLOW_EPHEMERAL_SQLITE, unless ALLOW_EPHEMERAL_SQLITE=true or DATABASE_URL is PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import messages
from bot.running.platform import EPHEMERAL_DISK_PLATFORMS, ephemeral_sqlite_refusal
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
HEROKU_REFUSAL = "trackerbot cannot start: " + messages.EPHEMERAL_SQLITE.format(platform="Heroku ($DYNO is set)")


def _run_bot(tmp_path: Path, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot` from this tree in an empty folder, with fake Slack settings and only `settings`."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing is sent; if it were, nothing answers
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("mode", [[], ["socket"], ["digest", "--once"]], ids=["serve", "socket", "digest"])
@pytest.mark.parametrize("database", [None, "sqlite:///trackerbot.db", "sqlite+pysqlite:///data/tb.db", "sqlite://"])
def test_sqlite_on_heroku_stops_start_up_with_one_line(tmp_path: Path, mode: list[str], database: str | None) -> None:
    settings = {"DYNO": "web.1", "PORT": "1"}
    if database is not None:
        settings["DATABASE_URL"] = database
    done = _run_bot(tmp_path, settings, *mode)
    output = done.stderr + done.stdout
    assert done.returncode == 2, output
    assert output.strip() == HEROKU_REFUSAL
    assert not list(tmp_path.glob("*.db"))  # refused before the store was opened: no file left behind


def test_sqlite_on_heroku_with_the_workers_heroku_sets_is_refused_for_the_disk(tmp_path: Path) -> None:
    """Heroku sets WEB_CONCURRENCY by dyno size: the refusal says what matters there, the wiped disk."""
    done = _run_bot(tmp_path, {"DYNO": "web.1", "PORT": "1", "WEB_CONCURRENCY": "2"})
    assert done.returncode == 2, done.stderr
    assert (done.stderr + done.stdout).strip() == HEROKU_REFUSAL


def test_the_refusal_names_what_to_do_and_never_the_url(tmp_path: Path) -> None:
    done = _run_bot(tmp_path, {"FLY_APP_NAME": "tb", "DATABASE_URL": "sqlite:////secret-folder-hunter2/tb.db"})
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "Fly.io ($FLY_APP_NAME is set)" in line
    assert "PostgreSQL" in line and "ALLOW_EPHEMERAL_SQLITE=true" in line
    assert "hunter2" not in line


def test_allow_ephemeral_sqlite_lets_digest_once_run_on_heroku(tmp_path: Path) -> None:
    done = _run_bot(tmp_path, {"DYNO": "scheduler.1", "ALLOW_EPHEMERAL_SQLITE": "true"}, "digest", "--once")
    assert done.returncode == 0, done.stderr
    assert "digest --once: 0 digest(s) posted, 0 failed" in done.stderr
    assert (tmp_path / "trackerbot.db").exists()


def test_without_a_platform_sqlite_is_fine(tmp_path: Path) -> None:
    done = _run_bot(tmp_path, {}, "digest", "--once")
    assert done.returncode == 0, done.stderr


def test_a_malformed_allow_ephemeral_sqlite_is_named_in_one_line(tmp_path: Path) -> None:
    done = _run_bot(tmp_path, {"DYNO": "web.1", "ALLOW_EPHEMERAL_SQLITE": "sure"})
    assert done.returncode == 2
    line = done.stderr.strip()
    assert line.startswith("trackerbot cannot start: ALLOW_EPHEMERAL_SQLITE")
    assert "\n" not in line


def _settings(**values: str):
    return load_settings(_env_file=None, **values)


@pytest.mark.parametrize(("variable", "platform"), EPHEMERAL_DISK_PLATFORMS)
def test_each_platform_is_seen_by_its_own_variable(variable: str, platform: str) -> None:
    refusal = ephemeral_sqlite_refusal(_settings(), {variable: "anything"})
    assert refusal == messages.EPHEMERAL_SQLITE.format(platform=f"{platform} (${variable} is set)")


@pytest.mark.parametrize(
    "url",
    [
        "postgres://user:pw@db.example/tb",  # Heroku's own DATABASE_URL
        "postgresql://user:pw@db.example/tb",
        "postgresql+psycopg://user:pw@db.example/tb",
    ],
)
def test_postgresql_on_a_platform_is_taken(url: str) -> None:
    assert ephemeral_sqlite_refusal(_settings(DATABASE_URL=url), {"DYNO": "web.1", "RENDER": "true"}) is None


@pytest.mark.parametrize("url", ["not a url", "mysql://db.example/tb"])
def test_a_url_the_store_refuses_is_left_to_the_store_to_name(url: str) -> None:
    assert ephemeral_sqlite_refusal(_settings(DATABASE_URL=url), {"DYNO": "web.1"}) is None


@pytest.mark.parametrize(
    "environ",
    [{}, {"DYNO": ""}, {"DYNO": "  "}, {"HOSTNAME": "dyno", "PWD": "/app", "RENDER_NOT": "1"}],
    ids=["nothing", "empty", "blank", "look-alikes"],
)
def test_no_platform_variable_no_refusal(environ: dict[str, str]) -> None:
    assert ephemeral_sqlite_refusal(_settings(), environ) is None


def test_allow_ephemeral_sqlite_overrides_every_platform() -> None:
    everywhere = {variable: "1" for variable, _ in EPHEMERAL_DISK_PLATFORMS}
    assert ephemeral_sqlite_refusal(_settings(ALLOW_EPHEMERAL_SQLITE="true"), everywhere) is None
    assert ephemeral_sqlite_refusal(_settings(ALLOW_EPHEMERAL_SQLITE="false"), everywhere) is not None
