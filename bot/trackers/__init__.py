"""Tracker clients on one shared core (`core`, `tokens`, `errors`, `models`); `registry` builds them from settings. Knows nothing of Slack."""
