"""Settings read from the environment (and `.env`), named exactly as in the README's Settings table.

An empty value (`NAME=`, as in an untouched copy of .env.example) is the same as no value. A tracker
with none of its settings is off; a tracker with only some of them, or a malformed value, stops
start-up with one line (`SettingsError`) that names every such setting at once, and says which of
them came from `.env`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import urlparse

from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"


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


def id_set(value: str) -> frozenset[str]:
    """The items of a comma-separated setting (Slack IDs, Issuetrak field names)."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def secret(value: SecretStr | None) -> str:
    """A secret setting's value, "" when it is not set."""
    return value.get_secret_value() if value is not None else ""


_READ = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", case_sensitive=True, env_ignore_empty=True)
Note = Callable[[Sequence[str]], str]  # `Settings.dotenv_note` over a list of names


class TrackerSettings(BaseSettings):
    """One tracker's settings, declared by its client module (bot/trackers/<tracker>.py) and read
    from the environment and `.env` with the rest by `load_settings` once its registry entry
    registers it (`register_tracker`). Field names are the variables' names. Every `*_URL` is
    checked as an http(s) URL, every `SecretStr` as not blank.

    By default a tracker is half configured when some of its settings whose default is None are
    given but not all of `needs`; a tracker with other rules overrides `problems`."""

    model_config = _READ
    label: ClassVar[str]  # as people read it, "Issuetrak"
    switch: ClassVar[str]  # the setting that turns it on
    needs: ClassVar[tuple[str, ...]]  # what it needs once any of its settings is given

    @field_validator("*")
    @classmethod
    def _checked(cls, value: Any, info: ValidationInfo) -> Any:
        name = str(info.field_name)
        if isinstance(value, SecretStr):
            return _check_secret(name, value)
        if name.endswith("_URL") and (value is None or isinstance(value, str)):
            return _check_url(name, value)
        return value

    @property
    def on(self) -> bool:
        return getattr(self, self.switch) is not None

    @property
    def site(self) -> str | None:
        """The URL the tracker is reached at (its first `*_URL` setting)."""
        return next((getattr(self, name) for name in type(self).model_fields if name.endswith("_URL")), None)

    def problems(self, note: Note) -> list[str]:
        """A sentence if the tracker is half configured, naming the first setting it lacks."""
        optional = [name for name, field in type(self).model_fields.items() if field.default is None]
        missing = [name for name in self.needs if getattr(self, name) is None]
        if not missing or all(getattr(self, name) is None for name in optional):
            return []
        return [f"{missing[0]} is missing: {self.label} needs {' and '.join(self.needs)}{note(self.needs)}"]


TRACKER_SETTINGS: list[type[TrackerSettings]] = []  # in the registry's order (`register_tracker`)
T = TypeVar("T", bound=TrackerSettings)


def register_tracker(kind: type[TrackerSettings]) -> Callable[[], None]:
    """Read `kind` with the settings from now on (the tracker registry calls this for each entry);
    the returned function stops it."""
    if kind in TRACKER_SETTINGS:
        raise ValueError(f"{kind.__name__} is already registered")
    TRACKER_SETTINGS.append(kind)
    return lambda: TRACKER_SETTINGS.remove(kind)


def setting_names() -> list[str]:
    """Every setting's name: the general ones and each registered tracker's."""
    return [*Settings.model_fields, *(name for kind in TRACKER_SETTINGS for name in kind.model_fields)]


class Settings(BaseSettings):
    """The general settings, and each registered tracker's (`tracker`)."""

    model_config = _READ
    _dotenv: dict[str, str] = PrivateAttr(default_factory=dict)  # the settings .env gives (`_from_dotenv`)
    # Each registered tracker's settings (`register_tracker`), read with these.
    _trackers: dict[type[TrackerSettings], TrackerSettings] = PrivateAttr(default_factory=dict)

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"

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

    @field_validator("SLACK_API_URL")
    @classmethod
    def _slack_url(cls, value: str, info: ValidationInfo) -> str:
        return (_check_url(str(info.field_name), value) or "https://slack.com/api") + "/"

    @field_validator(
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
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
        return id_set(self.WRITE_CHANNELS)

    @property
    def digest_editors(self) -> frozenset[str]:
        return id_set(self.DIGEST_EDITORS)

    @property
    def admins(self) -> frozenset[str]:
        return id_set(self.TRACKER_ADMINS)

    def secret_values(self) -> list[str]:
        """Every configured secret (the trackers' too), for the log masker."""
        values = [*vars(self).values(), *(v for tracker in self._trackers.values() for v in vars(tracker).values())]
        return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]

    # --- the trackers' own settings ------------------------------------------------------
    def tracker(self, kind: type[T]) -> T:
        """The settings of one tracker, by the model its module declares (`TrackerSettings`)."""
        found = self._trackers.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"{kind.__name__} is not a registered tracker's settings (see register_tracker)")
        return found

    def value(self, name: str) -> Any:
        """A setting's value by its name, a tracker's too."""
        holder = next((h for h in (self, *self._trackers.values()) if name in type(h).model_fields), None)
        if holder is None:
            raise KeyError(name)
        return getattr(holder, name)

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """A copy with `values` (by setting name, a tracker's too) replaced, unchecked (the console's demos)."""
        own = {name: value for name, value in values.items() if name in type(self).model_fields}
        copy = self.model_copy(update=own)
        copy._trackers = {
            kind: tracker.model_copy(update={n: v for n, v in values.items() if n in kind.model_fields})
            for kind, tracker in self._trackers.items()
        }
        return copy

    def tracker_switches(self) -> str:
        """ "A, B or C": the setting that turns on each registered tracker."""
        switches = [tracker.switch for tracker in self._trackers.values()]
        return " or ".join(filter(None, [", ".join(switches[:-1]), *switches[-1:]]))

    def trackers_on(self) -> list[str]:
        """The trackers these settings turn on, each with " (from .env)" when .env turned it on."""
        return [
            tracker.label + (" (from .env)" if self.from_dotenv(tracker.switch) else "")
            for tracker in self._trackers.values()
            if tracker.on
        ]

    def from_dotenv(self, name: str) -> bool:
        """Whether the setting `name` came from the .env file (not the environment, not a default)."""
        return name in self._dotenv

    def dotenv_note(self, *names: str) -> str:
        """ " (in .env: …)" naming which of `names` .env sets or leaves empty; "" when it gives none."""
        return _dotenv_note(self._dotenv, list(names))

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


_M = TypeVar("_M", bound=BaseSettings)


def _read(model: type[_M], overrides: Mapping[str, Any], dotenv: Mapping[str, str], problems: list[str]) -> _M:
    """`model` read with those of `overrides` that are its own; each malformed value is added to
    `problems` and left at its default, so that the rest are checked too."""
    own = {name: value for name, value in overrides.items() if name in model.model_fields or name.startswith("_")}
    try:
        return model(**own)
    except ValidationError as exc:
        bad: dict[str, Any] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error.get("ctx", {}).get("error") or error["msg"]).removeprefix("Value error, ")
            if name not in message:
                message = f"{name}: {message}"
            problems.append(message + _dotenv_note(dotenv, [name]))
            if name in model.model_fields:
                bad[name] = model.model_fields[name].default
        return model(**{**own, **bad})


def load_settings(mode: str | None = None, **overrides: Any) -> Settings:
    """Read settings, or raise `SettingsError` naming every problem at once: each malformed value, each
    half-configured tracker and, for a process `mode` (see `Settings.check_slack`), each missing Slack
    setting. `overrides` are setting values by name (a tracker's too) and `_env_file`."""
    if not TRACKER_SETTINGS:  # a programming error: the trackers' settings would go unread
        raise RuntimeError("no tracker is registered: import bot.trackers.registry before loading settings")
    dotenv = _from_dotenv(overrides.get("_env_file", ENV_FILE))
    problems: list[str] = []
    settings = _read(Settings, overrides, dotenv, problems)
    settings._dotenv = dotenv
    settings._trackers = {kind: _read(kind, overrides, dotenv, problems) for kind in TRACKER_SETTINGS}
    for tracker in settings._trackers.values():
        problems += tracker.problems(lambda names: settings.dotenv_note(*names))
    if mode is not None:
        problems += settings._slack_problems(mode)
    if problems:
        raise SettingsError(problems)
    return settings
