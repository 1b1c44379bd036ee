"""Reading tracker answers: the one date parser every client uses, and answers of an unexpected
shape (over real HTTP, from the contract servers) becoming the typed `Unavailable`, never a crash,
and never logging the values they carried."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.trackers import aip, issuetrak, kitsu, projectrak
from bot.trackers.aip import AipClient
from bot.trackers.dto import parse_date, parse_datetime
from bot.trackers.errors import Unavailable
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.kitsu import KitsuClient
from tests.fixtures.aip import AipServer
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.kitsu import KitsuServer

ZONES = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


def _spellings(moment: datetime) -> list[str]:
    """The ways the four trackers write one moment: ISO with 'T' or a space, the zone as
    +HH:MM, as +HHMM (Projectrak's `expired`), or as Z when it is UTC."""
    text = moment.isoformat()
    zone = text[-6:]
    spellings = [text, text.replace("T", " "), text[:-6] + zone.replace(":", "")]
    if moment.utcoffset() == timedelta(0):
        spellings.append(text[:-6] + "Z")
    return spellings


@given(MOMENTS)
def test_every_spelling_of_a_moment_reads_as_that_moment(moment: datetime) -> None:
    for text in _spellings(moment):
        assert parse_datetime(text) == moment, text


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31)))
def test_a_moment_without_a_zone_is_utc(moment: datetime) -> None:
    read = parse_datetime(moment.isoformat())
    assert read is not None and read.tzinfo is not None and read == moment.replace(tzinfo=UTC)


@given(JUNK)
def test_anything_else_reads_as_no_date_and_never_raises(value: Any) -> None:
    moment = parse_datetime(value)
    day = parse_date(value)
    assert moment is None or moment.tzinfo is not None
    assert day is None or isinstance(day, date)


@given(st.dates(min_value=date(1900, 1, 1)), st.sampled_from(["", "T00:00:00", "T23:59:59.1234567Z", " 10:00"]))
def test_a_day_reads_from_a_date_or_the_start_of_a_datetime(day: date, suffix: str) -> None:
    assert parse_date(day.isoformat() + suffix) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-02-18T02:22:15.121+0000", datetime(2022, 2, 18, 2, 22, 15, 121000, tzinfo=UTC)),  # Projectrak
        ("2014-09-10T17:28:08.3227351Z", datetime(2014, 9, 10, 17, 28, 8, 322735, tzinfo=UTC)),  # Issuetrak
        ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),  # Zou: UTC without saying so
        ("2026-03-01T10:00:00.000Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),  # AIP
        ("  2026-03-01  ", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-02-30T10:00:00", None),
        ("yesterday", None),
    ],
)
def test_each_trackers_own_format(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_one_parser_serves_every_client() -> None:
    """No client keeps a date reader of its own: they all read through bot/trackers/dto.py."""
    assert issuetrak.parse_datetime is parse_datetime
    for module in (aip, issuetrak, kitsu, projectrak):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "fromisoformat" not in source and "strptime" not in source, module.__name__


# --- answers of an unexpected shape, over HTTP ----------------------------------------------


async def test_a_kitsu_person_without_an_id_is_unavailable_and_not_logged(
    kitsu_server: KitsuServer, kitsu_client: KitsuClient, caplog: pytest.LogCaptureFixture
) -> None:
    kitsu_server.state.data["persons"].append(
        {"first_name": "No", "last_name": "Id", "email": "no.id@studio.example", "active": True}
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(Unavailable, match="Kitsu is not answering right now"):
        await kitsu_client.persons()
    assert "Kitsu answered with an unexpected shape" in caplog.text
    assert "no.id@studio.example" not in caplog.text


async def test_a_kitsu_production_whose_fields_are_not_text_still_reads(
    kitsu_server: KitsuServer, kitsu_client: KitsuClient
) -> None:
    """An odd optional field reads as missing: the production shows by its id, not a crash."""
    production = kitsu_server.state.data["projects"][0]
    production.update(name=42, code=["x"], start_date=7)
    listed = {project.id: project for project in await kitsu_client.list_projects()}
    odd = listed[production["id"]]
    assert (odd.name, odd.key, odd.open_date) == (production["id"], None, None)
    assert production["id"] not in {p.id for p in await kitsu_client.find_projects("42")}


async def test_an_issuetrak_issue_with_an_odd_optional_field_still_reads(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    number = min(issuetrak_server.state.issues)
    issuetrak_server.state.issues[number].update(Status=5, Subject=["not", "text"], TargetDate="soon")
    issue = await issuetrak_client.get_issue(number)
    assert (issue.number, issue.status, issue.subject, issue.target_date) == (number, None, "", None)


async def test_an_issuetrak_issue_without_a_readable_number_is_unavailable_and_not_logged(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient, caplog: pytest.LogCaptureFixture
) -> None:
    number = min(issuetrak_server.state.issues)
    issuetrak_server.state.issues[number]["IssueNumber"] = "not a number"
    with caplog.at_level(logging.WARNING), pytest.raises(Unavailable):
        await issuetrak_client.get_issue(number)
    assert "IssueDTO" in caplog.text and "not a number" not in caplog.text


async def test_an_aip_date_without_a_zone_reads_as_utc(aip_server: AipServer, aip_client: AipClient) -> None:
    row = next(row for row in aip_server.state.assets if row["asset"]["key"] == "LAPTOP-0042")
    row["createdAt"] = "2026-03-01T09:15:00.000"
    row["asset"]["name"] = {"displayName": "MacBook Pro 14 (Alice)"}
    asset = await aip_client.get_asset("LAPTOP-0042")
    assert asset.created_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert asset.name == "MacBook Pro 14 (Alice)"


async def test_a_kitsu_asset_created_at_reads_as_utc(kitsu_server: KitsuServer, kitsu_client: KitsuClient) -> None:
    """Zou stores UTC and writes it without a zone; the card reads an aware moment."""
    row = kitsu_server.state.data["assets"][0]
    row["created_at"] = "2026-03-01T09:15:00"
    [found] = [asset for asset in await kitsu_client.find_assets(row["name"]) if asset.id == row["id"]]
    assert found.created_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
