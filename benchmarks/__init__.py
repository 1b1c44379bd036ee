"""trackerbot's benchmark suite: `python -m benchmarks` (see `python -m benchmarks --help`).

It runs the four trackers' contract servers and the Slack stand-in in a process of their own,
starts the bot as people run it (`python -m bot`), measures what a person in Slack feels and
what the trackers pay, and writes the table to benchmarks/RESULTS.md.
"""
