"""`python -m bot [socket | shell | digest --once]` (README, "Running it for real")."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.settings import SettingsError, load_settings
from bot.trackers import registry  # noqa: F401  (registers each tracker's settings, which load_settings reads)


def _prog() -> str:
    """What the person typed: `trackerbot` for the installed script, `python -m bot` for the module."""
    name = Path(sys.argv[0]).name
    return "python -m bot" if name in ("__main__.py", "") else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=_prog(), description="trackerbot: Slack chat-ops for your trackers")
    sub = parser.add_subparsers(dest="mode")
    sub.add_parser("serve", help="serve Slack over HTTP on $PORT (the default)")
    sub.add_parser("socket", help="serve Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    sub.add_parser("shell", help="the offline console: type what you would type in Slack")
    digest = sub.add_parser("digest", help="post the digests that are due")
    digest.add_argument("--once", action="store_true", required=True, help="post what is due now, then exit")
    args = parser.parse_args(argv)
    mode = args.mode or "serve"
    try:
        settings = load_settings(mode=None if mode == "shell" else mode)  # the console needs no Slack
    except SettingsError as exc:
        if len(exc.problems) == 1:
            print(f"trackerbot cannot start: {exc}", file=sys.stderr)
        else:  # every problem at once, one a line
            print(f"trackerbot cannot start: {len(exc.problems)} settings need fixing:", file=sys.stderr)
            print("\n".join(f"  - {problem}" for problem in exc.problems), file=sys.stderr)
        return 2

    from bot.running import process  # imported late: settings errors must not wait for heavy imports

    try:
        if mode == "serve":
            return process.serve_http(settings)
        if mode == "socket":
            return asyncio.run(process.serve_socket(settings))
        if mode == "shell":
            from bot.console import run_console

            return asyncio.run(run_console(settings))
        return asyncio.run(process.digest_once(settings))
    except process.StartupError as exc:
        print(f"trackerbot cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
