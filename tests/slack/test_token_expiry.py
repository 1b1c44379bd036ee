"""An AIP token close to expiry (the bot cannot renew it) is reported where people who run the
bot look: `/healthz` and the channel digest."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.demo.aip import AipState
from bot.running.runtime import Runtime
from tests.slack.harness import Chat


@pytest.fixture
def aip_state() -> AipState:
    state = AipState()
    state.new_token(timedelta(days=5, hours=1))
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
