"""Shared pytest set-up: the fixtures of each tracker's contract server, the store, Slack and
the real Zou; and hypothesis without per-example deadlines (CI machines are shared and slow)."""

from hypothesis import settings

settings.register_profile("trackerbot", deadline=None)
settings.load_profile("trackerbot")

pytest_plugins = [
    "tests.fixtures.issuetrak",
    "tests.fixtures.projectrak",
    "tests.fixtures.aip",
    "tests.fixtures.kitsu",
    "tests.fixtures.store",
    "tests.fixtures.slack",
    "tests.fixtures.zou",
]
