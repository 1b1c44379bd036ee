"""The runtime's background work: drained at shutdown within its timeout; what is left is
cancelled, named in the log, and still answers its person."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot import messages
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.store import Store
from bot.trackers.registry import Trackers
from handlers.replies import guarded

BOUND = 5.0  # generous: drain(0.2) must return long before this


@pytest.fixture
def rt(sqlite_store: Store) -> Runtime:
    return Runtime(settings=load_settings(_env_file=None), trackers=Trackers(), store=sqlite_store)


async def test_drain_waits_for_work_that_finishes_then_cancels_and_names_what_is_left(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0)
        rt.spawn(later(), name="started by quick")  # work started while draining is waited for too

    async def later() -> None:
        await asyncio.sleep(0.01)
        done.append("later")

    finished = rt.spawn(quick(), name="quick")
    stuck = rt.spawn(asyncio.Event().wait(), name="stuck lookup")

    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        await asyncio.wait_for(rt.drain(0.2, grace=1.0), BOUND)

    assert finished.done() and not finished.cancelled() and done == ["later"]
    assert stuck.cancelled()
    assert rt.tasks == set()
    assert "1 background task(s) still running after 0.2 s, cancelled: stuck lookup" in caplog.text
    assert "background task stuck lookup was cancelled" in caplog.text


async def test_work_cancelled_at_shutdown_still_answers_the_person(rt: Runtime) -> None:
    said: list[dict[str, Any]] = []

    async def reply(**answer: Any) -> None:
        said.append(answer)

    async def never_ends() -> None:
        await asyncio.Event().wait()

    task = rt.spawn(guarded(reply, never_ends(), what="/tracker ShowIssue"), name="/tracker")
    await asyncio.wait_for(rt.drain(0.1, grace=1.0), BOUND)

    assert [answer["text"] for answer in said] == [messages.INTERRUPTED]
    assert task.cancelled(), "the cancellation aimed at the task goes on after the answer"


async def test_drain_gives_up_on_work_that_will_not_stop(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await release.wait()  # ignores the cancellation until the test lets it go

    task = rt.spawn(stubborn(), name="stubborn")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.runtime"):
            await asyncio.wait_for(rt.drain(0.05, grace=0.05), BOUND)
        assert "1 background task(s) did not stop when cancelled: stubborn" in caplog.text
        assert not task.done()
    finally:
        release.set()
        task.cancel()
        await asyncio.wait({task})
