"""An AIP token close to expiry (the bot cannot renew it) is reported where people who run the
bot look: `/healthz` and the channel digest."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.demo.aip import AipState
from bot.runtime import Runtime
from tests.slack.harness import Chat


@pytest.fixture
def aip_state() -> AipState:
    """A token that expires at noon UTC five calendar days from now: "in 5 days" at any hour of
    the day the suite runs (a fixed 5 days from a late-evening run would end six dates later)."""
    state = AipState()
    now = datetime.now(UTC)
    noon = datetime.combine(now.date() + timedelta(days=5), time(12), tzinfo=UTC)
    state.new_token(noon - now)
    return state


def test_healthz_warns_about_the_aip_token(bot_url: str, runtime: Runtime) -> None:
    runtime.settings.HEALTHZ_TOKEN = SecretStr("healthz-t0ken-0123456789")  # the warning is in the detailed view
    headers = {"Authorization": "Bearer healthz-t0ken-0123456789"}
    aip = httpx.get(f"{bot_url}/healthz", headers=headers, timeout=10).json()["trackers"]["aip"]
    assert aip["reachable"] is True
    assert "The AIP token expires in 5 days" in aip["detail"]


def test_the_digest_warns_about_the_aip_token(chat: Chat) -> None:
    chat.send("/tracker digest now")
    posted = str(chat.slack.of("chat.postMessage")[-1]["blocks"])
    assert "The AIP token expires in 5 days" in posted
