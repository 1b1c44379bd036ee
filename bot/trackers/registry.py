"""The set of tracker clients a process uses, built from settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import httpx

from bot.settings import Settings
from bot.trackers.aip import AipClient
from bot.trackers.core import HttpOptions
from bot.trackers.errors import NotConfigured
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.kitsu import KitsuClient
from bot.trackers.models import TrackerName
from bot.trackers.projectrak import ProjectrakClient

Client = IssuetrakClient | ProjectrakClient | AipClient | KitsuClient


@dataclass
class Trackers:
    """One client per configured tracker; None where the tracker is off."""

    issuetrak: IssuetrakClient | None = None
    projectrak: ProjectrakClient | None = None
    aip: AipClient | None = None
    kitsu: KitsuClient | None = None

    def configured(self) -> dict[TrackerName, Client]:
        return {TrackerName(f.name): c for f in fields(self) if (c := getattr(self, f.name)) is not None}

    def require_issuetrak(self) -> IssuetrakClient:
        if self.issuetrak is None:
            raise NotConfigured(TrackerName.ISSUETRAK.label)
        return self.issuetrak

    async def aclose(self) -> None:
        for client in self.configured().values():
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
    secret = lambda value: value.get_secret_value() if value is not None else None  # noqa: E731
    trackers = Trackers()
    if settings.issuetrak_on:
        trackers.issuetrak = IssuetrakClient(
            settings.ISSUETRAK_URL, secret(settings.ISSUETRAK_API_KEY),
            options=options, transport=transports.get(TrackerName.ISSUETRAK),
        )
    if settings.projectrak_on:
        trackers.projectrak = ProjectrakClient(
            settings.projectrak_url, settings.PROJECTRAK_API_KEY_ID, secret(settings.PROJECTRAK_API_KEY),
            options=options, transport=transports.get(TrackerName.PROJECTRAK),
        )
    if settings.aip_on:
        trackers.aip = AipClient(
            settings.AIP_URL, secret(settings.AIP_TOKEN),
            options=options, transport=transports.get(TrackerName.AIP),
        )
    if settings.kitsu_on:
        trackers.kitsu = KitsuClient(
            settings.KITSU_URL, email=settings.KITSU_EMAIL, password=secret(settings.KITSU_PASSWORD),
            token=secret(settings.KITSU_TOKEN), options=options, transport=transports.get(TrackerName.KITSU),
        )
    return trackers
