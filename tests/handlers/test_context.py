"""The listeners reach the runtime and the people directory through typed accessors."""

from __future__ import annotations

import pytest
from slack_bolt.context.async_context import AsyncBoltContext

from bot.runtime import Runtime
from bot.slack.directory import Directory
from handlers.context import attach, directory_of, runtime_of


def test_a_context_the_app_did_not_prepare_is_a_clear_type_error_not_a_key_error() -> None:
    context = AsyncBoltContext({"runtime": "not a runtime", "directory": object()})
    with pytest.raises(TypeError, match="no Runtime"):
        runtime_of(context)
    with pytest.raises(TypeError, match="no Directory"):
        directory_of(AsyncBoltContext())


async def test_what_attach_puts_on_the_context_the_accessors_give_back(runtime: Runtime) -> None:
    context, directory = AsyncBoltContext(), Directory()
    attach(context, runtime, directory)
    assert runtime_of(context) is runtime and directory_of(context) is directory
