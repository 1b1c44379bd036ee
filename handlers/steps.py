"""Workflow Builder steps (`function_executed`): acknowledged at once, then the step runs in the
background (`bot.services.steps`) and ends with `complete(outputs)` or `fail(sentence)`, both
sent with the function execution's own token, which Bolt puts on this request's client."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.errors import PersonFacingError
from bot.runtime import Runtime
from bot.services import steps, writes
from bot.slack.directory import Directory
from handlers.context import directory_of, runtime_of

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    for callback_id in steps.STEPS:
        app.function(callback_id)(step_executed)


async def step_executed(
    ack: AsyncAck,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    await ack()
    rt = runtime_of(context)
    declared = event.get("function")
    function: dict[str, Any] = declared if isinstance(declared, dict) else {}
    callback_id = str(function.get("callback_id") or "")
    inputs, parameters = event.get("inputs"), function.get("input_parameters")
    execution = steps.Execution(
        id=str(event.get("function_execution_id") or ""),
        team=str(body.get("team_id") or context.team_id or ""),
        inputs=inputs if isinstance(inputs, dict) else {},
        parameters=[p for p in parameters if isinstance(p, dict)] if isinstance(parameters, list) else [],
    )
    rt.spawn(
        _run(rt, client, directory_of(context), callback_id, execution, complete, fail), name=f"step {callback_id}"
    )


async def _run(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    callback_id: str,
    execution: steps.Execution,
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    try:
        result = await steps.run(rt, directory.of(client, execution.team), callback_id, execution)
    except writes.HandedOver as stopped:  # the process is stopping: the write waits in the outbox
        await fail(error=str(stopped))
        raise
    except PersonFacingError as exc:  # a tracker, the store or Slack could not answer
        log.warning("step %s failed: %s", callback_id, exc)
        result = steps.StepResult(error=str(exc))
    except Exception:
        log.exception("step %s failed", callback_id)
        result = steps.StepResult(error=messages.STEP_UNEXPECTED)
    if result.outputs is not None:
        await complete(outputs=result.outputs)
    else:
        await fail(error=result.error or messages.STEP_UNEXPECTED)
