"""`python -m bot digest --once` as cron runs it: a real process, configured by environment
variables, against the contract servers and the Slack stand-in on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.demo.slack import TEAM_ID, SlackState
from bot.store import Store
from tests.slack.harness import BOT_TOKEN, blocks_text

ROOT = Path(__file__).resolve().parents[2]


def digest_once(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run it from this source tree (not whichever one the environment has installed)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "digest", "--once"],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_digest_once_posts_what_is_due_and_a_second_run_posts_nothing(
    tracker_settings: dict[str, str], slack_url: str, slack_state: SlackState, sqlite_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    now = datetime.now(UTC)
    await store.subscribe(TEAM_ID, "C0CRON", "00:00", "UTC", [], "U0ALICE", now)  # due all day, every day
    # A zone where it is about noon now, and a digest at 18:00 there: not due yet.
    noon = f"Etc/GMT{now.hour - 12:+d}" if now.hour != 12 else "UTC"  # Etc/GMT-2 is UTC+2
    await store.subscribe(TEAM_ID, "C0LATER", "18:00", noon, [], "U0ALICE", now)
    await store.aclose()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": f"{slack_url}/api/",
        "DATABASE_URL": sqlite_url,
        "LOG_LEVEL": "INFO",
        **tracker_settings,
    }

    first = digest_once(env, tmp_path)
    assert first.returncode == 0, first.stderr
    [post] = slack_state.of("chat.postMessage")
    assert post["channel"] == "C0CRON"
    text = blocks_text(post["blocks"])
    assert "R&amp;D lab move" in text and "Mobile app 2.0" in text and "Kitsu tasks due soon" in text
    assert "1 digest(s) posted, 0 failed" in first.stderr
    assert BOT_TOKEN not in first.stderr + first.stdout

    second = digest_once(env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(slack_state.of("chat.postMessage")) == 1
    assert "0 digest(s) posted" in second.stderr


def test_digest_once_needs_the_bot_token(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    run = digest_once(env, tmp_path)
    assert run.returncode == 2
    assert "SLACK_BOT_TOKEN is missing" in run.stderr and "Traceback" not in run.stderr


async def test_a_run_that_slack_failed_exits_1_and_the_next_run_posts_the_digest(
    tracker_settings: dict[str, str], slack_url: str, slack_state: SlackState, sqlite_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    await store.subscribe(TEAM_ID, "C0CRON", "00:00", "UTC", [], "U0ALICE", datetime.now(UTC))
    await store.aclose()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": f"{slack_url}/api/",
        "DATABASE_URL": sqlite_url,
        "LOG_LEVEL": "INFO",
        **tracker_settings,
    }
    slack_state.failures["chat.postMessage"] = [503]

    failed = digest_once(env, tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert "0 digest(s) posted, 1 failed" in failed.stderr and "the next round tries again" in failed.stderr
    assert slack_state.of("chat.postMessage") == []

    retried = digest_once(env, tmp_path)  # cron's next run, the same day
    assert retried.returncode == 0, retried.stderr
    assert [post["channel"] for post in slack_state.of("chat.postMessage")] == ["C0CRON"]
