"""Kitsu comments in `python -m bot shell`: the shortcut's form, its menus filled from the app's
options (as Slack's options requests would), and the Comment button of a production card."""

from __future__ import annotations

from pathlib import Path

from bot.demo.kitsu import KitsuState, _id
from bot.trackers.models import TrackerName
from tests.console.test_console import offline, run_script


async def test_comment_from_the_shortcut_and_from_a_cards_task_line(tmp_path: Path) -> None:
    script = [
        ":shortcut add_kitsu_comment Normals fixed",
        "Moonrise",
        "Luna",
        "Modeling",
        "Waiting For Approval",
        "",
        "/tracker project moonrise",
        ":click Comment",
        "",
        "",
        "",
        "Done",
        "Looks great",
    ]
    output, session = await run_script(offline(tmp_path), tmp_path, "\n".join(script))
    assert "│ Production: Moonrise" in output and "│ Task: Modeling" in output
    assert "Commented on Kitsu task *Moonrise / Luna / Modeling*, now *Waiting For Approval*." in output
    assert "[Comment]" in output
    assert "Commented on Kitsu task *Moonrise / Lunar Rover / Modeling*, now *Done*." in output
    state = session.setup.demos[TrackerName.KITSU].state
    assert isinstance(state, KitsuState)
    alice = _id("person", "alice@example.com")
    assert [(c["person_id"], c["text"].split("\n")[0]) for c in state.data["comments"]] == [
        (alice, "Normals fixed"),
        (alice, "Looks great"),
    ]
    assert "Traceback" not in output
