"""The Slack surface with Kitsu played by the real Zou (scripts/zou-test-server.sh, or any other Zou), on
productions and assets the tests create themselves (`zou_world`)."""

from __future__ import annotations

import json

import pytest

from bot.demo import slack_payloads
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.zou import Zou, ZouWorld
from tests.slack.harness import Chat

pytestmark = pytest.mark.zou


@pytest.fixture
def tracker_settings(zou: Zou, issuetrak_server: IssuetrakServer) -> dict[str, str]:
    return zou.bot_settings(issuetrak_server)


def test_project_card_from_a_real_zou_production(chat: Chat, zou: Zou, zou_world: ZouWorld) -> None:
    reply = chat.send(f"/tracker project {zou_world.feature.lower()}")
    card = reply.of("response_url")[-1]
    assert card["blocks"][0]["text"]["text"] == zou_world.feature
    assert "Kitsu" in reply.text
    assert f"{zou.url}/productions/" in str(card["blocks"])


def test_projects_across_issuetrak_and_real_zou(chat: Chat, zou_world: ZouWorld) -> None:
    reply = chat.send("/tracker projects")
    assert zou_world.short in reply.text and "Studio network refresh" in reply.text
    assert zou_world.archive not in reply.text  # closed in Zou


def test_asset_lookup_in_real_zou(chat: Chat, zou_world: ZouWorld) -> None:
    reply = chat.send(f"/tracker asset hero {zou_world.tag}")
    assert zou_world.assets["Hero"] in reply.text
    assert "Character" in reply.text


def test_links_to_a_real_zou_production_and_asset_unfurl_into_their_cards(
    chat: Chat, zou: Zou, zou_world: ZouWorld
) -> None:
    [production] = zou.rows("data/projects", name=zou_world.feature)
    [asset] = zou.rows("data/assets", name=zou_world.assets["Hero"])
    links = [
        f"{zou.url}/productions/{production['id']}",
        f"{zou.url}/productions/{production['id']}/assets/{asset['id']}",
    ]
    payload = slack_payloads.link_shared(chat.who("ev"), "1700000000.000900", links)
    [call] = chat._exchange(json.dumps(payload), "application/json").of("chat.unfurl")
    assert set(call["unfurls"]) == set(links)
    assert zou_world.feature in json.dumps(call["unfurls"][links[0]])
    assert zou_world.assets["Hero"] in json.dumps(call["unfurls"][links[1]])
