"""The Home tab's deep link: built only from ids written as Slack writes them."""

from __future__ import annotations

import pytest

from bot.slack.app_links import home_tab


def test_the_home_tab_link_names_the_team_and_the_app() -> None:
    assert home_tab("T0TRACKER", "A0TRACKER") == "slack://app?team=T0TRACKER&id=A0TRACKER&tab=home"
    assert home_tab("E0GRID", "A0TRACKER") == "slack://app?team=E0GRID&id=A0TRACKER&tab=home"


@pytest.mark.parametrize(
    ("team", "app"),
    [("", "A0TRACKER"), ("T0TRACKER", ""), ("T0TRACKER", "A0X&tab=messages"), ("T0|x>", "A0TRACKER"),
     ("T0TRACKER", "a0tracker"), ("U0ALICE", "A0TRACKER"), ("T0TRACKER", "A" + "1" * 200)],
)  # fmt: skip
def test_no_link_from_an_id_slack_would_not_send(team: str, app: str) -> None:
    assert home_tab(team, app) is None
