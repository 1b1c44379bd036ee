"""`:step` runs a Workflow Builder step as the console's person and prints its outputs."""

from __future__ import annotations

from pathlib import Path

from bot.demo.kitsu import KitsuState, _id
from bot.trackers.models import TrackerName
from tests.console.test_console import issuetrak_state, offline, run_script


async def test_step_files_an_issue_as_the_console_person_and_prints_its_outputs(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        ':step create_issuetrak_issue subject="Printer jam" priority=High\n'
        ":step get_issuetrak_issue issue_number=1001\n"
        ":as bob bob@nowhere.example\n"
        ':step create_issuetrak_issue subject="Not as Bob" priority=High\n'
        ":step create_issuetrak_issue subject=x priority=Whenever\n"
        ":step no_such_step a=b\n"
        ":step create_issuetrak_issue oops\n",
    )
    (issue,) = [i for i in issuetrak_state(session).issues.values() if i["Subject"] == "Printer jam"]
    assert issue["SubmittedBy"] == "amartin"  # the console's person, Alice
    assert f"Step create_issuetrak_issue completed:\n  issue_number = {issue['IssueNumber']}\n  issue_url = " in output
    assert "Step get_issuetrak_issue completed:\n  subject = " in output
    assert "Step create_issuetrak_issue failed: U0" in output and "cannot use trackerbot's Issuetrak steps" in output
    assert not [i for i in issuetrak_state(session).issues.values() if i["Subject"] == "Not as Bob"]
    assert "“Whenever” is not an Issuetrak priority. Use one of: Low, Normal, High, Urgent." in output
    assert "trackerbot has no step no_such_step." in output
    assert "Say which step and its inputs, e.g. :step create_issuetrak_issue" in output
    assert "Traceback" not in output


async def test_step_comments_on_the_demo_kitsu_as_the_console_person(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        ':step add_kitsu_comment task="Moonrise / Luna / Modeling" status="Waiting For Approval" text="Normals fixed"\n'
        ':step add_kitsu_comment task="Moonrise / Luna / Lighting" status=Done text=x\n',
    )
    state = session.setup.demos[TrackerName.KITSU].state
    assert isinstance(state, KitsuState)
    [comment] = state.data["comments"]
    assert comment["person_id"] == _id("person", "alice@example.com")  # the console's person, Alice
    assert comment["task_status_id"] == _id("task-status", "wfa")
    assert f"Step add_kitsu_comment completed:\n  comment_id = {comment['id']}\n  task_url = " in output
    assert "“Lighting” is not a task of Luna. Use one of: Concept, Modeling, Rigging, Shading." in output
    assert "Traceback" not in output
