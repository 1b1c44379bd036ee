"""`/tracker`'s table of commands: each command the parser can make has its own function."""

from __future__ import annotations

import typing

from bot.slack import command_parser as parsed
from handlers import commands


def test_every_command_the_parser_makes_has_its_function() -> None:
    made = set(typing.get_args(parsed.Command)) - {parsed.Help}  # help is answered in the acknowledgement
    assert set(commands._COMMANDS) == made
