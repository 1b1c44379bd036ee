"""AIP_ASSET_URL as a conversation: with it, an AIP asset card has an Open button (the action id
of every Open) to the asset's page, and the asset list links each asset there; without it (the
other conversation tests), neither."""

from __future__ import annotations

import pytest

from bot.views import ids
from tests.slack.harness import Chat

TEMPLATE = "https://example.atlassian.net/plugins/servlet/ac/aip/asset?assetKey={key}&assetId={id}"


@pytest.fixture
def tracker_settings(tracker_settings: dict[str, str]) -> dict[str, str]:
    return {**tracker_settings, "AIP_ASSET_URL": TEMPLATE}


def test_an_aip_asset_card_opens_the_asset_page_the_template_names(chat: Chat) -> None:
    card = chat.send("/tracker asset LAPTOP-0042")
    [button] = [b for b in card.buttons() if b.get("action_id") == ids.OPEN_IN_TRACKER]
    assert button["url"] == TEMPLATE.format(key="LAPTOP-0042", id="5012")
    assert button["text"]["text"] == "Open in AIP"
    listing = chat.send("/tracker asset laptop")
    page = "https://example.atlassian.net/plugins/servlet/ac/aip/asset?assetKey=LAPTOP-0031&amp;assetId=5001"
    assert f"<{page}|MacBook Pro 16 (Bruno)>" in listing.text  # the URL escaped into mrkdwn
