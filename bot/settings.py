"""Settings read from the environment (and `.env`), named exactly as in the README's Settings table.

An empty value (`NAME=`, as in an untouched copy of .env.example) is the same as no value. A tracker
with none of its settings is off; a tracker with only some of them, or a malformed value, stops
start-up with one line (`SettingsError`) that names every such setting at once, and says which of
them came from `.env`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PROJECTRAK_URL = "https://profields-cloud.deiser.com"
ENV_FILE = ".env"
# The setting that turns each tracker on (by its label), for saying at start-up which are on and why.
TRACKER_SWITCHES = {
    "Issuetrak": "ISSUETRAK_URL",
    "Projectrak": "PROJECTRAK_API_KEY_ID",
    "AIP": "AIP_URL",
    "Kitsu": "KITSU_URL",
}


class SettingsError(Exception):
    """Settings are missing or malformed: `problems` holds one sentence for each, naming its setting;
    the message (all of them, on one line) is safe to print."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} settings need fixing: " + "; ".join(self.problems)
        super().__init__(message)


def _from_dotenv(env_file: object) -> dict[str, str]:
    """The settings whose value comes from the .env file `env_file` (pydantic-settings' `_env_file`):
    those it names that the environment does not (the environment wins), with the file's raw value."""
    if not isinstance(env_file, str | Path) or not Path(env_file).is_file():
        return {}
    return {name: value or "" for name, value in dotenv_values(env_file).items() if name not in os.environ}


def _dotenv_note(dotenv: Mapping[str, str], names: list[str]) -> str:
    """ " (in .env: X is empty, Y is set)" for those of `names` that .env gives, else ""."""
    found = [f"{name} is {'set' if dotenv[name].strip() else 'empty'}" for name in names if name in dotenv]
    return f" (in .env: {', '.join(found)})" if found else ""


def _check_url(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlparse(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL with a host, for example https://example.com")
    return value.rstrip("/")


def _check_secret(name: str, value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().strip():
        raise ValueError(f"{name} is set but empty")
    return value


# Slack IDs: channels (public C, private G, direct D) and users (U, Enterprise Grid W), then
# uppercase letters and digits. Names (`#general`, `@alice`, `alice`) are not IDs.
_SLACK_ID_KINDS = {
    "WRITE_CHANNELS": (
        re.compile(r"[CGD][A-Z0-9]+"),
        "channel IDs such as C0123ABCD (in Slack: channel details, at the bottom)",
    ),
    "DIGEST_EDITORS": (
        re.compile(r"[UW][A-Z0-9]+"),
        "user IDs such as U0123ABCD (in Slack: a profile's ⋮ menu, Copy member ID)",
    ),
    "TRACKER_ADMINS": (
        re.compile(r"[UW][A-Z0-9]+"),
        "user IDs such as U0123ABCD (in Slack: a profile's ⋮ menu, Copy member ID)",
    ),
}


def _check_ids(name: str, value: str) -> str:
    pattern, looks_like = _SLACK_ID_KINDS[name]
    for part in (raw.strip() for raw in value.split(",")):
        if part and not pattern.fullmatch(part):
            shown = part if len(part) <= 40 else part[:40] + "…"
            raise ValueError(f"{name} takes comma-separated Slack {looks_like}; {shown!r} is not one")
    return value


def _id_set(value: str) -> frozenset[str]:
    """Slack IDs from a comma-separated setting."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", case_sensitive=True, env_ignore_empty=True)
    _dotenv: dict[str, str] = PrivateAttr(default_factory=dict)  # the settings .env gives (`_from_dotenv`)

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"

    ISSUETRAK_URL: str | None = None
    ISSUETRAK_API_KEY: SecretStr | None = None

    PROJECTRAK_URL: str | None = None
    PROJECTRAK_API_KEY_ID: str | None = None
    PROJECTRAK_API_KEY: SecretStr | None = None

    AIP_URL: str | None = None
    AIP_TOKEN: SecretStr | None = None

    KITSU_URL: str | None = None
    KITSU_EMAIL: str | None = None
    KITSU_PASSWORD: SecretStr | None = None
    KITSU_TOKEN: SecretStr | None = None

    DATABASE_URL: str = "sqlite:///trackerbot.db"
    # SQLite is refused where the disk is wiped at restarts (Heroku, Render, Fly.io, Cloud Run) unless true.
    ALLOW_EPHEMERAL_SQLITE: bool = False

    # Optional permissions: who may write where.
    ALLOW_PRIVATE_NOTES: bool = True
    WRITE_CHANNELS: str = ""  # comma-separated channel IDs allowed to write to Issuetrak; empty: all
    DIGEST_EDITORS: str = ""  # comma-separated Slack user IDs allowed to change digests; empty: anyone
    # Who may do what (README, "Who can write as whom"): identity links, guests, reads, the detailed /healthz.
    TRACKER_ADMINS: str = ""  # comma-separated Slack user IDs who approve links and link or unlink anyone
    ALLOW_GUESTS: bool = False  # Slack guests (restricted accounts) may read and write only when true
    OPEN_READS: bool = False  # reading issues and notes needs an Issuetrak identity unless true
    HEALTHZ_TOKEN: SecretStr | None = None  # a bearer token that unlocks the detailed /healthz
    PORT: int = 3000
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"  # json: one JSON object a line
    WATCH_POLL_SECONDS: int = Field(default=60, ge=5, le=86400)  # how often watched items are checked
    WEB_CONCURRENCY: int = Field(default=1, ge=1, le=64)  # worker processes of `python -m bot`
    # How long a claim on once-only work (a saved write, a digest, a watch's news) lasts unless its
    # process renews it; then another process takes the work over (README, "Several workers").
    CLAIM_LEASE_SECONDS: int = Field(default=300, ge=2, le=3600)
    # Whose Issuetrak issues a person sees (README, "Who can write as whom"): every issue ("all"), or
    # only those of their own Issuetrak user's organization ("organization").
    ISSUE_SCOPE: Literal["all", "organization"] = "all"

    # Changing issues from Slack (assign, next action, substatus, priority, target date)
    CHANGE_NOTES: Literal["private", "public"] = "private"  # the note each change writes as its person
    # Issue fields disabled on the Issuetrak site: left out of every update (seed 001's sample site's three)
    ISSUETRAK_DISABLED_FIELDS: str = "CauseID,DepartmentID,IssueSubType4ID"

    @field_validator("SLACK_API_URL", "ISSUETRAK_URL", "PROJECTRAK_URL", "AIP_URL", "KITSU_URL")
    @classmethod
    def _urls(cls, value: str | None, info: ValidationInfo) -> str | None:
        checked = _check_url(str(info.field_name), value)
        if info.field_name == "SLACK_API_URL":
            return (checked or "https://slack.com/api") + "/"
        return checked

    @field_validator(
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "ISSUETRAK_API_KEY",
        "PROJECTRAK_API_KEY",
        "AIP_TOKEN",
        "KITSU_PASSWORD",
        "KITSU_TOKEN",
        "HEALTHZ_TOKEN",
    )
    @classmethod
    def _secrets(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _check_secret(str(info.field_name), value)

    @field_validator("PORT")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError(f"PORT must be a TCP port from 1 to 65535, not {value}")
        return value

    @field_validator("WRITE_CHANNELS", "DIGEST_EDITORS", "TRACKER_ADMINS")
    @classmethod
    def _slack_ids(cls, value: str, info: ValidationInfo) -> str:
        return _check_ids(str(info.field_name), value)

    @field_validator("LOG_LEVEL")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def write_channels(self) -> frozenset[str]:
        return _id_set(self.WRITE_CHANNELS)

    @property
    def digest_editors(self) -> frozenset[str]:
        return _id_set(self.DIGEST_EDITORS)

    @property
    def admins(self) -> frozenset[str]:
        return _id_set(self.TRACKER_ADMINS)

    @property
    def disabled_issue_fields(self) -> frozenset[str]:
        return _id_set(self.ISSUETRAK_DISABLED_FIELDS)

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log masker."""
        return [v.get_secret_value() for v in vars(self).values() if isinstance(v, SecretStr)]

    # --- which trackers are on -------------------------------------------------------------
    @property
    def issuetrak_on(self) -> bool:
        return self.ISSUETRAK_URL is not None

    @property
    def projectrak_on(self) -> bool:
        return self.PROJECTRAK_API_KEY_ID is not None

    @property
    def projectrak_url(self) -> str:
        return self.PROJECTRAK_URL or DEFAULT_PROJECTRAK_URL

    @property
    def aip_on(self) -> bool:
        return self.AIP_URL is not None

    @property
    def kitsu_on(self) -> bool:
        return self.KITSU_URL is not None

    def trackers_on(self) -> list[str]:
        """The trackers these settings turn on, each with " (from .env)" when .env turned it on."""
        return [
            tracker + (" (from .env)" if self.from_dotenv(name) else "")
            for tracker, name in TRACKER_SWITCHES.items()
            if getattr(self, name) is not None
        ]

    def from_dotenv(self, name: str) -> bool:
        """Whether the setting `name` came from the .env file (not the environment, not a default)."""
        return name in self._dotenv

    def dotenv_note(self, *names: str) -> str:
        """ " (in .env: …)" naming which of `names` .env sets or leaves empty; "" when it gives none."""
        return _dotenv_note(self._dotenv, list(names))

    def _tracker_problems(self) -> list[str]:
        """A sentence for each tracker that is half configured."""
        groups = {
            "Issuetrak": [("ISSUETRAK_URL", self.ISSUETRAK_URL), ("ISSUETRAK_API_KEY", self.ISSUETRAK_API_KEY)],
            "Projectrak": [
                ("PROJECTRAK_API_KEY_ID", self.PROJECTRAK_API_KEY_ID),
                ("PROJECTRAK_API_KEY", self.PROJECTRAK_API_KEY),
            ],
            "AIP": [("AIP_URL", self.AIP_URL), ("AIP_TOKEN", self.AIP_TOKEN)],
        }
        problems = []
        for tracker, pairs in groups.items():
            names = [name for name, _ in pairs]
            missing = [name for name, value in pairs if value is None]
            if missing and (len(missing) < len(pairs) or (tracker == "Projectrak" and self.PROJECTRAK_URL)):
                needs = " and ".join(names)
                problems.append(f"{missing[0]} is missing: {tracker} needs {needs}{self.dotenv_note(*names)}")
        kitsu = ["KITSU_URL", "KITSU_EMAIL", "KITSU_PASSWORD", "KITSU_TOKEN"]
        kitsu_login = self.KITSU_EMAIL is not None or self.KITSU_PASSWORD is not None
        kitsu_any = kitsu_login or self.KITSU_TOKEN is not None
        if kitsu_any and not self.KITSU_URL:
            problems.append(
                f"KITSU_URL is missing: Kitsu needs KITSU_URL and a login or KITSU_TOKEN{self.dotenv_note(*kitsu)}"
            )
        if self.KITSU_URL and self.KITSU_TOKEN is None and (self.KITSU_EMAIL is None or self.KITSU_PASSWORD is None):
            name = "KITSU_EMAIL" if self.KITSU_EMAIL is None else "KITSU_PASSWORD"
            problems.append(
                f"{name} is missing: Kitsu needs KITSU_EMAIL and KITSU_PASSWORD, or KITSU_TOKEN"
                + self.dotenv_note(*kitsu)
            )
        return problems

    def check_slack(self, mode: str) -> None:
        """Raise `SettingsError` naming every Slack setting the process `mode` lacks ("serve" needs the
        signing secret, "socket" the app token, "digest" only the bot token)."""
        problems = self._slack_problems(mode)
        if problems:
            raise SettingsError(problems)

    def _slack_problems(self, mode: str) -> list[str]:
        needed = ["SLACK_BOT_TOKEN", *{"serve": ["SLACK_SIGNING_SECRET"], "socket": ["SLACK_APP_TOKEN"]}.get(mode, [])]
        return [
            f"{name} is missing: set it to the value from your Slack app's settings{self.dotenv_note(name)}"
            for name in needed
            if getattr(self, name) is None
        ]


def load_settings(mode: str | None = None, **overrides: Any) -> Settings:
    """Read settings, or raise `SettingsError` naming every problem at once: each malformed value, each
    half-configured tracker and, for a process `mode` (see `Settings.check_slack`), each missing Slack
    setting. `overrides` are Settings' own keyword arguments (values, `_env_file`)."""
    dotenv = _from_dotenv(overrides.get("_env_file", ENV_FILE))
    problems: list[str] = []
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        bad: dict[str, Any] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error.get("ctx", {}).get("error") or error["msg"]).removeprefix("Value error, ")
            if name not in message:
                message = f"{name}: {message}"
            problems.append(message + _dotenv_note(dotenv, [name]))
            if name in Settings.model_fields:
                bad[name] = Settings.model_fields[name].default
        settings = Settings(**{**overrides, **bad})  # the rest checked too, the malformed ones left at defaults
    settings._dotenv = dotenv
    problems += settings._tracker_problems()
    if mode is not None:
        problems += settings._slack_problems(mode)
    if problems:
        raise SettingsError(problems)
    return settings
