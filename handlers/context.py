"""What the Bolt app hands every listener besides the request: the process's `Runtime` and the
shared people `Directory`, attached to Bolt's context by one middleware (`attach`) and read back
through the typed accessors below, never by string key in a listener."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext

from bot.runtime import Runtime
from bot.slack.directory import Directory

_RUNTIME = "runtime"
_DIRECTORY = "directory"


def attach(context: AsyncBoltContext, runtime: Runtime, directory: Directory) -> None:
    """Put the runtime and the directory on a request's context (the app's middleware)."""
    context[_RUNTIME] = runtime
    context[_DIRECTORY] = directory


def runtime_of(context: AsyncBoltContext) -> Runtime:
    """The process's runtime; TypeError when the app was built without `attach`."""
    runtime = context.get(_RUNTIME)
    if not isinstance(runtime, Runtime):
        raise TypeError("no Runtime on the Bolt context: build the app with bot.running.app.create_app")
    return runtime


def directory_of(context: AsyncBoltContext) -> Directory:
    """The shared people directory; TypeError when the app was built without `attach`."""
    directory = context.get(_DIRECTORY)
    if not isinstance(directory, Directory):
        raise TypeError("no Directory on the Bolt context: build the app with bot.running.app.create_app")
    return directory
