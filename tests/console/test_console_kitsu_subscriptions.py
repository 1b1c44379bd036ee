"""The console subscribes a channel to a Kitsu production and `:tick` shows a status change made
meanwhile (here with the add_kitsu_comment step, as a person would from Slack)."""

from __future__ import annotations

from pathlib import Path

from tests.console.test_console import offline, run_script


async def test_the_console_subscribes_to_a_production_and_tick_shows_a_change(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path),
        tmp_path,
        "/tracker subscribe production moonrise task_type:modeling\n"
        ":tick\n"
        ':step add_kitsu_comment task="Moonrise / Luna / Modeling" status=Done text="Sculpt done"\n'
        ':step add_kitsu_comment task="Moonrise / Luna / Rigging" status=Done text="Not a chosen type"\n'
        ":tick\n"
        ':step add_kitsu_comment task="Moonrise / Luna / Modeling" status=Retake text="Again"\n'
        ":tick\n",
    )
    assert "Subscribed: Kitsu: Moonrise · task_type:modeling" in output
    _, told, later, _ = output.split("Watch round:")  # each round's posts come before its summary line
    assert told.startswith(" 0 items checked, nothing new to post")
    assert "trackerbot in #general:\n  *Luna* (asset) in Moonrise" in told
    assert "Work In Progress → Done, by Alice Moreau" in told and "Rigging" not in told
    assert "trackerbot in #general (in thread):" in later and "Done → Retake, by Alice Moreau" in later
    assert "Traceback" not in output
