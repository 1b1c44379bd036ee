"""The console's settings: every tracker the person did not configure is served in-process by
its demo server (bot/demo) under a fake host, with the demo's own credentials, so the real
clients (HMAC signing, token minting and refresh) run unchanged; configured trackers are used
for real. Slack is the local stand-in; the store is `DATABASE_URL` or a file in the console's
folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from pydantic import SecretStr

from bot.demo import aip, issuetrak, kitsu, projectrak
from bot.settings import Settings
from bot.trackers.models import TrackerName

CONSOLE_BOT_TOKEN = "xoxb-console"


@dataclass(frozen=True)
class DemoTracker:
    """One tracker served in-process: its state (what it holds and received), its app, and the
    settings that point the real client at it."""

    state: Any
    app: Any
    settings: dict[str, Any]


def _issuetrak() -> DemoTracker:
    state = issuetrak.IssuetrakState()
    return DemoTracker(
        state,
        issuetrak.create_app(state),
        {
            "ISSUETRAK_URL": f"http://issuetrak.demo{state.prefix}",
            "ISSUETRAK_API_KEY": SecretStr(state.api_key),
        },
    )


def _projectrak() -> DemoTracker:
    state = projectrak.ProjectrakState()
    return DemoTracker(
        state,
        projectrak.create_app(state),
        {
            "PROJECTRAK_URL": "http://projectrak.demo",
            "PROJECTRAK_API_KEY_ID": state.key_id,
            "PROJECTRAK_API_KEY": SecretStr(state.api_key),
        },
    )


def _aip() -> DemoTracker:
    state = aip.AipState()
    return DemoTracker(
        state,
        aip.create_app(state),
        {
            "AIP_URL": "http://aip.demo",
            "AIP_TOKEN": SecretStr(state.token),
        },
    )


def _kitsu() -> DemoTracker:
    state = kitsu.KitsuState()
    # The demo serves Zou's routes at its root (a real Kitsu has them under /api).
    return DemoTracker(
        state,
        kitsu.create_app(state),
        {
            "KITSU_URL": "http://kitsu.demo",
            "KITSU_EMAIL": kitsu.DEMO_EMAIL,
            "KITSU_PASSWORD": SecretStr(kitsu.DEMO_PASSWORD),
            "KITSU_TOKEN": None,
        },
    )


_DEMOS: dict[TrackerName, Callable[[], DemoTracker]] = {
    TrackerName.ISSUETRAK: _issuetrak,
    TrackerName.PROJECTRAK: _projectrak,
    TrackerName.AIP: _aip,
    TrackerName.KITSU: _kitsu,
}


def configured(settings: Settings) -> set[TrackerName]:
    """The trackers the person set up (used for real by the console)."""
    on = {
        TrackerName.ISSUETRAK: settings.issuetrak_on,
        TrackerName.PROJECTRAK: settings.projectrak_on,
        TrackerName.AIP: settings.aip_on,
        TrackerName.KITSU: settings.kitsu_on,
    }
    return {name for name, is_on in on.items() if is_on}


@dataclass
class ConsoleSetup:
    settings: Settings
    demos: dict[TrackerName, DemoTracker] = field(default_factory=dict)

    def transports(self) -> dict[TrackerName, httpx.AsyncBaseTransport]:
        """In-process transports to the demo servers, for `build_trackers`."""
        return {name: httpx.ASGITransport(app=demo.app) for name, demo in self.demos.items()}

    @property
    def real(self) -> list[TrackerName]:
        return [name for name in TrackerName if name not in self.demos]

    def host(self, name: TrackerName) -> str:
        """The host a tracker is reached at (for the banner: no credentials, no path)."""
        settings = self.settings
        url = settings.projectrak_url if name is TrackerName.PROJECTRAK else getattr(settings, f"{name.name}_URL")
        return urlparse(url or "").netloc


CONSOLE_DATABASE = "console.db"


def database_url(settings: Settings, folder: Path) -> str:
    """`DATABASE_URL` when the person set it (environment or .env), else a file in `folder`."""
    if "DATABASE_URL" in settings.model_fields_set:
        return settings.DATABASE_URL
    return f"sqlite:///{folder / CONSOLE_DATABASE}"


def fresh_database(settings: Settings, folder: Path) -> Path | None:
    """The console's own database file (when `DATABASE_URL` is not set), emptied: the demo
    trackers start afresh each run, so links, digests and waiting writes made against an earlier
    run's demo data are dropped with it. None when the person's own `DATABASE_URL` is used."""
    if "DATABASE_URL" in settings.model_fields_set:
        return None
    path = folder / CONSOLE_DATABASE
    for stale in (path, *(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    return path


def console_setup(settings: Settings, *, slack_api_url: str, folder: Path) -> ConsoleSetup:
    """The settings the console runs with, and the demo trackers it serves."""
    real = configured(settings)
    demos = {name: make() for name, make in _DEMOS.items() if name not in real}
    update: dict[str, Any] = {
        "SLACK_BOT_TOKEN": SecretStr(CONSOLE_BOT_TOKEN),
        "SLACK_SIGNING_SECRET": None,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": database_url(settings, folder),
    }
    for demo in demos.values():
        update.update(demo.settings)
    return ConsoleSetup(settings.model_copy(update=update), demos)
