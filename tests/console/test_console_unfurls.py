"""The console shows unfurls: a message with a tracker's link is posted, the app unfurls it, and
the card's buttons (Add note among them) can be clicked with `:click`."""

from __future__ import annotations

from pathlib import Path

from bot.demo.kitsu import _id as kitsu_id
from tests.console.test_console import issuetrak_state, offline, run_script

ISSUE_LINK = "http://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001"


async def test_a_pasted_link_unfurls_into_its_card_and_add_note_writes_in_its_thread(tmp_path: Path) -> None:
    production = f"http://kitsu.demo/productions/{kitsu_id('project', 'Moonrise')}"
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                f"the production: {production}",
                f"have a look at {ISSUE_LINK}, please.",
                ":click Open in Issuetrak",
                ":click Add note",
                "",  # Enter keeps the issue number filled in
                "Swapped the PSU again",
                "n",  # not private
            ]
        ),
    )
    assert f"you in #general: have a look at {ISSUE_LINK}, please." in output
    assert f"trackerbot unfurled {ISSUE_LINK}:\n  Render node rn-07 drops off the farm overnight" in output
    assert f"trackerbot unfurled {production}:\n  Moonrise" in output
    assert f"Opens {ISSUE_LINK}" in output  # the last card: the issue's, its link without the comma
    assert "┌ Add Issuetrak note" in output and "│ Issue number: 1001" in output
    assert "trackerbot in #general (in thread):\n  Added note" in output
    note = [n for n in issuetrak_state(session).notes.values() if n["IssueNumber"] == 1001][-1]
    assert note["CreatedBy"] == "amartin" and "Swapped the PSU again" in note["NoteText"]
    assert "Traceback" not in output


async def test_links_that_are_no_trackers_pages_unfurl_nothing(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(["see https://example.com/Issue_View.asp?ID=1001", "just chatting"]),
    )
    assert "you in #general: see https://example.com/Issue_View.asp?ID=1001" in output
    assert "(no card: none of these links is a page of a tracker set up here)" in output
    assert "unfurled" not in output
    assert "Type what you would type in Slack" in output  # a line without a link is still not a message
