"""The notification part of the store on SQLite and PostgreSQL: the first sightings of a round,
recorded together."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Store
from bot.store.notify import ROWS_PER_STATEMENT

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


async def test_first_sightings_are_recorded_in_one_call_and_keep_what_another_process_recorded(
    store_pair: tuple[Store, Store],
) -> None:
    one, two = store_pair
    assert await two.advance_notify(7, None, {"status": "Closed"}, [], NOW)  # another process saw issue 7 first
    count = 2 * ROWS_PER_STATEMENT + 5  # more rows than one statement takes
    seen = {number: {"status": "Open", "n": number} for number in range(1, count + 1)}
    assert await one.first_notify_sightings(seen) == count - 1
    assert await two.first_notify_sightings(seen) == 0  # once, whoever asks again
    marks = await two.notify_watermarks()
    assert len(marks) == count and marks[7] == ({"status": "Closed"}, 0)
    assert marks[count] == ({"status": "Open", "n": count}, 0)
    assert not await one.advance_notify(8, None, {"status": "Open"}, [], NOW)  # its version is 0 now
    assert await one.first_notify_sightings({}) == 0
