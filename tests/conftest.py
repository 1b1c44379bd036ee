"""Shared pytest set-up: the fixtures of each tracker's contract server, the store, Slack and
the real Zou; and hypothesis without per-example deadlines (CI machines are shared and slow).

Under CI (the `CI` environment variable set, as `.ci/run` and most CI services do) hypothesis is
derandomized and keeps no example database: a failure is the same on every run, so it can be
reproduced, and it is never carried over into a later run."""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import settings

# derandomize is spelled out: Hypothesis itself derandomizes when it sees a CI machine, and this is the
# profile for a developer's own runs.
settings.register_profile("trackerbot", deadline=None, derandomize=False)
settings.register_profile("trackerbot-ci", deadline=None, derandomize=True, database=None, print_blob=True)


def hypothesis_profile(environ: Mapping[str, str]) -> str:
    """The hypothesis profile for an environment: the CI one whenever `CI` is set to anything but empty."""
    return "trackerbot-ci" if environ.get("CI", "").strip() else "trackerbot"


settings.load_profile(hypothesis_profile(os.environ))

pytest_plugins = [
    "tests.fixtures.issuetrak",
    "tests.fixtures.projectrak",
    "tests.fixtures.aip",
    "tests.fixtures.kitsu",
    "tests.fixtures.store",
    "tests.fixtures.slack",
    "tests.fixtures.zou",
]
