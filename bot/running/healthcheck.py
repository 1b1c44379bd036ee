"""`python -m bot.running.healthcheck`: the Dockerfile's HEALTHCHECK, with no curl in the image.

GETs `/healthz` of the bot in this container (127.0.0.1, `$PORT`, default 3000, as `python -m bot` reads it)
and exits 0 on a 200, 1 on anything else, printing one line for the container's health log. Proxies in
the environment are ignored (the bot is on loopback). scripts/check-deploy.sh runs the same command in CI.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from bot import messages

# /healthz never waits longer than 5 s for a tracker (bot/running/health.py); a little more for the answer.
TIMEOUT_SECONDS = 8.0


def probe(port: str) -> str | None:
    """None when `/healthz` on `port` answers 200, else what it answered (or why it did not)."""
    url = f"http://127.0.0.1:{port}/healthz"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:  # refused, timed out, or a PORT that makes no URL
        return messages.HEALTHCHECK_FAILED.format(url=url, answer=f"nothing ({exc})")
    return None if status == 200 else messages.HEALTHCHECK_FAILED.format(url=url, answer=f"HTTP {status}")


def main() -> int:
    failure = probe(os.environ.get("PORT", "3000").strip() or "3000")
    if failure is not None:
        print(failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
