"""`/tracker search` and `/tracker mine` in `python -m bot shell`: pages, and Previous and More."""

from __future__ import annotations

from pathlib import Path

from tests.console.test_console import offline, run_script


async def test_search_pages_and_mine_in_the_console(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(["/tracker search e", ":click More", ":click Previous", "/tracker mine", "/tracker search zzzz"]),
    )
    assert "Showing 1–10 of 12 for “e”" in output and "[More]" in output
    assert "Showing 11–12 of 12 for “e”" in output and "[Previous]" in output
    assert output.count("Showing 1–10 of 12 for “e”") == 2
    assert "Your issues, 1–" in output and "assigned to you" in output
    assert "No Issuetrak issue matches “zzzz”." in output
    assert "Traceback" not in output
