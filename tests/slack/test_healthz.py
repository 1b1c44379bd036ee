"""`GET /healthz`: every tracker configured and reachable through one authenticated call; to
the public only configured/reachable, the counts, token expiry and error text only with
`Authorization: Bearer $HEALTHZ_TOKEN`; any other Authorization header is refused with 401."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from pydantic import SecretStr

from bot.running.runtime import Runtime

HEALTHZ_TOKEN = "healthz-t0ken-0123456789"
DETAILED = {"Authorization": f"Bearer {HEALTHZ_TOKEN}"}


@pytest.fixture
def healthz_url(bot_url: str, runtime: Runtime) -> str:
    """The bot with HEALTHZ_TOKEN set."""
    runtime.settings.HEALTHZ_TOKEN = SecretStr(HEALTHZ_TOKEN)
    return bot_url


def test_healthz_reports_all_four_trackers_reachable(healthz_url: str, projectrak_server) -> None:  # type: ignore[no-untyped-def]
    answer = httpx.get(f"{healthz_url}/healthz", headers=DETAILED, timeout=10)
    assert answer.status_code == 200
    trackers = answer.json()["trackers"]
    assert set(trackers) == {"issuetrak", "projectrak", "aip", "kitsu"}
    for name, report in trackers.items():
        assert report["configured"] is True, name
        assert report["reachable"] is True, (name, report["detail"])
    assert trackers["issuetrak"]["detail"] == "4 projects"  # the counts, for the token holder
    assert projectrak_server.state.mints == 1  # one authenticated call each, with a real token


def test_the_public_view_says_only_configured_and_reachable(healthz_url: str, issuetrak_server) -> None:  # type: ignore[no-untyped-def]
    issuetrak_server.state.faults.fail_next.extend([503] * 10)  # an error whose text only the token holder sees
    public = httpx.get(f"{healthz_url}/healthz", timeout=10)
    detailed = httpx.get(f"{healthz_url}/healthz", headers=DETAILED, timeout=10)
    assert public.status_code == 200 and detailed.status_code == 200
    assert public.json() == {
        "trackers": {
            "issuetrak": {"configured": True, "reachable": False},
            **{name: {"configured": True, "reachable": True} for name in ("projectrak", "aip", "kitsu")},
        }
    }
    assert "not answering" in detailed.json()["trackers"]["issuetrak"]["detail"]
    assert detailed.json()["trackers"]["kitsu"]["detail"].endswith("open productions")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token-0123456789",
        f"Bearer {HEALTHZ_TOKEN}x",
        f"Bearer {HEALTHZ_TOKEN[:-1]}",
        f"Basic {HEALTHZ_TOKEN}",
        HEALTHZ_TOKEN,
        "Bearer",
        "Bearer é-non-ascii",
        "",
    ],
)
def test_a_wrong_token_is_refused_with_401(healthz_url: str, authorization: str) -> None:
    answer = httpx.get(f"{healthz_url}/healthz", headers={"Authorization": authorization.encode()}, timeout=10)
    assert answer.status_code == 401, authorization
    assert answer.headers["www-authenticate"] == "Bearer" and "trackers" not in answer.text


def test_without_healthz_token_only_the_public_view_exists(bot_url: str) -> None:
    assert set(httpx.get(f"{bot_url}/healthz", timeout=10).json()["trackers"]["aip"]) == {"configured", "reachable"}
    assert httpx.get(f"{bot_url}/healthz", headers={"Authorization": "Bearer anything"}, timeout=10).status_code == 401


def test_healthz_is_cached_and_names_an_unreachable_tracker(bot_url: str, aip_server, runtime) -> None:  # type: ignore[no-untyped-def]
    httpx.get(f"{bot_url}/healthz", timeout=10)
    searches = len(aip_server.state.requests)
    httpx.get(f"{bot_url}/healthz", timeout=10)
    assert len(aip_server.state.requests) == searches, "a second probe within seconds is served from cache"


def test_unconfigured_tracker_is_reported_off(issuetrak_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.running.health import Health, View
    from bot.settings import load_settings
    from bot.trackers.registry import build_trackers

    settings = load_settings(
        _env_file=None, ISSUETRAK_URL=issuetrak_server.url, ISSUETRAK_API_KEY=issuetrak_server.state.api_key
    )
    trackers = build_trackers(settings)

    async def probe() -> dict:
        try:
            return await Health(trackers).report(View.DETAILED)
        finally:
            await trackers.aclose()

    report = asyncio.run(probe())["trackers"]
    assert report["issuetrak"] == {"configured": True, "reachable": True, "detail": "4 projects"}
    assert report["kitsu"] == {"configured": False, "reachable": False, "detail": "not configured"}


class StubbornClient:
    """A tracker client whose ping does not stop when cancelled (as a caller waiting on a shared,
    shielded fetch does) until the test releases it."""

    name = "AIP"

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def ping(self) -> str:
        while not self.release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await self.release.wait()
        return "1 asset"


async def test_a_ping_that_ignores_cancellation_cannot_hold_healthz(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.running import health
    from bot.trackers.registry import Trackers

    monkeypatch.setattr(health, "PING_TIMEOUT_SECONDS", 0.05)
    stubborn = StubbornClient()
    probe = asyncio.ensure_future(health.Health(Trackers(aip=stubborn)).report(health.View.DETAILED))  # type: ignore[arg-type]
    done, _ = await asyncio.wait({probe}, timeout=10)  # generous: the timeout is 50 ms
    stubborn.release.set()
    await asyncio.wait({probe})
    assert done, "/healthz waited for a ping that ignored its cancellation"
    assert probe.result()["trackers"]["aip"] == {
        "configured": True,
        "reachable": False,
        "detail": "AIP did not answer in time",
    }
