"""Reading tracker answers: the one date parser, the base of every answer model (DTO), and the
check that turns an answer of an unexpected shape into the typed `Unavailable`.

Each client declares the answers it reads as `Dto` models whose aliases are the tracker's own
field names; the client turns them into the normalized models of `models.py`. A field that may
be missing or odd is `Loose`: a value of the wrong type reads as missing (as a hand-written
`isinstance` check would), so only the fields a client cannot do without fail an answer.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated, Any, NoReturn, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from bot.trackers.errors import Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def parse_datetime(value: object) -> datetime | None:
    """A tracker's date and time as an aware datetime; None when missing or unreadable.

    Reads ISO 8601 as the trackers send it: 'T' or a space between date and time, any number of
    fractional digits (Issuetrak sends 7; 6 are kept), a zone as 'Z', '+00:00' or '+0000'
    (Projectrak), or none: a value without a zone is taken as UTC (Zou and Issuetrak store UTC
    and do not say so). A date alone is its midnight, UTC.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            log.debug("a tracker sent an unreadable date: %r", value[:40])
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_date(value: object) -> date | None:
    """A tracker's date (or the day of its datetime, as the tracker wrote it); None when missing
    or unreadable. Only the first ten characters count: "2026-03-01T00:00:00" is 2026-03-01."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        log.debug("a tracker sent an unreadable date: %r", value[:40])
        return None


def _or_missing(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


# A field read when it has the expected type, and as missing (None) otherwise.
Loose = Annotated[T | None, WrapValidator(_or_missing)]
# Dates and times of an answer, read by the one parser: missing or unreadable is None.
Moment = Annotated[datetime | None, BeforeValidator(parse_datetime)]
Day = Annotated[date | None, BeforeValidator(parse_date)]


class Dto(BaseModel):
    """Base of a tracker's answer model: fields by the tracker's names (aliases), others ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


def parse(tracker: str, model: type[M], answer: object) -> M:
    """`answer` read as `model`; an answer of another shape is the tracker being `Unavailable`.
    Only the error count and the first place are logged, never the values (they may be personal)."""
    try:
        return model.model_validate(answer)
    except ValidationError as exc:
        _unexpected(tracker, model.__name__, exc)


def parse_rows(tracker: str, model: type[M], answer: object) -> list[M]:
    """A list answer read as rows of `model`; items that are not objects are skipped."""
    if not isinstance(answer, list):
        log.warning("%s answered with %s where a list was expected", tracker, type(answer).__name__)
        raise Unavailable(tracker)
    return [parse(tracker, model, item) for item in answer if isinstance(item, dict)]


def _unexpected(tracker: str, what: str, exc: ValidationError) -> NoReturn:
    first = exc.errors(include_url=False, include_input=False)[0]
    place = ".".join(str(part) for part in first["loc"])
    log.warning(
        "%s answered with an unexpected shape: %s (%d problem(s), first at %r: %s)",
        tracker,
        what,
        exc.error_count(),
        place,
        first["type"],
    )
    raise Unavailable(tracker) from None
