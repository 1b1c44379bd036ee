"""The set of tracker clients a process uses, built from settings, and handed out by capability.

`ENTRIES` lists every tracker the bot knows, one line each: its key, the settings its module
declares (read with the rest by `bot.settings.load_settings`), how to build its client from them
and the demo server that plays it in the console. `build_trackers` builds the clients of the
trackers turned on; services then ask `Trackers` for its project sources, asset sources,
probes... (see `capabilities`), so a tracker added here (with `register`) joins them without a
change to the services. docs/adding-a-tracker.md lists the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx

from bot.settings import Settings, TrackerSettings, register_tracker
from bot.trackers.aip import AipClient, AipSettings
from bot.trackers.capabilities import (
    AssetSource,
    CredentialWatch,
    IssueSource,
    LinkSource,
    Probe,
    ProjectSource,
    TaskSource,
    TrackerClient,
    offered_by,
)
from bot.trackers.errors import NotConfigured
from bot.trackers.http_client import HttpOptions
from bot.trackers.issuetrak import IssuetrakClient, IssuetrakSettings
from bot.trackers.kitsu import KitsuClient, KitsuSettings
from bot.trackers.models import TrackerName
from bot.trackers.projectrak import ProjectrakClient, ProjectrakSettings

C = TypeVar("C")
S = TypeVar("S", bound=TrackerSettings)
S_contra = TypeVar("S_contra", bound=TrackerSettings, contravariant=True)


class Buildable(Protocol[S_contra]):
    """A client class: built from its tracker's settings."""

    @classmethod
    def from_settings(
        cls, settings: S_contra, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> TrackerClient: ...


@dataclass(frozen=True)
class Entry(Generic[S]):
    """One tracker the bot knows: its key, its settings (on when `settings.on`), its client class
    (built by its `from_settings`, with the shared HTTP options and, in the console, an
    in-process transport to its demo; read for what the tracker can do, `can`), and the module of
    its demo server, whose `demo()` the console serves when the tracker is not set up. The demo is
    named, not imported: production code never imports a stand-in."""

    tracker: TrackerName
    settings: type[S]
    client: type[Buildable[S]]
    demo: str | None = None

    def build(
        self, settings: S, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> TrackerClient:
        return self.client.from_settings(settings, options, transport)

    def can(self, capability: type) -> bool:
        """Whether this tracker's client has `capability`, set up or not."""
        return offered_by(self.client, capability)


ENTRIES: list[Entry[Any]] = []


def register(entry: Entry[Any]) -> Callable[[], None]:
    """Add a tracker to `ENTRIES` (after the others, so its results come last) and its settings to
    those `load_settings` reads; the returned function takes both out again."""
    if any(known.tracker is entry.tracker for known in ENTRIES):
        raise ValueError(f"{entry.tracker!r} is already registered")
    forget_settings = register_tracker(entry.settings)
    ENTRIES.append(entry)

    def unregister() -> None:
        ENTRIES.remove(entry)
        forget_settings()

    return unregister


register(Entry(TrackerName.ISSUETRAK, IssuetrakSettings, IssuetrakClient, "bot.demo.issuetrak"))
register(Entry(TrackerName.PROJECTRAK, ProjectrakSettings, ProjectrakClient, "bot.demo.projectrak"))
register(Entry(TrackerName.AIP, AipSettings, AipClient, "bot.demo.aip"))
register(Entry(TrackerName.KITSU, KitsuSettings, KitsuClient, "bot.demo.kitsu"))


def entry_of(tracker: TrackerName) -> Entry[Any]:
    return next(entry for entry in ENTRIES if entry.tracker is tracker)


def able_to(capability: type) -> list[TrackerName]:
    """Every registered tracker whose client has `capability`, set up or not (for sentences such
    as "AIP or Kitsu is not set up")."""
    return [entry.tracker for entry in ENTRIES if entry.can(capability)]


def enabled(settings: Settings) -> list[Entry[Any]]:
    """The entries of the trackers `settings` turn on."""
    return [entry for entry in ENTRIES if settings.tracker(entry.settings).on]


class Trackers:
    """One client per configured tracker, in the order of `TrackerName`, handed out by capability.

    `issuetrak` (and `require_issuetrak`) stay for what only Issuetrak does: writes under people's
    names, issues by number, people. The other named accessors serve tests and benchmarks."""

    def __init__(self, clients: Iterable[TrackerClient] = ()) -> None:
        given = [(client.tracker, client) for client in clients]
        by_name: dict[TrackerName, TrackerClient] = dict(given)
        if len(by_name) != len(given):
            raise ValueError("one client per tracker")
        self._clients = {name: by_name[name] for name in TrackerName if name in by_name}

    def configured(self) -> dict[TrackerName, TrackerClient]:
        return dict(self._clients)

    def _of(self, kind: type[C]) -> C | None:
        return next((c for c in self._clients.values() if isinstance(c, kind)), None)

    @property
    def issuetrak(self) -> IssuetrakClient | None:
        return self._of(IssuetrakClient)

    @property
    def projectrak(self) -> ProjectrakClient | None:
        return self._of(ProjectrakClient)

    @property
    def aip(self) -> AipClient | None:
        return self._of(AipClient)

    @property
    def kitsu(self) -> KitsuClient | None:
        return self._of(KitsuClient)

    def require_issuetrak(self) -> IssuetrakClient:
        if self.issuetrak is None:
            raise NotConfigured(TrackerName.ISSUETRAK.label)
        return self.issuetrak

    def require_kitsu(self) -> KitsuClient:
        """Kitsu, for what only it does: comments on tasks under people's names."""
        if self.kitsu is None:
            raise NotConfigured(TrackerName.KITSU.label)
        return self.kitsu

    def probes(self) -> dict[TrackerName, Probe]:
        return {name: c for name, c in self._clients.items() if isinstance(c, Probe)}

    def project_sources(self) -> list[ProjectSource]:
        return [c for c in self._clients.values() if isinstance(c, ProjectSource)]

    def issue_sources(self) -> list[IssueSource]:
        return [c for c in self._clients.values() if isinstance(c, IssueSource)]

    def task_sources(self) -> list[TaskSource]:
        return [c for c in self._clients.values() if isinstance(c, TaskSource)]

    def asset_sources(self) -> list[AssetSource]:
        return [c for c in self._clients.values() if isinstance(c, AssetSource)]

    def link_sources(self) -> list[LinkSource]:
        return [c for c in self._clients.values() if isinstance(c, LinkSource)]

    def credential_watches(self) -> list[CredentialWatch]:
        return [c for c in self._clients.values() if isinstance(c, CredentialWatch)]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def build_trackers(
    settings: Settings,
    *,
    options: HttpOptions | None = None,
    transports: Mapping[TrackerName, httpx.AsyncBaseTransport] | None = None,
) -> Trackers:
    """Clients for every tracker the settings turn on (`transports` lets the console serve
    demo trackers in-process)."""
    transports = transports or {}
    return Trackers(
        entry.build(settings.tracker(entry.settings), options, transports.get(entry.tracker))
        for entry in enabled(settings)
    )
