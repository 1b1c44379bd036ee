"""Shared pytest set-up: the fixtures of each tracker's contract server, the store, and Slack."""

pytest_plugins = [
    "tests.fixtures.issuetrak",
    "tests.fixtures.projectrak",
    "tests.fixtures.aip",
    "tests.fixtures.kitsu",
    "tests.fixtures.store",
    "tests.fixtures.slack",
    "tests.fixtures.zou",
]
