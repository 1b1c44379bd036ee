"""The console's settings: every tracker the person did not configure is served in-process by
its demo server (bot/demo) under a fake host, with the demo's own credentials, so the real
clients (HMAC signing, token minting and refresh) run unchanged; configured trackers are used
for real. Slack is the local stand-in; the store is `DATABASE_URL` or a file in the console's
folder."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from pydantic import SecretStr

from bot.demo.knobs import DemoTracker
from bot.settings import Settings
from bot.trackers import registry
from bot.trackers.models import TrackerName

CONSOLE_BOT_TOKEN = "xoxb-console"


def configured(settings: Settings) -> set[TrackerName]:
    """The trackers the person set up (used for real by the console)."""
    return {entry.tracker for entry in registry.enabled(settings)}


def demo_of(entry: registry.Entry[Any]) -> DemoTracker | None:
    """A fresh demo of the tracker `entry` registers, from the module it names; None if it has none."""
    if entry.demo is None:
        return None
    made: DemoTracker = importlib.import_module(entry.demo).demo()
    return made


@dataclass
class ConsoleSetup:
    settings: Settings
    demos: dict[TrackerName, DemoTracker] = field(default_factory=dict)

    def transports(self) -> dict[TrackerName, httpx.AsyncBaseTransport]:
        """In-process transports to the demo servers, for `build_trackers`."""
        return {name: httpx.ASGITransport(app=demo.app) for name, demo in self.demos.items()}

    @property
    def real(self) -> list[TrackerName]:
        return [entry.tracker for entry in registry.enabled(self.settings) if entry.tracker not in self.demos]

    def from_dotenv(self, name: TrackerName) -> bool:
        """Whether the setting that turned the tracker `name` on came from .env."""
        return self.settings.from_dotenv(self.settings.tracker(registry.entry_of(name).settings).switch)

    def host(self, name: TrackerName) -> str:
        """The host a tracker is reached at (for the banner: no credentials, no path)."""
        return urlparse(self.settings.tracker(registry.entry_of(name).settings).site or "").netloc


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
    made = {entry.tracker: demo_of(entry) for entry in registry.ENTRIES if entry.tracker not in real}
    demos = {name: demo for name, demo in made.items() if demo is not None}
    update: dict[str, Any] = {
        "SLACK_BOT_TOKEN": SecretStr(CONSOLE_BOT_TOKEN),
        "SLACK_SIGNING_SECRET": None,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": database_url(settings, folder),
    }
    for demo in demos.values():
        update.update(demo.settings)
    return ConsoleSetup(settings.with_values(update), demos)
