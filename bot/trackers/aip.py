"""Assets & Inventory Plugin (AIP) for Jira Cloud client: find assets and read one.

Auth is documented (docs/trackers.md): a JWT made by an admin in AIP › Settings › API Token,
sent as a bearer token. The bot cannot renew it, so a refusal is final (no replay) and the client
says when the token is about to expire.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from ipaddress import ip_address
from string import Formatter
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import Field, SecretStr, StrictInt, field_validator

from bot.settings import TrackerSettings, secret
from bot.trackers.dto import Dto, Loose, Moment, parse, parse_rows
from bot.trackers.http_client import HttpOptions, TrackerHTTP
from bot.trackers.models import Asset, AssetPage, TrackerName
from bot.trackers.tokens import StaticBearerAuth

log = logging.getLogger(__name__)

# Paths, relative to AIP_URL. ASSUMPTIONS until checked against AIP's Postman collection: both
# paths and the answers' shapes (the documented part is the row's field names and the startAt /
# maxResult paging parameters). There is no collections endpoint in our contract, so an asset
# shows its collection's id unless the row carries a name.
SEARCH_PATH = "assets/search"
ASSET_PATH = "assets/{key}"
ASSET_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*-\d+")
TOKEN_SETTINGS = "AIP › Settings › API Token"

_DISPLAY_KEYS = ("displayName", "name", "value", "label", "key")


def _attribute_text(value: Any) -> str | None:
    """A value as one string: option and user objects by their display name, lists joined."""
    if isinstance(value, list):
        return ", ".join(text for item in value if (text := _attribute_text(item))) or None
    if isinstance(value, dict):
        return _attribute_text(next((value[k] for k in _DISPLAY_KEYS if value.get(k) is not None), None))
    if value is None:
        return None
    return str(value).strip() or None


def _attributes(raw: Any) -> dict[str, str]:
    """Attributes given as a list of {name, value} or as a {name: value} dict."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(item.get("name"), item.get("value")) for item in raw if isinstance(item, dict)]
    else:
        pairs = []
    return {str(name): text for name, value in pairs if name and (text := _attribute_text(value)) is not None}


def _count(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- Answers (DTOs), by AIP's field names. Values that may be an option or user object, a list
# or plain text stay `Any` and are read by `_attribute_text`.
class AssetDTO(Dto):
    id: Any = None
    key: Any = None
    name: Any = None
    status: Any = None
    collection_name: Any = Field(None, alias="collectionName")
    collection_id: Any = Field(None, alias="collectionId")


class AssetRowDTO(Dto):
    """A search row, or the answer for one asset."""

    asset: Loose[AssetDTO] = None
    attributes: Any = None
    global_attributes: Any = Field(None, alias="globalAttributes")
    attachments: Any = None
    created_by: Any = Field(None, alias="createdBy")
    created_at: Moment = Field(None, alias="createdAt")


class SearchDTO(Dto):
    values: list[Any] | None = None
    start_at: Loose[StrictInt] = Field(None, alias="startAt")
    total: Loose[StrictInt] = None


# --- An asset's page: AIP publishes none we know of (docs/trackers.md), so AIP_ASSET_URL says it.
PAGE_FIELDS = ("key", "id")  # what an AIP_ASSET_URL template may name; `key` it must


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        return False


def check_asset_url(template: str) -> str:
    """AIP_ASSET_URL as given, when it is an https URL (http only on loopback) with a fixed host
    whose path or query names `{key}` (and perhaps `{id}`) and nothing else; else ValueError."""
    parts = urlsplit(template)
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
        raise ValueError(
            "AIP_ASSET_URL must be an https URL (http only on localhost), for example "
            "https://example.atlassian.net/…?assetKey={key}"
        )
    if "{" in parts.netloc or "}" in parts.netloc:
        raise ValueError("AIP_ASSET_URL must name its host as is: {key} and {id} go in its path or query")
    try:
        named = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(template) if name is not None]
    except ValueError:
        named = [("", None, None)]  # an unmatched brace
    if any(name not in PAGE_FIELDS or spec or conv for name, spec, conv in named):
        raise ValueError("AIP_ASSET_URL may name only {key} and {id} (a literal brace is written {{ or }})")
    if "key" not in [name for name, _, _ in named]:
        raise ValueError("AIP_ASSET_URL must contain {key}, where the asset's key goes")
    return template


def asset_page(template: str | None, key: str | None, asset_id: str | None) -> str | None:
    """The asset's page by the AIP_ASSET_URL template, each value URL-quoted; None without a
    template, or when the asset lacks what the template names."""
    if template is None or not key or ("{id}" in template.replace("{{", "") and not asset_id):
        return None
    return template.format(key=quote(key, safe=""), id=quote(asset_id or "", safe=""))


def _asset(row: AssetRowDTO, page: str | None = None) -> Asset:
    asset = row.asset or AssetDTO()
    # No collections endpoint is known: without a name on the row, say which collection by number.
    collection = asset.collection_name or (
        f"Collection {asset.collection_id}" if asset.collection_id is not None else None
    )
    key = _attribute_text(asset.key)
    own_id = _attribute_text(asset.id)
    own = _attributes(row.attributes)
    return Asset(
        tracker=TrackerName.AIP,
        id=own_id or key or "",
        key=key,
        name=_attribute_text(asset.name) or key or "",
        collection=None if collection is None else str(collection),
        status=_attribute_text(asset.status),
        attributes=own | {k: v for k, v in _attributes(row.global_attributes).items() if k not in own},
        attachments=_count(row.attachments),
        created_by=_attribute_text(row.created_by),
        created_at=row.created_at,
        url=asset_page(page, key, own_id),
    )


class AipSettings(TrackerSettings):
    label = TrackerName.AIP.label
    switch = "AIP_URL"
    needs = ("AIP_URL", "AIP_TOKEN")

    AIP_URL: str | None = None
    AIP_TOKEN: SecretStr | None = None
    # An asset's page, with {key} (and {id}) where its values go: AIP's pages are not known to us.
    AIP_ASSET_URL: str | None = None

    @field_validator("AIP_ASSET_URL")
    @classmethod
    def _asset_url(cls, value: str | None) -> str | None:
        return None if value is None else check_asset_url(value)


class AipClient:
    tracker = TrackerName.AIP
    name = TrackerName.AIP.label
    pages = True  # AssetSource: search answers page by page

    @classmethod
    def from_settings(
        cls, settings: AipSettings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> AipClient:
        return cls(
            settings.AIP_URL or "",
            secret(settings.AIP_TOKEN),
            asset_url=settings.AIP_ASSET_URL,
            options=options,
            transport=transport,
        )

    def __init__(
        self,
        url: str,
        token: str,
        *,
        asset_url: str | None = None,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`asset_url`: the AIP_ASSET_URL template (checked by `check_asset_url`), or None: no page."""
        self.asset_url = asset_url
        self._auth = StaticBearerAuth(token)
        self.http = TrackerHTTP(self.name, url, self._auth, options=options, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def token_expires_at(self) -> datetime | None:
        """When the API token expires (its JWT `exp`); None for an opaque or never-expiring token."""
        expires = self._auth.expires_at
        return None if expires is None else datetime.fromtimestamp(expires, UTC)

    def token_expiry_warning(self, now: datetime | None = None, within_days: int = 14) -> str | None:
        """A sentence for admins when the token expires within `within_days` (or has expired);
        a naive `now` is taken as UTC."""
        expires = self.token_expires_at
        if expires is None:
            return None
        now = now or datetime.now(UTC)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        days = (expires.date() - now.astimezone(UTC).date()).days
        if days > within_days:
            return None
        renew = f"create a new one in {TOKEN_SETTINGS}."
        if expires <= now:
            return f"The AIP token expired on {expires.date().isoformat()}; {renew}"
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        return f"The AIP token expires {when} ({expires.date().isoformat()}); {renew}"

    async def get_asset(self, key: str) -> Asset:
        key = key.strip()
        row = await self.http.get(ASSET_PATH.format(key=quote(key, safe="")), not_found=f"Asset {key}")
        return _asset(parse(self.name, AssetRowDTO, row), self.asset_url)

    async def asset_by_key(self, ref: str) -> Asset | None:
        """AssetSource: the asset a key ("ART-12", any case) names; None when `ref` is no key."""
        if ASSET_KEY.fullmatch(ref) is None:
            return None
        return await self.get_asset(ref.upper())

    async def search_assets(self, words: str, *, start_at: int, size: int) -> AssetPage:
        return await self.search(words, start_at=start_at, max_result=size)

    async def search(self, query: str, *, start_at: int = 0, max_result: int = 10) -> AssetPage:
        """One page of assets matching `query` (startAt is 0-based: an assumption checked by tests
        against our contract server only)."""
        body = await self.http.get(SEARCH_PATH, params={"query": query, "startAt": start_at, "maxResult": max_result})
        answer = parse(self.name, SearchDTO, body)
        assets = [_asset(row, self.asset_url) for row in parse_rows(self.name, AssetRowDTO, answer.values or [])]
        return AssetPage(
            assets=assets,
            start_at=start_at if answer.start_at is None else answer.start_at,
            total=start_at + len(assets) if answer.total is None else answer.total,
        )

    async def ping(self) -> str:
        """ "30 assets", with the token's expiry warning when it is near (shown by /healthz)."""
        total = (await self.search("", max_result=1)).total
        detail = f"{total} asset{'s' if total != 1 else ''}"
        warning = self.token_expiry_warning()
        return f"{detail}; {warning}" if warning else detail
