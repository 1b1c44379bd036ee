"""The set of tracker clients a process uses, built from settings, and handed out by capability.

`ENTRIES` lists every tracker the bot knows: its key, whether the settings turn it on and how to
build its client. `build_trackers` builds the clients of the entries turned on; services then ask
`Trackers` for its project sources, asset sources, probes... (see `capabilities`), so a tracker
added here (with `register`) joins them without a change to the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx
from pydantic import SecretStr

from bot.settings import Settings
from bot.trackers.aip import AipClient
from bot.trackers.capabilities import (
    AssetSource,
    CredentialWatch,
    IssueSource,
    LinkSource,
    Probe,
    ProjectSource,
    TaskSource,
    TrackerClient,
)
from bot.trackers.core import HttpOptions
from bot.trackers.errors import NotConfigured
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.kitsu import KitsuClient
from bot.trackers.models import TrackerName
from bot.trackers.projectrak import ProjectrakClient

C = TypeVar("C")

Build = Callable[[Settings, HttpOptions | None, httpx.AsyncBaseTransport | None], TrackerClient]


@dataclass(frozen=True)
class Entry:
    """One tracker the bot knows: its key, whether `settings` turn it on, how to build its client
    (with the shared HTTP options and, in the console, an in-process transport to its demo)."""

    tracker: TrackerName
    enabled: Callable[[Settings], bool]
    build: Build


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _url(value: str | None, tracker: TrackerName) -> str:
    """The URL of a tracker the settings turn on (they check it is there before the start)."""
    if value is None:
        raise NotConfigured(tracker.label)
    return value


def _issuetrak(
    settings: Settings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
) -> IssuetrakClient:
    return IssuetrakClient(
        _url(settings.ISSUETRAK_URL, TrackerName.ISSUETRAK),
        _secret(settings.ISSUETRAK_API_KEY) or "",
        options=options,
        transport=transport,
        disabled_fields=settings.disabled_issue_fields,
    )


def _projectrak(
    settings: Settings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
) -> ProjectrakClient:
    return ProjectrakClient(
        settings.projectrak_url,
        settings.PROJECTRAK_API_KEY_ID or "",
        _secret(settings.PROJECTRAK_API_KEY) or "",
        options=options,
        transport=transport,
    )


def _aip(settings: Settings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None) -> AipClient:
    return AipClient(
        _url(settings.AIP_URL, TrackerName.AIP), _secret(settings.AIP_TOKEN) or "", options=options, transport=transport
    )


def _kitsu(settings: Settings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None) -> KitsuClient:
    return KitsuClient(
        _url(settings.KITSU_URL, TrackerName.KITSU),
        email=settings.KITSU_EMAIL,
        password=_secret(settings.KITSU_PASSWORD),
        token=_secret(settings.KITSU_TOKEN),
        options=options,
        transport=transport,
    )


ENTRIES: list[Entry] = [
    Entry(TrackerName.ISSUETRAK, lambda settings: settings.issuetrak_on, _issuetrak),
    Entry(TrackerName.PROJECTRAK, lambda settings: settings.projectrak_on, _projectrak),
    Entry(TrackerName.AIP, lambda settings: settings.aip_on, _aip),
    Entry(TrackerName.KITSU, lambda settings: settings.kitsu_on, _kitsu),
]


def register(entry: Entry) -> Callable[[], None]:
    """Add a tracker to `ENTRIES` (after the others, so its results come last); the returned
    function takes it out again."""
    if any(known.tracker is entry.tracker for known in ENTRIES):
        raise ValueError(f"{entry.tracker!r} is already registered")
    ENTRIES.append(entry)
    return lambda: ENTRIES.remove(entry)


class Trackers:
    """One client per configured tracker, in the order of `TrackerName`, handed out by capability.

    `issuetrak` (and `require_issuetrak`) stay for what only Issuetrak does: writes under people's
    names, issues by number, people. The other named accessors serve tests and benchmarks."""

    def __init__(
        self,
        clients: Iterable[TrackerClient] = (),
        *,
        issuetrak: IssuetrakClient | None = None,
        projectrak: ProjectrakClient | None = None,
        aip: AipClient | None = None,
        kitsu: KitsuClient | None = None,
    ) -> None:
        named = {
            TrackerName.ISSUETRAK: issuetrak,
            TrackerName.PROJECTRAK: projectrak,
            TrackerName.AIP: aip,
            TrackerName.KITSU: kitsu,
        }
        given = [
            *((client.tracker, client) for client in clients),
            *((name, client) for name, client in named.items() if client is not None),
        ]
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
        entry.build(settings, options, transports.get(entry.tracker)) for entry in ENTRIES if entry.enabled(settings)
    )
