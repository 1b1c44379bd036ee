"""`python -m benchmarks [--quick] [--runs N] [--only NAME ...] [--output PATH]`."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from benchmarks import suite
from benchmarks.report import MEANING, table

RESULTS = Path(__file__).with_name("RESULTS.md")
FULL_RUNS = 5

log = logging.getLogger("benchmarks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="trackerbot's benchmark suite")
    parser.add_argument("--quick", action="store_true", help="one run of each measurement, fewer samples")
    parser.add_argument("--runs", type=int, help=f"runs per measurement (default {FULL_RUNS}, 1 with --quick)")
    parser.add_argument(
        "--only",
        action="append",
        choices=suite.NAMES,
        help="run only this measurement (repeatable); soak runs only so (30 min, 2 with --quick)",
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the table (default {RESULTS.name}; nowhere with --only)"
    )
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else FULL_RUNS)
    output = args.output or (None if args.only else RESULTS)

    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)  # the suite's progress and table; the bot's own modules stay quiet
    started = time.monotonic()
    rows = suite.run(args.only or suite.DEFAULT_NAMES, runs=runs, quick=args.quick)
    text = table(rows, runs=runs, seconds=time.monotonic() - started)
    log.info("\n%s", text)
    if output is not None:
        command = " ".join(
            [
                "python -m benchmarks",
                *(["--quick"] if args.quick else []),
                *([f"--runs {args.runs}"] if args.runs else []),
            ]
        )
        output.write_text(f"<!-- written by `{command}`; paste into the README -->\n\n{text}\n{MEANING}")
        log.info("written to %s", output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
