"""TokenCache and BearerAuth (bot/trackers/tokens.py) through the Projectrak contract server:
one mint however many callers, proactive renewal before expiry, one re-mint and one replay on a
refusal, and no loop when the server keeps refusing."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.trackers.errors import AuthenticationRefused
from bot.trackers.http_client import HttpOptions
from bot.trackers.projectrak import ProjectrakClient
from bot.trackers.tokens import jwt_expiry
from tests.fixtures.projectrak import FAST_RETRIES, ProjectrakServer


def _client(
    server: ProjectrakServer, *, options: HttpOptions = FAST_RETRIES, token_margin: float = 300.0
) -> ProjectrakClient:
    state = server.state
    return ProjectrakClient(server.url, state.key_id, state.api_key, options=options, token_margin=token_margin)


async def test_500_concurrent_calls_on_a_cold_cache_mint_once(projectrak_server: ProjectrakServer) -> None:
    client = _client(projectrak_server, options=HttpOptions(max_in_flight=50))
    try:
        results = await asyncio.gather(*(client.list_fields() for _ in range(500)))
    finally:
        await client.aclose()
    state = projectrak_server.state
    assert state.mints == 1
    assert len(state.received("POST", "/api-keys/jwt")) == 1
    assert [r.status for r in state.received("GET", "/fields")] == [200] * 500
    assert all(len(fields) == 10 for fields in results)


async def test_token_life_comes_from_the_expired_stamp(projectrak_client: ProjectrakClient) -> None:
    before = time.time()
    await projectrak_client.list_fields()
    token = projectrak_client.tokens.peek()
    assert token is not None and token.expires_at is not None
    assert before + 57600 - 1 <= token.expires_at <= time.time() + 57600
    # The stamp has milliseconds; the JWT's exp is the next whole second.
    assert token.expires_at != jwt_expiry(token.value) or token.expires_at % 1 == 0


async def test_a_token_past_its_life_is_reminted_once_before_the_server_refuses_it(
    projectrak_server: ProjectrakServer,
) -> None:
    state = projectrak_server.state
    state.token_seconds = 2
    client = _client(projectrak_server, token_margin=1.0)
    try:
        await client.list_fields()
        await client.list_fields()
        assert state.mints == 1
        await asyncio.sleep(1.6)  # past the token's life less its margin (a quarter of 2 s: 0.5 s)
        await asyncio.gather(*(client.list_fields() for _ in range(20)))
    finally:
        await client.aclose()
    assert state.mints == 2
    assert {r.status for r in state.requests} == {200}  # renewed ahead: nothing was refused


async def test_a_revoked_token_is_reminted_once_and_each_call_replayed_once(
    projectrak_server: ProjectrakServer, projectrak_client: ProjectrakClient
) -> None:
    state = projectrak_server.state
    await projectrak_client.list_fields()
    state.rotate_secret()  # every token issued so far stops verifying
    results = await asyncio.gather(*(projectrak_client.list_fields() for _ in range(10)))
    assert all(len(fields) == 10 for fields in results)
    assert state.mints == 2
    statuses = [r.status for r in state.received("GET", "/fields")]
    refused = statuses.count(401)
    assert refused >= 1
    assert len(statuses) == 1 + 10 + refused  # the first call, ten calls, one replay per refusal
    assert statuses.count(200) == 11


async def test_a_server_that_keeps_refusing_ends_in_authentication_refused(
    projectrak_server: ProjectrakServer, projectrak_client: ProjectrakClient
) -> None:
    state = projectrak_server.state
    await projectrak_client.list_fields()
    state.refuse_tokens = True
    with pytest.raises(AuthenticationRefused):
        await projectrak_client.list_fields()
    assert [r.status for r in state.received("GET", "/fields")] == [200, 401, 401]
    assert state.mints == 2


async def test_a_wrong_key_is_refused_with_a_friendly_message_and_no_secret(
    projectrak_server: ProjectrakServer,
) -> None:
    state = projectrak_server.state
    client = ProjectrakClient(projectrak_server.url, state.key_id, "wrong-k3y-value", options=FAST_RETRIES)
    try:
        with pytest.raises(AuthenticationRefused) as caught:
            await client.list_projects()
    finally:
        await client.aclose()
    message = str(caught.value)
    assert message == "Projectrak refused trackerbot's credentials; ask an admin to check them."
    assert "wrong-k3y-value" not in message and state.key_id not in message
    assert [(r.path, r.status) for r in state.requests] == [("/api-keys/jwt", 401)]
    assert state.received("POST", "/api-keys/jwt")[0].body == {"name": state.key_id, "password": "wrong-k3y-value"}


async def test_a_token_shorter_lived_than_the_margin_is_still_reused() -> None:
    """A 10-second token with the default 60-second margin serves calls for 7.5 seconds."""
    from bot.trackers.tokens import Token, TokenCache

    now = [1_000.0]
    minted: list[Token] = []

    async def mint(_previous: Token | None) -> Token:
        minted.append(Token(f"t{len(minted)}", expires_at=now[0] + 10))
        return minted[-1]

    cache = TokenCache(mint, tracker="Test", clock=lambda: now[0])
    assert (await cache.get()).value == "t0"
    now[0] += 7.4
    assert (await cache.get()).value == "t0"
    now[0] += 0.2
    assert (await cache.get()).value == "t1"
    assert cache.mints == 2
