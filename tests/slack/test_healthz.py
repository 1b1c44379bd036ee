"""`GET /healthz`: every tracker configured and reachable through one authenticated call."""

from __future__ import annotations

import httpx


def test_healthz_reports_all_four_trackers_reachable(bot_url: str, projectrak_server, aip_server) -> None:  # type: ignore[no-untyped-def]
    answer = httpx.get(f"{bot_url}/healthz", timeout=10)
    assert answer.status_code == 200
    trackers = answer.json()["trackers"]
    assert set(trackers) == {"issuetrak", "projectrak", "aip", "kitsu"}
    for name, report in trackers.items():
        assert report["configured"] is True, name
        assert report["reachable"] is True, (name, report["detail"])
    assert projectrak_server.state.mints == 1  # one authenticated call each, with a real token


def test_healthz_is_cached_and_names_an_unreachable_tracker(bot_url: str, aip_server, runtime) -> None:  # type: ignore[no-untyped-def]
    httpx.get(f"{bot_url}/healthz", timeout=10)
    searches = len(aip_server.state.requests)
    httpx.get(f"{bot_url}/healthz", timeout=10)
    assert len(aip_server.state.requests) == searches, "a second probe within seconds is served from cache"


def test_unconfigured_tracker_is_reported_off(issuetrak_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.health import Health
    from bot.settings import load_settings
    from bot.trackers.registry import build_trackers

    settings = load_settings(_env_file=None, ISSUETRAK_URL=issuetrak_server.url,
                             ISSUETRAK_API_KEY=issuetrak_server.state.api_key)
    trackers = build_trackers(settings)

    async def probe() -> dict:
        try:
            return await Health(trackers).report()
        finally:
            await trackers.aclose()

    report = asyncio.run(probe())["trackers"]
    assert report["issuetrak"] == {"configured": True, "reachable": True, "detail": "4 projects"}
    assert report["kitsu"] == {"configured": False, "reachable": False, "detail": "not configured"}
