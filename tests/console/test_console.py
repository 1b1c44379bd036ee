"""The console scripted through its input: the production app answers, the demo trackers
record what it wrote, and the rendered output is what a person would read."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.console import open_console, run_console
from bot.console.render import PLAIN
from bot.console.session import Session
from bot.console.terminal import Output, StreamReader
from bot.demo import slack_payloads
from bot.demo.issuetrak import IssuetrakState
from bot.demo.slack import TEAM_ID
from bot.settings import Settings, load_settings
from bot.trackers.models import TrackerName
from tests.fixtures.issuetrak import IssuetrakServer

ROOT = Path(__file__).resolve().parents[2]
NO_TRACKERS = dict.fromkeys(
    (
        "ISSUETRAK_URL",
        "ISSUETRAK_API_KEY",
        "PROJECTRAK_URL",
        "PROJECTRAK_API_KEY_ID",
        "PROJECTRAK_API_KEY",
        "AIP_URL",
        "AIP_TOKEN",
        "KITSU_URL",
        "KITSU_EMAIL",
        "KITSU_PASSWORD",
        "KITSU_TOKEN",
    )
)


def offline(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with no tracker configured (whatever the environment says) and a fresh store."""
    return load_settings(
        _env_file=None, **{**NO_TRACKERS, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}", **overrides}
    )


async def run_script(settings: Settings, folder: Path, script: str) -> tuple[str, Session]:
    """Feed `script` to a console session line by line; return what it printed and the session."""
    out = io.StringIO()
    async with open_console(
        settings, reader=StreamReader(io.StringIO(script)), out=Output(out, PLAIN), folder=folder
    ) as session:
        assert await session.run() == 0
    return out.getvalue(), session


def issuetrak_state(session: Session) -> IssuetrakState:
    state = session.setup.demos[TrackerName.ISSUETRAK].state
    assert isinstance(state, IssuetrakState)
    return state


async def test_commands_render_cards_and_buttons(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                "/tracker project 1",
                "/tracker projects",
                "/tracker asset laptop",
                ":click More",
                "/tracker issue 1001",
                ":click open in issuetrak",
            ]
        ),
    )
    # The project card: header, context, fields as "Label: value", progress bar, buttons.
    assert "  Studio network refresh\n  › Issuetrak" in output
    assert "Status: Open" in output and "Progress: ▓▓▓▓░░░░░░ 40%" in output
    assert "[Refresh] [Watch here] [Open in Issuetrak]" in output
    assert "*Status*" not in output
    # Projects from every demo tracker that lists projects; mrkdwn links and escapes undone.
    for tracker in ("*Issuetrak* · ", "*Projectrak* · ", "*Kitsu* · "):
        assert tracker in output
    assert "• R&D lab move (http://issuetrak.demo/helpdesk/Project_View.asp?ID=2) · Open" in output
    assert "&amp;" not in output
    # Asset search pages through the More button.
    assert "Showing 1–10 of 12 for “laptop”" in output and "[More]" in output
    assert "Showing 11–12 of 12 for “laptop”" in output and "LAPTOP-0042" in output
    # The issue card, and a link button only says where it goes.
    assert "Render node rn-07 drops off the farm overnight" in output and "Priority: High" in output
    assert "Opens http://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001" in output
    assert "(only you)" in output and "Traceback" not in output


async def test_note_through_the_message_shortcut(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":shortcut add_issuetrak_note printer *fixed* & <tested>",
                "1001",  # issue number
                "",  # Enter keeps the message text
                "n",  # not private
            ]
        ),
    )
    assert "you in #general: printer *fixed* & <tested>" in output
    assert "┌ Add Issuetrak note" in output and "│ Issue number: 1001" in output
    assert "trackerbot in #general (in thread):\n  Added note" in output
    notes = [n for n in issuetrak_state(session).notes.values() if n["IssueNumber"] == 1001]
    note = notes[-1]
    assert note["CreatedBy"] == "amartin"  # alice@example.com, the console's default person
    assert note["IsRichText"] is True and note["IsPrivate"] is False
    assert "printer <strong>fixed</strong> &amp; &lt;tested&gt;" in note["NoteText"]
    assert "#general" in note["NoteText"]


async def test_modal_errors_are_asked_again(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":shortcut add_issuetrak_note spare pens arrived",
                "999",
                "",
                "y",  # an issue that does not exist, private
                "1003",  # asked again for the issue number only
            ]
        ),
    )
    assert "│ ! Issue 999 does not exist." in output
    assert output.count("│ Issue number:") == 2 and output.count("│ Note:") == 1
    note = list(issuetrak_state(session).notes.values())[-1]
    assert note["IssueNumber"] == 1003 and note["IsPrivate"] is True


async def test_a_person_without_an_issuetrak_user_is_told_how_to_link(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":as bob",
                ":shortcut add_issuetrak_note the plotter is back",
                "1001",
                "",
                "n",
                ":as camille camille.dubois@example.com",
                "/tracker note 1001 toner ordered",
            ]
        ),
    )
    assert "You are now bob (bob@example.com)." in output
    assert "bob in #general: the plotter is back" in output
    assert "/tracker link" in output
    notes = issuetrak_state(session).notes.values()
    assert not any("plotter is back" in n["NoteText"] for n in notes)
    assert [n["CreatedBy"] for n in notes if "toner ordered" in n["NoteText"]] == ["cdubois"]


async def test_digest_posts_in_the_channel(tmp_path: Path) -> None:
    output, _ = await run_script(offline(tmp_path), tmp_path, ":in #ops\n:digest\n")
    assert "You are now in #ops." in output
    assert "trackerbot in #ops:\n  Daily digest" in output
    assert "Posted the digest in this channel." in output


async def test_mistakes_get_one_sentence_and_the_loop_goes_on(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":click Refresh",
                "/weather paris",
                ":shortcut no_such_shortcut hello",
                ":frobnicate",
                "just chatting",
                ":json",
                "/tracker help",
            ]
        ),
    )
    assert "There is no card with buttons yet." in output
    assert "trackerbot has no /weather command; try /tracker help." in output
    assert "trackerbot has no message shortcut no_such_shortcut." in output
    assert "There is no console command :frobnicate" in output
    assert "Type what you would type in Slack" in output
    assert '"type": "section"' in output  # :json shows the raw Block Kit of the help that follows
    assert "Traceback" not in output


async def test_a_configured_tracker_is_used_for_real(tmp_path: Path, issuetrak_server: IssuetrakServer) -> None:
    settings = offline(tmp_path, ISSUETRAK_URL=issuetrak_server.url, ISSUETRAK_API_KEY=issuetrak_server.state.api_key)
    issuetrak_server.state.issues[1001]["Subject"] = "Only on the real server"
    output, session = await run_script(settings, tmp_path, "/tracker issue 1001\n")
    assert "Only on the real server" in output
    assert TrackerName.ISSUETRAK not in session.setup.demos
    assert issuetrak_server.requests_to("issues/false/1001") or issuetrak_server.requests_to("issues/true/1001")


async def test_run_console_prints_a_banner_and_stops_at_quit(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_console(
        offline(tmp_path), stdin=io.StringIO(":quit\n/tracker projects\n"), stdout=out, home=tmp_path / "home"
    )
    text = out.getvalue()
    assert code == 0
    assert "Demo trackers (built-in data): Issuetrak, Projectrak, AIP, Kitsu. Real trackers: none." in text
    assert "You are you (alice@example.com) in #general." in text
    assert "Working on it" not in text  # nothing after :quit ran
    assert (tmp_path / "home" / "console.log").exists()


async def test_a_database_it_cannot_use_stops_it_with_one_line(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_console(
        offline(tmp_path, DATABASE_URL="mysql://db.example/trackerbot"),
        stdin=io.StringIO("/tracker projects\n"),
        stdout=out,
        home=tmp_path,
    )
    assert code == 2
    assert out.getvalue().startswith("The console cannot start: DATABASE_URL names a database")
    assert "mysql://" not in out.getvalue()


def test_typed_text_arrives_as_slack_sends_it() -> None:
    people = {"bob": "U0BOB"}
    assert slack_payloads.slack_text("a & <b> see https://x.example/?a=1&b=2 cc @bob and @nobody", people) == (
        "a &amp; &lt;b&gt; see <https://x.example/?a=1&amp;b=2> cc <@U0BOB> and @nobody"
    )


def test_the_installed_entry_point_runs_with_no_settings(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "/tracker projects",
                "/tracker project moonrise",
                "/tracker project WEB",
                "/tracker asset LAPTOP-0042",
                "/tracker asset laptop",
                ":click More",  # an asset search with paging
                ":shortcut add_issuetrak_note printer fixed",
                "1001",
                "",
                "n",  # the modal, field by field
                ":digest",
            ]
        )
        + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Real trackers: none." in done.stdout
    for tracker in ("*Issuetrak* · ", "*Projectrak* · ", "*Kitsu* · "):
        assert tracker in done.stdout
    assert "› Kitsu" in done.stdout and "› Projectrak · WEB" in done.stdout
    assert "MacBook Pro 14 (Alice)" in done.stdout  # the AIP asset card
    assert "Showing 11" in done.stdout  # the second page of the search
    assert "Added note" in done.stdout
    assert "Daily digest" in done.stdout
    assert (tmp_path / ".trackerbot" / "console.db").exists()


def _shell_in(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot shell` run in `folder` (where it reads .env) with only PATH and HOME set."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=folder,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(folder), "PYTHONPATH": str(ROOT)},
    )


def test_the_console_starts_after_copying_env_example_to_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())  # cp .env.example .env
    done = _shell_in(tmp_path, "/tracker issue 1001\n:quit\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "Real trackers: none." in done.stdout
    assert "› Issuetrak #1001" in done.stdout  # the card, from the demo Issuetrak


def test_the_banner_says_a_real_tracker_came_from_dotenv(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(example + "AIP_URL=https://aip.example.com/rest/assetapi\nAIP_TOKEN=tok3n\n")
    done = _shell_in(tmp_path, ":quit\n")
    assert done.returncode == 0, done.stderr
    assert "Real trackers: AIP (aip.example.com, from .env)." in done.stdout
    assert "tok3n" not in done.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_at_a_terminal_it_prompts_and_keeps_history(tmp_path: Path) -> None:
    """Prompts, readline history between runs (commands only, not modal answers), Ctrl-D to leave."""
    main, child = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "shell"],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TERM": "dumb"},
    )
    os.close(child)
    terminal = Terminal(main)
    try:
        for prompt, answer in [
            ("you in #general> ", ":shortcut add_issuetrak_note all good"),
            ("Issue number: ", "1001"),
            ("Note [all good]: ", ""),
            ("[y/N]: ", "n"),
            ("you in #general> ", ":in #ops"),
            ("you in #ops> ", "\x04"),
        ]:
            terminal.expect(prompt)
            os.write(main, answer.encode() + (b"" if answer == "\x04" else b"\r"))
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        os.close(main)
    assert "Added note" in terminal.seen and "Traceback" not in terminal.seen
    history = (tmp_path / ".trackerbot" / "history").read_text()
    assert ":shortcut add_issuetrak_note all good" in history and ":in #ops" in history
    assert "1001" not in history


class Terminal:
    """The person's side of a pseudo-terminal: waits for what the console shows."""

    def __init__(self, fd: int) -> None:
        self.fd, self.seen, self._checked = fd, "", 0

    def expect(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while (found := self.seen.find(text, self._checked)) < 0:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            try:
                chunk = os.read(self.fd, 65536) if ready else b""
            except OSError:  # the console exited and closed the terminal
                chunk = b""
            assert chunk, f"the console never showed {text!r}; it showed:\n{self.seen}"
            self.seen += chunk.decode(errors="replace")
        self._checked = found + len(text)


async def test_a_refused_value_followed_by_a_command_gives_up_the_form_and_the_script_goes_on(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":shortcut add_issuetrak_note spare pens arrived",
                "999",  # an issue that does not exist ...
                "",
                "n",
                ":in #ops",  # ... and the script goes on: this is a command, not a corrected number
                "/tracker note 1003 toner ordered",
            ]
        ),
    )
    assert "│ ! Issue 999 does not exist." in output
    assert "└ The form was not sent (a value was refused, and the script's next line is a command)." in output
    assert "You are now in #ops." in output
    notes = list(issuetrak_state(session).notes.values())
    assert not any("spare pens" in n["NoteText"] for n in notes)
    assert [n["IssueNumber"] for n in notes if "toner ordered" in n["NoteText"]] == [1003]


async def test_a_script_answering_a_required_field_with_a_command_runs_the_command(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path), tmp_path, ":shortcut add_issuetrak_note pens\n\n:in #ops\n"
    )  # the issue number left empty, then a command
    assert "│ Issue number is required." in output and "You are now in #ops." in output


async def test_as_finds_people_by_first_name_or_email_and_takes_full_names(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":as alice",  # the console's own person has alice@example.com
                ":as Bob Smith",
                ":as Camille Dubois camille.dubois@example.com",
                ":as bob",
                ":as Bob Jones",
                ":as bob",
            ]
        ),
    )
    assert "You are now you (alice@example.com)." in output
    assert "You are now Bob Smith (bob.smith@example.com)." in output
    assert "You are now Camille Dubois (camille.dubois@example.com)." in output
    assert output.count("You are now Bob Smith (bob.smith@example.com).") == 2  # the only Bob then
    assert "“bob” could be Bob Smith (bob.smith@example.com), Bob Jones (bob.jones@example.com)" in output
    names = sorted(u.name for u in session.slack.users.values())
    assert names == ["Bob Jones", "Bob Smith", "Camille Dubois", "you"]


async def test_the_consoles_own_database_starts_empty_like_the_demo_data(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, **NO_TRACKERS)  # no DATABASE_URL: the console's own file
    _, session = await run_script(settings, tmp_path, "/tracker digest daily 09:00\n")
    assert len(await session.runtime.store.subscriptions()) == 1
    session.banner()  # says where that state lives
    assert isinstance(session.out.stream, io.StringIO)
    assert (
        f"Links and digests live in {tmp_path / 'console.db'}, emptied at each start" in session.out.stream.getvalue()
    )
    _, again = await run_script(settings, tmp_path, "/tracker help\n")
    assert await again.runtime.store.subscriptions() == []


async def test_tick_runs_one_watch_round_and_shows_what_it_posted(tmp_path: Path) -> None:
    """`:tick` is the watch poller's round, run now: a watch made with a card's "Watch here"
    button hears of the change in the channel, in the item's thread from the second news on."""
    out = io.StringIO()
    async with open_console(
        offline(tmp_path), reader=StreamReader(io.StringIO("")), out=Output(out, PLAIN), folder=tmp_path
    ) as session:
        for line in ("/tracker issue 1001", ":click Watch here", ":tick"):
            await session.handle(line)
        assert "This channel will hear of changes to Issuetrak issue #1001" in out.getvalue()
        assert "Watch round: 1 item checked, nothing new to post (" in out.getvalue().splitlines()[-1]
        issue = issuetrak_state(session).issues[1001]
        issue["Status"] = "Closed"
        await session.handle(":tick")
        first = out.getvalue()
        issue["Status"] = "Open"
        await session.handle(":tick")
    output = out.getvalue()
    news = first[first.rindex("nothing new to post") :]
    assert "trackerbot in #general:" in news and "News of Issuetrak issue #1001" in news
    assert "Status: Open → Closed" in news and "1 news posted" in news
    later = output[len(first) :]
    assert "trackerbot in #general (in thread):" in later and "Status: Closed → Open" in later


async def test_tick_shows_the_dm_of_the_person_an_issue_was_assigned_to_and_nobody_elses(tmp_path: Path) -> None:
    """Personal notifications in the console: a person who asked `/tracker notify` (so trackerbot
    knows them in Issuetrak) hears by DM, at the next `:tick`, of an issue assigned to them; the
    person who assigned it, and a third with notifications on, hear nothing."""
    script = [
        ":as Bao Nguyen bao.nguyen@example.com",  # Issuetrak's bnguyen
        "/tracker notify",
        ":as Camille Dubois camille.dubois@example.com",  # cdubois, nothing of hers changes
        "/tracker notify",
        ":as alice",
        "/tracker notify",
        ":tick",
        ":tick",  # the first rounds after a person is known are silent
        "/tracker assign 1004 @Bao Nguyen",
        ":as Bao Nguyen",
        ":tick",
        ":tick",
    ]
    output, session = await run_script(offline(tmp_path), tmp_path, "\n".join(script) + "\n")
    assert issuetrak_state(session).issues[1004]["AssignedTo"] == "bnguyen"
    assert "For now you get none" not in output
    before, _, after = output.partition("You are now Bao Nguyen (bao.nguyen@example.com).\n" + "trackerbot → ")
    assert "(direct message)" not in before
    assert after.startswith("Bao Nguyen (direct message):\n")
    assert "Issuetrak issue #1004: Access to the Finance share" in after and "Assignee: — → Bao Nguyen" in after
    assert after.count("(direct message)") == 1  # one DM, Bao's: not Alice's, not Camille's, not again
    assert "1 news posted" in after and "nothing new to post (" in after.rstrip().splitlines()[-1]


async def test_quiet_hours_are_picked_on_the_home_tab_in_the_console(tmp_path: Path) -> None:
    script = [
        ":home",
        ":click From 22:00",  # nothing kept until the other end is picked
        ":click To 07:00",
        "/tracker notify",
        ":click From 7pm",  # the Home tab is still the last thing with buttons
        ":click No quiet hours",
    ]
    output, session = await run_script(offline(tmp_path), tmp_path, "\n".join(script) + "\n")
    assert "[From ▾] [To ▾]" in output and "[22:00 ▾] [07:00 ▾] [No quiet hours]" in output
    assert "Quiet hours: 22:00–07:00 in your Slack time zone" in output
    assert "trackerbot → you (direct message):\n  Your quiet hours are as they were" in output
    kept = await session.runtime.store.notify_settings(TEAM_ID, session.user)
    assert (kept.quiet_start, kept.quiet_end) == (None, None)  # No quiet hours, the last click
    assert "Traceback" not in output


# --- typing mistakes, pickers and quotes, as a person types them ---------------------------------------------
async def test_typing_mistakes_get_one_line_with_the_usage_meant(tmp_path: Path) -> None:
    script = ["/tracker isue 1001", "/tracker watch 1001", "/tracker issue -5", "/tracker link @Bob Smith bsmith"]
    output, _ = await run_script(offline(tmp_path), tmp_path, "\n".join(script) + "\n")
    answers = [block.strip() for block in output.split("trackerbot (only you):")[1:]]
    assert answers == [
        "I don't know `isue`: did you mean `/tracker issue 1001`? Give an issue number, for example "
        "`/tracker issue 123`.",
        "Did you mean `/tracker watch issue 1001`? Use `/tracker watch issue 123` or "
        "`/tracker watch project <ID, key or name>`.",
        "`-5` is not an issue number. Give an issue number, for example `/tracker issue 123`.",
        "I could not tell who `@Bob Smith bsmith` is: pick the person from the list Slack shows as you type `@`. "
        "Give your Issuetrak user ID, for example `/tracker link jdoe` (admins: `/tracker link @person jdoe`).",
    ]  # one line each: never the whole help under it


async def test_an_asset_in_quotes_is_found(tmp_path: Path) -> None:
    output, _ = await run_script(offline(tmp_path), tmp_path, '/tracker asset "LAPTOP-0042"\n')
    assert "MacBook Pro 14 (Alice)" in output and "Key: LAPTOP-0042" in output


async def test_the_type_picker_takes_a_name_and_priority_starts_at_normal(tmp_path: Path) -> None:
    script = [":shortcut create_issuetrak_issue Printer on fire", "", "", "Soft", ""]
    output, session = await run_script(offline(tmp_path), tmp_path, "\n".join(script) + "\n")
    assert "│ Type: Software\n│ Priority: Normal\n" in output
    created = max(issuetrak_state(session).issues.values(), key=lambda issue: issue["IssueNumber"])
    lookups = issuetrak_state(session).lookups
    names = {
        kind: {row[f"{key}ID"]: row[f"{key}Name"] for row in lookups[kind]}
        for kind, key in (("issuetypes", "IssueType"), ("priorities", "Priority"))
    }
    assert created["Subject"] == "Printer on fire"
    assert names["issuetypes"][created["IssueTypeID"]] == "Software"
    assert names["priorities"][created["PriorityID"]] == "Normal"


async def test_a_name_that_fits_several_options_is_asked_again(tmp_path: Path) -> None:
    script = [":shortcut create_issuetrak_issue Printer on fire", "", "", "ar", "Zebra", "Net", ""]
    output, _ = await run_script(offline(tmp_path), tmp_path, "\n".join(script) + "\n")
    assert "“ar” could be Hardware & Peripherals, Software, Render Farm: type more of the name" in output
    assert "Pick a number from 1 to 5, or a name: " in output
    assert "│ Type: Network\n" in output


# --- the console plays every part: guests, the DM, the Home tab, mentions, unfurls, forms -----------------------
async def test_as_guest_is_a_slack_guest_whom_the_bot_refuses(tmp_path: Path) -> None:
    output, session = await run_script(offline(tmp_path), tmp_path, ":as guest\n/tracker issue 1001\n")
    assert "You are now Guest (guest@example.com), a Slack guest." in output
    assert "Guest accounts cannot use trackerbot" in output
    assert "Render node rn-07" not in output
    assert session.slack.users[session.user].is_restricted


async def test_in_at_trackerbot_is_the_persons_dm_with_the_bot(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path), tmp_path, ":in @trackerbot\n/tracker watch issue 1001\n/tracker watching\n"
    )
    assert "You are now in your direct messages with trackerbot." in output
    assert "#@trackerbot" not in output
    assert session.channel.startswith("D") and session.channel_name == "directmessage"
    assert "You watch 1 of at most 50 here:\n  • Issuetrak issue #1001" in output
    assert session.channel not in session.slack.channels  # a DM, not a channel named "@trackerbot"


async def test_home_opens_the_home_tab(tmp_path: Path) -> None:
    output, _ = await run_script(offline(tmp_path), tmp_path, ":home\n")
    assert "trackerbot Home tab (you):" in output
    assert "Your notes and issues are written in Issuetrak as *amartin*." in output


async def test_a_two_word_name_can_be_mentioned(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path, TRACKER_ADMINS="U0YOU"), tmp_path, ":as Bob Smith\n:as you\n/tracker unlink @Bob Smith\n"
    )
    assert "@Bob Smith is not tied to an Issuetrak user by a link." in output  # the bot got <@U0BOBSMITH>


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("see http://example.com/x", "(no card: none of these links is a page of a tracker set up here)"),
        (
            "see http://issuetrak.demo/helpdesk/Issue_View.asp?ID=99999",
            "(no card: Issue 99999 does not exist in Issuetrak.)",
        ),
        (
            ":as carol\nsee http://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001",
            "(no card: carol may not read it. Reading Issuetrak from Slack needs your Issuetrak user",
        ),
        (
            ":as guest\nsee http://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001",
            "(no card: Guest may not read it. Guest",
        ),
    ],
    ids=["not-a-tracker", "missing-issue", "no-identity", "guest"],
)
async def test_an_unfurl_that_shows_no_card_says_why(tmp_path: Path, script: str, reason: str) -> None:
    output, _ = await run_script(offline(tmp_path), tmp_path, script + "\n")
    assert reason in output
    assert "&lt;" not in output


async def test_an_upper_case_link_unfurls(tmp_path: Path) -> None:
    output, _ = await run_script(
        offline(tmp_path), tmp_path, "see HTTP://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001\n"
    )
    assert "trackerbot unfurled HTTP://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001:" in output
    assert "Render node rn-07 drops off the farm overnight" in output


async def test_a_refused_issue_number_is_caught_as_typed_so_the_next_line_is_not_the_note(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path), tmp_path, ":shortcut add_issuetrak_note printer fixed\nabc\n:in #ops\n"
    )
    assert "│ Issue number: abc\n│ ! Type the issue number, for example 123.\n" in output
    assert "│ Note: :in #ops" not in output
    assert "└ The form was not sent" in output and "You are now in #ops." in output
    assert not any("printer fixed" in n["NoteText"] for n in issuetrak_state(session).notes.values())


@pytest.mark.parametrize(
    ("editors", "said"), [("U0BOSS", "None yet.\n"), ("", "None yet: `/tracker digest daily 09:00`")]
)
async def test_the_home_tab_invites_only_digest_editors_to_start_a_digest(
    tmp_path: Path, editors: str, said: str
) -> None:
    output, _ = await run_script(offline(tmp_path, DIGEST_EDITORS=editors), tmp_path, ":home\n")
    assert f"*Daily digests*\n  {said}" in output


async def test_an_asset_list_pages_back_with_previous(tmp_path: Path) -> None:
    output, _ = await run_script(offline(tmp_path), tmp_path, "/tracker asset laptop\n:click More\n:click Previous\n")
    pages = [line.strip() for line in output.splitlines() if line.strip().startswith("Showing ")]
    assert pages == [
        "Showing 1–10 of 12 for “laptop”",
        "Showing 11–12 of 12 for “laptop”",
        "Showing 1–10 of 12 for “laptop”",
    ]
    assert output.count("[Previous]") == 1  # on the second page only, the first has none


async def test_the_issue_cards_changes_and_the_change_commands_work_in_the_console(tmp_path: Path) -> None:
    output, session = await run_script(
        offline(tmp_path),
        tmp_path,
        "\n".join(
            [
                ":as Bao Nguyen bao.nguyen@example.com",  # Issuetrak's bnguyen
                ":as alice",
                "/tracker issue 1001",
                ":click Assign to me",
                ":click Priority Urgent",
                ":click Substatus Waiting on Vendor",
                ":click Next action… Bao Nguyen",
                ":click Target date 2027-01-15",
                ":click Priority Someday",
                ":click Refresh",
                "/tracker assign 1004 me",
                "/tracker priority 1004 high",
            ]
        ),
    )
    issue = issuetrak_state(session).issues[1001]
    assert (issue["AssignedTo"], issue["PriorityID"], issue["SubStatusID"], issue["NextActionTo"]) == (
        "amartin",
        4,
        2,
        "bnguyen",
    )
    assert issue["TargetDate"].startswith("2027-01-15")
    assert "changed Priority: High → Urgent" in output
    assert "Priority has no “Someday”; it has Low, Normal, High, Urgent." in output
    assert (
        "Assignee of Issuetrak issue #1004" in output and "Priority of Issuetrak issue #1004: Normal → High" in output
    )
    assert "Traceback" not in output
