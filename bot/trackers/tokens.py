"""Cached tokens with single-flight minting, and the `httpx.Auth` flows that use them.

The cache is a `cachetools.TLRUCache` (a TTL cache whose time-to-use is computed per item), so
each token lives exactly as long as the token itself says (a JWT's `exp`, Projectrak's
`expired`) minus a safety margin: the margin, or a quarter of the life left when the token is
stored if that is shorter (a 10-second token is still used for 7.5 seconds, not re-minted on
every call).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import jwt
from cachetools import TLRUCache

from bot import metrics

SAFETY_MARGIN_SECONDS = 60.0
SHORT_LIFE_SHARE = 0.25
_KEY = "token"


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float | None = None  # epoch seconds; None means it never expires
    refresh_value: str | None = None  # Kitsu's refresh token, kept beside the access token
    refresh_expires_at: float | None = None


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying; None for opaque or exp-less tokens."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, (int, float)) else None


class TokenCache:
    """Hold one token; mint it once however many callers ask at the same time."""

    def __init__(
        self,
        mint: Callable[[Token | None], Awaitable[Token]],
        *,
        tracker: str,
        margin: float = SAFETY_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mint = mint
        self._mints = metrics.TOKEN_MINTS.labels(metrics.label(tracker))
        self._margin = margin
        self._cache: TLRUCache[str, Token] = TLRUCache(maxsize=1, ttu=self._time_to_use, timer=clock)
        self._lock = asyncio.Lock()
        self._previous: Token | None = None
        self.mints = 0

    def _time_to_use(self, _key: str, token: Token, now: float) -> float:
        if token.expires_at is None:
            return math.inf
        return token.expires_at - min(self._margin, max(0.0, token.expires_at - now) * SHORT_LIFE_SHARE)

    def peek(self) -> Token | None:
        return self._cache.get(_KEY)

    async def get(self) -> Token:
        token = self._cache.get(_KEY)
        if token is not None:
            return token
        async with self._lock:
            token = self._cache.get(_KEY)
            if token is None:
                # The mint function sees the last token so it can use a refresh token it carries.
                token = await self._mint(self._previous)
                self.mints += 1
                self._mints.inc()
                self._previous = token
                self._cache[_KEY] = token
            return token

    async def refused(self, token: Token) -> Token:
        """The tracker refused `token`: drop it (unless someone already replaced it), get a new one."""
        async with self._lock:
            if self._cache.get(_KEY) == token:
                del self._cache[_KEY]
        return await self.get()


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer` from a `TokenCache`; on a refusal, one new token and one replay."""

    requires_response_body = True

    def __init__(self, tokens: TokenCache, *, is_refusal: Callable[[httpx.Response], bool] | None = None) -> None:
        self.tokens = tokens
        self._is_refusal = is_refusal or (lambda response: response.status_code == 401)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.tokens.get()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if self._is_refusal(response):
            token = await self.tokens.refused(token)
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request


class StaticBearerAuth(httpx.Auth):
    """A token that cannot be renewed by the bot (AIP, a Kitsu bot account): no replay on 401."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.expires_at = jwt_expiry(token)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
