"""Time-of-day and time-zone input is checked once (bot.times): the `/tracker digest daily` parser
and the store refuse the same bad input with the same sentence; people may write a time several
ways, the store keeps it one way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest

from bot.slack.command_parser import DigestDaily, Help, parse
from bot.store import Store

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("at", "zone"), [("25:00", "UTC"), ("12:60", "UTC"), ("09:00", "Mars/Olympus_Mons")])
async def test_the_parser_and_the_store_refuse_the_same_input_with_the_same_sentence(
    store: Store, at: str, zone: str
) -> None:
    said = parse(f"digest daily {at} {zone}")
    assert isinstance(said, Help) and said.reason
    with pytest.raises(ValueError, match="like") as refused:
        await store.subscribe("T1", "C1", at, zone, [], "U1", NOW)
    assert str(refused.value) == said.reason
    assert await store.subscription("T1", "C1") is None


@pytest.mark.parametrize("written", ["7:30", "07:30", "7h30", "07.30"])
async def test_people_write_a_time_several_ways_and_the_store_keeps_it_one_way(store: Store, written: str) -> None:
    said = parse(f"digest daily {written} UTC")
    assert said == DigestDaily(time(7, 30), "UTC", None)
    if written != "07:30":
        with pytest.raises(
            ValueError, match=re.escape(f"'{written}' is not written HH:MM on a 24-hour clock, like 09:00.")
        ):
            await store.subscribe("T1", "C1", written, "UTC", [], "U1", NOW)
    sub = await store.subscribe("T1", "C1", said.at.strftime("%H:%M"), "UTC", [], "U1", NOW)
    assert sub.time == "07:30"


async def test_a_time_that_is_no_clock_gets_the_commands_usage(store: Store) -> None:
    assert parse("digest daily 9am") == Help(
        "Give a time as HH:MM, for example `/tracker digest daily 09:00 Europe/Paris`.", everything=False
    )
    with pytest.raises(
        ValueError, match=re.escape("'9am' is not a time of day; write it as HH:MM on a 24-hour clock, like 09:00.")
    ):
        await store.subscribe("T1", "C1", "9am", "UTC", [], "U1", NOW)


@pytest.mark.parametrize(
    ("typed", "zone"), [("europe/paris", "Europe/Paris"), ("AMERICA/NEW_YORK", "America/New_York")]
)
async def test_a_time_zone_is_read_in_any_case_and_kept_as_the_zone_database_spells_it(
    store: Store, typed: str, zone: str
) -> None:
    assert parse(f"digest daily 09:00 {typed} web") == DigestDaily(time(9, 0), zone, "web")
    sub = await store.subscribe("T1", "C1", "09:00", typed, [], "U1", NOW)
    assert sub.timezone == zone


@pytest.mark.parametrize(("typed", "instead"), [("EST", "America/New_York"), ("cet", "Europe/Paris")])
async def test_a_zone_abbreviation_is_answered_as_a_zone_problem_not_as_a_scope(
    store: Store, typed: str, instead: str
) -> None:
    said = parse(f"digest daily 09:00 {typed}")
    assert isinstance(said, Help) and said.reason
    assert "not a time zone name" in said.reason and instead in said.reason and "tracker or project" not in said.reason
    with pytest.raises(ValueError, match="not a time zone name") as refused:
        await store.subscribe("T1", "C1", "09:00", typed, [], "U1", NOW)
    assert str(refused.value) == said.reason
