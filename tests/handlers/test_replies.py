"""A listener's background work that fails is answered with one sentence, never a traceback."""

from __future__ import annotations

import asyncio
from typing import Any

from bot import messages
from bot.store.models import StoreUnavailable
from bot.store.transactions import UNAVAILABLE
from bot.trackers.errors import Unavailable
from handlers.replies import guarded


async def _answer_to(error: BaseException) -> str:
    said: list[dict[str, Any]] = []

    async def reply(**answer: Any) -> None:
        said.append(answer)

    async def work() -> None:
        raise error

    await guarded(reply, work(), what="test")
    [answer] = said
    assert answer["replace_original"] is True
    return answer["text"]


async def test_a_tracker_outage_is_its_own_sentence() -> None:
    assert (
        await _answer_to(Unavailable("Issuetrak"))
        == "Issuetrak is not answering right now; try again in a few minutes."
    )


async def test_a_database_outage_is_its_own_sentence() -> None:
    assert await _answer_to(StoreUnavailable(UNAVAILABLE)) == UNAVAILABLE


async def test_anything_else_is_an_apology_with_the_details_in_the_log(caplog) -> None:
    assert await _answer_to(KeyError("secret-detail")) == messages.UNEXPECTED
    assert "secret-detail" in caplog.text  # in the log for the team, not in Slack


async def test_work_that_timed_out_says_so() -> None:
    assert await _answer_to(TimeoutError()) == messages.TOOK_TOO_LONG


async def test_work_cancelled_under_it_still_answers_and_the_listener_goes_on() -> None:
    # e.g. a shared load cancelled by someone else: this task was not cancelled itself
    assert await _answer_to(asyncio.CancelledError()) == messages.INTERRUPTED
