"""Settings: exactly the names in the README's Settings table; a tracker with no settings is off; a wrong value stops
start-up with one line naming the setting, and no secret in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from bot.trackers.aip import AipSettings
from bot.trackers.issuetrak import IssuetrakSettings
from bot.trackers.kitsu import KitsuSettings
from bot.trackers.projectrak import ProjectrakSettings

ROOT = Path(__file__).resolve().parents[1]


def load(**values: str):
    return load_settings(_env_file=None, **values)


def test_no_settings_means_every_tracker_off() -> None:
    settings = load()
    assert not any(
        settings.tracker(kind).on for kind in (IssuetrakSettings, ProjectrakSettings, AipSettings, KitsuSettings)
    )
    assert settings.DATABASE_URL == "sqlite:///trackerbot.db"
    assert settings.SLACK_API_URL == "https://slack.com/api/"
    assert settings.tracker(ProjectrakSettings).site == "https://profields-cloud.deiser.com"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"ISSUETRAK_URL": "it.example.com/api/v1", "ISSUETRAK_API_KEY": "k" * 20}, "ISSUETRAK_URL"),
        ({"ISSUETRAK_URL": "https://it.example.com/api/v1"}, "ISSUETRAK_API_KEY"),
        ({"ISSUETRAK_URL": "https://it.example.com/api/v1", "ISSUETRAK_API_KEY": "  "}, "ISSUETRAK_API_KEY"),
        ({"PROJECTRAK_API_KEY_ID": "id"}, "PROJECTRAK_API_KEY"),
        ({"AIP_TOKEN": "secret-token"}, "AIP_URL"),
        ({"KITSU_URL": "https://kitsu.example.com/api", "KITSU_EMAIL": "bot@example.com"}, "KITSU_PASSWORD"),
        ({"KITSU_TOKEN": "secret-token"}, "KITSU_URL"),
        ({"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
    ],
)
def test_a_wrong_value_names_the_setting(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(**values)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    for value in values.values():
        if "secret" in value or value == "k" * 20:
            assert value not in message


def test_secrets_are_secret_str() -> None:
    settings = load(AIP_URL="https://aip.example.com", AIP_TOKEN="very-secret-token")
    assert "very-secret-token" not in repr(settings)
    assert settings.secret_values() == ["very-secret-token"]


def test_python_m_bot_without_slack_settings_stops_with_one_line(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "trackerbot cannot start: 2 settings need fixing:",
        "  - SLACK_BOT_TOKEN is missing: set it to the value from your Slack app's settings",
        "  - SLACK_SIGNING_SECRET is missing: set it to the value from your Slack app's settings",
    ]
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1"])
def test_a_port_out_of_range_stops_start_up_with_one_line(port: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(PORT=port)
    assert str(caught.value) == f"PORT must be a TCP port from 1 to 65535, not {port}"


@pytest.mark.parametrize("port", ["1", "3000", "65535"])
def test_a_port_in_range_is_taken(port: str) -> None:
    assert int(port) == load(PORT=port).PORT


@pytest.mark.parametrize(
    ("name", "value", "wrong", "looks_like"),
    [
        ("WRITE_CHANNELS", "#general", "#general", "C0123ABCD"),
        ("WRITE_CHANNELS", "C0IT, general", "general", "C0123ABCD"),
        ("WRITE_CHANNELS", "c0it", "c0it", "C0123ABCD"),
        ("WRITE_CHANNELS", "U0BOSS", "U0BOSS", "C0123ABCD"),
        ("DIGEST_EDITORS", "@alice", "@alice", "U0123ABCD"),
        ("DIGEST_EDITORS", "U0BOSS,alice smith", "alice smith", "U0123ABCD"),
        ("TRACKER_ADMINS", "C0IT", "C0IT", "U0123ABCD"),
        ("TRACKER_ADMINS", "<@U0BOSS>", "<@U0BOSS>", "U0123ABCD"),
    ],
)
def test_a_name_where_a_slack_id_is_needed_is_refused_saying_what_an_id_looks_like(
    name: str, value: str, wrong: str, looks_like: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load(**{name: value})
    message = str(caught.value)
    assert message.startswith(f"{name} takes comma-separated Slack ")
    assert f"such as {looks_like}" in message
    assert f"{wrong!r} is not one" in message
    assert "\n" not in message


def test_slack_ids_of_every_kind_are_taken() -> None:
    settings = load(WRITE_CHANNELS="C0IT, G0PRIVATE,D0DM", DIGEST_EDITORS="U0BOSS,W0GRID", TRACKER_ADMINS=" U0ADMIN ,")
    assert settings.write_channels == {"C0IT", "G0PRIVATE", "D0DM"}
    assert settings.digest_editors == {"U0BOSS", "W0GRID"}
    assert settings.admins == {"U0ADMIN"}


def test_a_bad_port_stops_python_m_bot_with_one_line(tmp_path) -> None:
    done = _run_bot(tmp_path, {"PORT": "99999"})
    assert done.returncode == 2
    assert done.stderr.strip() == "trackerbot cannot start: PORT must be a TCP port from 1 to 65535, not 99999"
    assert "Traceback" not in done.stderr + done.stdout


def _run_bot(tmp_path, settings: dict[str, str], *args: str):
    """`python -m bot` from this tree (PYTHONPATH set to it) in an empty folder, with only `settings`."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "signing-secret",
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


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("not a url", "DATABASE_URL is not a database URL; use sqlite:///trackerbot.db"),
        ("mysql://db.example/trackerbot", "DATABASE_URL names a database trackerbot does not support"),
        (
            "postgresql://trackerbot:hunter2-secret@127.0.0.1:1/trackerbot",
            "DATABASE_URL: the database could not be opened: ",
        ),
        ("sqlite:////nonexistent-folder/trackerbot.db", "DATABASE_URL: the database could not be opened: "),
    ],
    ids=["not-a-url", "unsupported", "unreachable-server", "unopenable-file"],
)
@pytest.mark.parametrize("mode", [[], ["digest", "--once"]], ids=["serve", "digest"])
def test_a_database_url_that_cannot_be_opened_stops_start_up_with_one_line(
    tmp_path, url: str, cause: str, mode: list[str]
) -> None:
    done = _run_bot(tmp_path, {"DATABASE_URL": url, "PORT": "1"}, *mode)
    output = done.stderr + done.stdout
    assert done.returncode == 2, output
    assert len(output.strip().splitlines()) == 1, output
    assert output.startswith(f"trackerbot cannot start: {cause}"), output
    assert "Traceback" not in output
    assert "hunter2-secret" not in output


# --- start-up: every problem at once, what came from .env, which trackers are on ---------------------------------
def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            "serve",
            _env_file=None,
            PORT="99999",
            LOG_LEVEL="loud",
            ISSUETRAK_URL="https://it.example.com/api/v1",
            AIP_TOKEN="secret-token",
            SLACK_SIGNING_SECRET="s",
        )
    problems = caught.value.problems
    assert problems == [
        "PORT must be a TCP port from 1 to 65535, not 99999",
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        "ISSUETRAK_API_KEY is missing: Issuetrak needs ISSUETRAK_URL and ISSUETRAK_API_KEY",
        "AIP_URL is missing: AIP needs AIP_URL and AIP_TOKEN",
        "SLACK_BOT_TOKEN is missing: set it to the value from your Slack app's settings",
    ]
    assert str(caught.value).startswith("5 settings need fixing: PORT must be")
    assert "\n" not in str(caught.value) and "secret-token" not in str(caught.value)


def test_python_m_bot_reports_every_problem_one_a_line(tmp_path: Path) -> None:
    done = _run_bot(tmp_path, {"PORT": "0", "KITSU_TOKEN": "secret-token", "SLACK_SIGNING_SECRET": ""})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == "trackerbot cannot start: 3 settings need fixing:"
    assert [line.split(" ", 4)[3] for line in lines[1:]] == ["PORT", "KITSU_URL", "SLACK_SIGNING_SECRET"]
    assert "secret-token" not in done.stderr


def test_a_problem_with_a_value_from_dotenv_says_so(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=\nPORT=70000\nISSUETRAK_URL=https://it.example.com/api/v1\n")
    with pytest.raises(SettingsError) as caught:
        load_settings("digest", _env_file=dotenv)
    assert caught.value.problems == [
        "PORT must be a TCP port from 1 to 65535, not 70000 (in .env: PORT is set)",
        "ISSUETRAK_API_KEY is missing: Issuetrak needs ISSUETRAK_URL and ISSUETRAK_API_KEY "
        "(in .env: ISSUETRAK_URL is set)",
        "SLACK_BOT_TOKEN is missing: set it to the value from your Slack app's settings "
        "(in .env: SLACK_BOT_TOKEN is empty)",
    ]


def test_the_environment_wins_over_dotenv_and_is_not_called_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=3000\n")
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=dotenv)
    assert caught.value.problems == ["PORT must be a TCP port from 1 to 65535, not 70000"]


def test_an_empty_value_is_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "ISSUETRAK_URL", "PORT", "HEALTHZ_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = load()
    assert settings.SLACK_BOT_TOKEN is None and settings.HEALTHZ_TOKEN is None
    assert settings.PORT == 3000 and not settings.tracker(IssuetrakSettings).on


def test_the_trackers_on_are_named_with_where_they_came_from(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("AIP_URL=https://aip.example.com\nAIP_TOKEN=t0ken-value\n")
    settings = load_settings(_env_file=dotenv, KITSU_URL="https://kitsu.example.com/api", KITSU_TOKEN="tok")
    assert settings.trackers_on() == ["AIP (from .env)", "Kitsu"]
    assert load().trackers_on() == []


async def _started(tmp_path: Path, capsys: pytest.CaptureFixture[str], **values: str) -> str:
    """What `build_runtime` (every serving process's start) logs, with `values` as the settings."""
    import logging

    from bot.running.process import build_runtime

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        runtime = build_runtime(load(DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", **values))
        await runtime.aclose()
        await runtime.store.aclose()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return capsys.readouterr().err


async def test_start_up_says_which_trackers_are_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = await _started(tmp_path, capsys, AIP_URL="https://aip.example.com", AIP_TOKEN="t0ken-value")
    assert "INFO bot.running.process: trackers on: AIP" in err


async def test_start_up_with_no_tracker_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = await _started(tmp_path, capsys)
    assert "WARNING bot.running.process: no tracker is configured: every /tracker command will answer" in err
    assert "set ISSUETRAK_URL, PROJECTRAK_API_KEY_ID, AIP_URL or KITSU_URL and their keys (.env.example)" in err


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        ([str(Path(sys.executable).parent / "trackerbot"), "--help"], "usage: trackerbot "),
        ([sys.executable, "-m", "bot", "--help"], "usage: python -m bot "),
    ],
    ids=["installed-script", "module"],
)
def test_help_names_the_command_as_it_was_typed(tmp_path: Path, argv: list[str], usage: str) -> None:
    assert Path(argv[0]).exists(), "the install (README, Quick start) puts the trackerbot script beside python"
    done = subprocess.run(
        argv,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0 and done.stdout.startswith(usage), done.stdout + done.stderr
