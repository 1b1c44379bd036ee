"""Settings: exactly the names in the README's Settings table; a tracker with no settings is off; a wrong value stops
start-up with one line naming the setting, and no secret in it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings


def load(**values: str):  # type: ignore[no-untyped-def]
    return load_settings(_env_file=None, **values)


def test_no_settings_means_every_tracker_off() -> None:
    settings = load()
    assert not (settings.issuetrak_on or settings.projectrak_on or settings.aip_on or settings.kitsu_on)
    assert settings.DATABASE_URL == "sqlite:///trackerbot.db"
    assert settings.SLACK_API_URL == "https://slack.com/api/"
    assert settings.projectrak_url == "https://profields-cloud.deiser.com"


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


def test_python_m_bot_without_slack_settings_stops_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "trackerbot cannot start: SLACK_BOT_TOKEN is missing: set it to the value from your Slack app's settings"
    )
    assert "Traceback" not in done.stderr + done.stdout
