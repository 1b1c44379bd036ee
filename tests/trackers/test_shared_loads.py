"""Reference data loaded once for every caller at the same time: a caller that gives up (a timed
check, a health probe) never cancels the load the others are waiting on."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.trackers.errors import Unavailable
from bot.trackers.http_client import TrackerHTTP


class GatedLoad:
    """A load that waits for the test to open its gate, then answers (or fails) as told."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> object:
        self.calls += 1
        await self.gate.wait()
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
async def http() -> AsyncIterator[TrackerHTTP]:
    client = TrackerHTTP("Issuetrak", "http://127.0.0.1:9")  # nothing is sent: the loads are the test's
    yield client
    await client.aclose()


async def started(work: Callable[[], Awaitable[object]]) -> asyncio.Task[object]:
    """`work` as a task that has reached its first wait."""
    task = asyncio.ensure_future(work())
    await asyncio.sleep(0)
    return task


async def test_a_caller_that_times_out_does_not_cancel_the_load_the_others_wait_on(http: TrackerHTTP) -> None:
    load = GatedLoad(["Incident", "Request"])
    impatient = await started(lambda: asyncio.wait_for(http.reference("types", load), 0.05))  # starts the load
    patient = await started(lambda: http.reference("types", load))

    with pytest.raises(TimeoutError):
        await impatient
    load.gate.set()

    assert await patient == ["Incident", "Request"]
    assert await http.reference("types", load) == ["Incident", "Request"]  # cached
    assert load.calls == 1


async def test_a_load_that_fails_after_its_first_caller_left_fails_for_the_others_and_is_not_cached(
    http: TrackerHTTP,
) -> None:
    load = GatedLoad(Unavailable("Issuetrak"), ["Incident"])
    impatient = await started(lambda: asyncio.wait_for(http.reference("types", load), 0.05))
    patient = await started(lambda: http.reference("types", load))
    with pytest.raises(TimeoutError):
        await impatient
    load.gate.set()

    with pytest.raises(Unavailable, match="Issuetrak is not answering"):
        await patient
    assert await http.reference("types", load) == ["Incident"]  # loaded again
    assert load.calls == 2


async def test_a_load_every_caller_gave_up_on_still_finishes_and_is_kept(http: TrackerHTTP) -> None:
    load = GatedLoad(["Incident"])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(http.reference("types", load), 0.05)
    load.gate.set()

    assert await http.reference("types", load) == ["Incident"]
    assert load.calls == 1


async def test_a_failed_load_nobody_waits_for_leaves_no_unretrieved_error(http: TrackerHTTP) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        load = GatedLoad(Unavailable("Issuetrak"))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(http.reference("types", load), 0.05)
        load.gate.set()
        for _ in range(3):
            await asyncio.sleep(0)  # the load fails and is forgotten
        assert load.calls == 1 and not load.answers
        gc.collect()  # an unretrieved task error is reported when the task is collected
    finally:
        loop.set_exception_handler(None)
    assert reported == []
