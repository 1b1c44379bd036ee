"""`GET /healthz` and `GET /readyz`: every tracker configured and reachable through one
authenticated call, and the database answering a trivial query; to the public only
configured/reachable, the counts, token expiry, timings and error text only with
`Authorization: Bearer $HEALTHZ_TOKEN`; any other Authorization header is refused with 401.
`/healthz` (liveness) is 503 only when the database does not answer; `/readyz` (readiness) is
503 as well when a configured tracker does not."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.runtime import Runtime
from bot.trackers.models import TrackerName
from tests.fixtures.store import sqlite_locked

HEALTHZ_TOKEN = "healthz-t0ken-0123456789"
DETAILED = {"Authorization": f"Bearer {HEALTHZ_TOKEN}"}


@pytest.fixture
def healthz_url(bot_url: str, runtime: Runtime) -> str:
    """The bot with HEALTHZ_TOKEN set."""
    runtime.settings.HEALTHZ_TOKEN = SecretStr(HEALTHZ_TOKEN)
    return bot_url


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_healthz_reports_all_four_trackers_reachable(healthz_url: str, projectrak_server, path: str) -> None:
    answer = httpx.get(f"{healthz_url}{path}", headers=DETAILED, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["database"]["reachable"] is True
    assert answer.json()["database"]["detail"].startswith("sqlite answered in ")
    trackers = answer.json()["trackers"]
    assert set(trackers) == {"issuetrak", "projectrak", "aip", "kitsu"}
    for name, report in trackers.items():
        assert report["configured"] is True, name
        assert report["reachable"] is True, (name, report["detail"])
    assert trackers["issuetrak"]["detail"] == "4 projects"  # the counts, for the token holder
    assert projectrak_server.state.mints == 1  # one authenticated call each, with a real token


def test_the_public_view_says_only_configured_and_reachable(healthz_url: str, issuetrak_server) -> None:
    issuetrak_server.state.faults.fail_next.extend([503] * 10)  # an error whose text only the token holder sees
    public = httpx.get(f"{healthz_url}/healthz", timeout=10)
    detailed = httpx.get(f"{healthz_url}/healthz", headers=DETAILED, timeout=10)
    ready = httpx.get(f"{healthz_url}/readyz", timeout=10)
    assert public.status_code == 200 and detailed.status_code == 200, "alive: the database answers"
    assert ready.status_code == 503, "not ready: a configured tracker does not answer"
    assert (
        public.json()
        == ready.json()
        == {
            "trackers": {
                "issuetrak": {"configured": True, "reachable": False},
                **{name: {"configured": True, "reachable": True} for name in ("projectrak", "aip", "kitsu")},
            },
            "database": {"reachable": True},
        }
    )
    assert detailed.json()["trackers"]["issuetrak"]["detail"] == "HTTP 503"  # the cause, not the sentence for people
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
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_a_wrong_token_is_refused_with_401(healthz_url: str, authorization: str, path: str) -> None:
    answer = httpx.get(f"{healthz_url}{path}", headers=[(b"Authorization", authorization.encode())], timeout=10)
    assert answer.status_code == 401, authorization
    assert answer.headers["www-authenticate"] == "Bearer" and "trackers" not in answer.text
    assert "trackerbot_" not in answer.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_without_healthz_token_only_the_public_view_exists(bot_url: str, path: str) -> None:
    public = httpx.get(f"{bot_url}{path}", timeout=10).json()
    assert set(public["trackers"]["aip"]) == {"configured", "reachable"} and public["database"] == {"reachable": True}
    assert httpx.get(f"{bot_url}{path}", headers={"Authorization": "Bearer anything"}, timeout=10).status_code == 401


def test_healthz_is_cached_and_names_an_unreachable_tracker(bot_url: str, aip_server, runtime) -> None:
    httpx.get(f"{bot_url}/healthz", timeout=10)
    searches = len(aip_server.state.requests)
    httpx.get(f"{bot_url}/healthz", timeout=10)
    assert len(aip_server.state.requests) == searches, "a second probe within seconds is served from cache"


def test_unconfigured_tracker_is_reported_off(issuetrak_server, tmp_path) -> None:
    import asyncio

    from bot.running.health import Health, View, ready
    from bot.settings import load_settings
    from bot.store import Store
    from bot.trackers.registry import build_trackers

    settings = load_settings(
        _env_file=None, ISSUETRAK_URL=issuetrak_server.url, ISSUETRAK_API_KEY=issuetrak_server.state.api_key
    )
    trackers = build_trackers(settings)

    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")

    async def probe() -> dict[str, Any]:
        try:
            return await Health(trackers, store).report(View.DETAILED)
        finally:
            await trackers.aclose()
            await store.aclose()

    whole = asyncio.run(probe())
    report = whole["trackers"]
    assert report["issuetrak"] == {"configured": True, "reachable": True, "detail": "4 projects"}
    assert report["kitsu"] == {"configured": False, "reachable": False, "detail": "not configured"}
    assert ready(whole), "a tracker left off does not make the bot unready"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("where", "key", "cause"),
    [
        ("closed-port", "right", "connection refused"),
        ("server", "wrong", "HTTP 401"),
        ("https-to-http", "right", "TLS: "),
    ],
)
def test_the_detailed_view_shows_the_cause_and_no_secret(issuetrak_server, tmp_path, where, key, cause) -> None:
    from bot.running.health import Health, View
    from bot.settings import load_settings
    from bot.store import Store
    from bot.trackers.registry import build_trackers

    url = {
        "closed-port": f"http://127.0.0.1:{_free_port()}/api/v1",
        "server": issuetrak_server.url,
        "https-to-http": issuetrak_server.url.replace("http://", "https://"),
    }[where]
    api_key = issuetrak_server.state.api_key if key == "right" else "wrong-key-0123456789abcdef"
    trackers = build_trackers(load_settings(_env_file=None, ISSUETRAK_URL=url, ISSUETRAK_API_KEY=api_key))
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")

    async def probe() -> dict[str, Any]:
        try:
            return await Health(trackers, store).report(View.DETAILED)
        finally:
            await trackers.aclose()
            await store.aclose()

    report = asyncio.run(probe())["trackers"]["issuetrak"]
    assert report["reachable"] is False
    assert report["detail"].startswith(cause), report
    assert api_key not in report["detail"] and "wrong-key" not in report["detail"]


class StubbornClient:
    """A tracker client whose ping does not stop when cancelled (as a caller waiting on a shared,
    shielded fetch does) until the test releases it."""

    tracker = TrackerName.AIP
    name = "AIP"

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def ping(self) -> str:
        while not self.release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await self.release.wait()
        return "1 asset"


async def test_a_ping_that_ignores_cancellation_cannot_hold_healthz(monkeypatch: pytest.MonkeyPatch, store) -> None:
    from bot.running import health
    from bot.trackers.registry import Trackers

    monkeypatch.setattr(health, "PING_TIMEOUT_SECONDS", 0.05)
    stubborn = StubbornClient()
    probe = asyncio.ensure_future(health.Health(Trackers([stubborn]), store).report(health.View.DETAILED))  # type: ignore[list-item]
    done, _ = await asyncio.wait({probe}, timeout=10)  # generous: the timeout is 50 ms
    stubborn.release.set()
    await asyncio.wait({probe})
    assert done, "/healthz waited for a ping that ignored its cancellation"
    assert probe.result()["trackers"]["aip"] == {
        "configured": True,
        "reachable": False,
        "detail": "timeout: AIP did not answer within 0.05 s",  # PING_TIMEOUT_SECONDS, shortened here
    }


# --- the database --------------------------------------------------------------------------------


@pytest.fixture
def impatient_url(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The bot with HEALTHZ_TOKEN set, waiting 0.2 s for its database."""
    from bot.demo.loopback import serve_in_thread
    from bot.running import health
    from bot.running.app import create_app
    from bot.running.web import create_web_app

    monkeypatch.setattr(health, "DATABASE_TIMEOUT_SECONDS", 0.2)
    runtime.settings.HEALTHZ_TOKEN = SecretStr(HEALTHZ_TOKEN)
    with serve_in_thread(create_web_app(runtime, create_app(runtime))) as url:
        yield url


def test_a_database_that_does_not_answer_fails_both_probes_and_a_flood_asks_it_once(
    impatient_url: str, runtime: Runtime, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []
    answers = runtime.store.answers

    async def counted() -> None:
        asked.append(1)
        await answers()

    monkeypatch.setattr(runtime.store, "answers", counted)
    assert httpx.get(f"{impatient_url}/healthz", timeout=10).status_code == 200
    asked.clear()
    with sqlite_locked(tmp_path / "bot.db"), ThreadPoolExecutor(max_workers=8) as pool:
        probes = [(path, headers) for path in ("/healthz", "/readyz") for headers in ({}, DETAILED)] * 5
        seen = list(
            pool.map(lambda probe: httpx.get(f"{impatient_url}{probe[0]}", headers=probe[1], timeout=10), probes)
        )
        for answer, (path, headers) in zip(seen, probes, strict=True):
            assert answer.status_code == 503, path
            if headers:
                assert answer.json()["database"] == {
                    "reachable": False,
                    "detail": "the database did not answer within 0.2 s",
                }
            else:
                assert answer.json()["database"] == {"reachable": False}
                assert set(answer.json()["trackers"]["aip"]) == {"configured", "reachable"}
        assert len(asked) == 1, "twenty probes while the database hangs: one query"
    deadline = time.monotonic() + 30  # generous: the held query finishes as soon as the lock goes
    while httpx.get(f"{impatient_url}/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "/healthz did not recover once the database answered"
        time.sleep(0.05)
    assert httpx.get(f"{impatient_url}/readyz", timeout=10).status_code == 200


def test_a_database_file_that_is_no_longer_a_database_fails_liveness_without_its_error_text(
    impatient_url: str, tmp_path
) -> None:
    assert httpx.get(f"{impatient_url}/healthz", timeout=10).status_code == 200
    for path in tmp_path.glob("bot.db*"):  # the file and its WAL, overwritten (a bad disk, a stray copy)
        path.write_bytes(b"garbage!" * 512)
    answer = httpx.get(f"{impatient_url}/healthz", headers=DETAILED, timeout=10)
    assert answer.status_code == 503
    assert answer.json()["database"] == {
        "reachable": False,
        "detail": "the database failed a trivial query (DatabaseError)",
    }
    assert "not a database" not in answer.text and "BEGIN" not in answer.text


class Proxy:
    """A TCP proxy on loopback to a real server, which `cut()` takes down as a network partition
    or a stopped database would: every connection closed, new ones refused."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self.listener.close()
        for connection in self.open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


async def test_a_postgresql_that_went_away_is_not_alive_and_not_ready(pg_url: str) -> None:
    from sqlalchemy import make_url

    from bot.running.health import Health, View, live, ready
    from bot.store import Store
    from bot.trackers.registry import Trackers

    real = make_url(pg_url)
    proxy = Proxy(real.host or "127.0.0.1", real.port or 5432)
    store = Store(real.set(port=proxy.port).render_as_string(hide_password=False))
    try:
        health = Health(Trackers(), store)
        up = await health.report(View.DETAILED)
        assert live(up) and ready(up) and up["database"]["detail"].startswith("postgresql answered in ")
        proxy.cut()
        down = await health.report(View.DETAILED)
        assert not live(down) and not ready(down)
        assert down["database"] == {
            "reachable": False,
            "detail": "trackerbot's database is not answering right now; try again in a minute.",
        }
        assert await health.report(View.PUBLIC) == {"trackers": public_trackers(down), "database": {"reachable": False}}
    finally:
        proxy.cut()
        await store.aclose()


def public_trackers(report: dict[str, Any]) -> dict[str, Any]:
    """The trackers block of `report` as the public view shows it."""
    return {
        name: {"configured": t["configured"], "reachable": t["reachable"]} for name, t in report["trackers"].items()
    }
