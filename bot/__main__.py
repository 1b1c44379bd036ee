"""`python -m bot [socket | shell | digest --once]` (README, "Running it for real")."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="trackerbot: Slack chat-ops for your trackers")
    sub = parser.add_subparsers(dest="mode")
    sub.add_parser("serve", help="serve Slack over HTTP on $PORT (the default)")
    sub.add_parser("socket", help="serve Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    sub.add_parser("shell", help="the offline console: type what you would type in Slack")
    digest = sub.add_parser("digest", help="post the digests that are due")
    digest.add_argument("--once", action="store_true", required=True, help="post what is due now, then exit")
    args = parser.parse_args(argv)
    mode = args.mode or "serve"
    try:
        settings = load_settings()
        if mode != "shell":
            settings.check_slack(mode)
    except SettingsError as exc:
        print(f"trackerbot cannot start: {exc}", file=sys.stderr)
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
