"""Signed modal `private_metadata`: what we signed comes back; anything forged, altered, signed
with another key, stale or malformed comes back as None, never as an exception."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.metadata import MAX_AGE_SECONDS, MAX_LENGTH, MetadataSigner

ORIGIN = {"team": "T1", "user": "U1", "channel": "C1", "ts": "1700000000.000100", "thread_ts": "1700000000.000100"}


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(clock: Clock) -> MetadataSigner:
    return MetadataSigner(b"k" * 32, clock=clock)


def test_round_trip(signer: MetadataSigner) -> None:
    signed = signer.sign(ORIGIN)
    assert len(signed) <= MAX_LENGTH and signed.isascii()
    assert signer.verify(signed) == ORIGIN


def test_another_key_is_refused(signer: MetadataSigner, clock: Clock) -> None:
    assert MetadataSigner(b"x" * 32, clock=clock).verify(signer.sign(ORIGIN)) is None


def _reforged(signed: str, **changes: object) -> str:
    """The same metadata with its data changed and the old signature kept."""
    payload, mac = signed.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload))
    data.update(changes)
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode() + "." + mac


def test_altered_data_is_refused(signer: MetadataSigner) -> None:
    signed = signer.sign(ORIGIN)
    assert signer.verify(_reforged(signed, user="U2")) is None
    assert signer.verify(_reforged(signed, _at=0)) is None
    assert signer.verify(signed[:-4] + "AAAA") is None


def test_stale_and_future_metadata_is_refused(signer: MetadataSigner, clock: Clock) -> None:
    signed = signer.sign(ORIGIN)
    clock.now += MAX_AGE_SECONDS - 1
    assert signer.verify(signed) == ORIGIN
    clock.now += 2
    assert signer.verify(signed) is None
    clock.now -= MAX_AGE_SECONDS + 3600  # signed an hour "from now": another clock, or forged
    assert signer.verify(signed) is None


def test_unsigned_copies_of_the_data_are_refused(signer: MetadataSigner) -> None:
    plain = base64.urlsafe_b64encode(json.dumps(ORIGIN).encode()).decode()
    assert signer.verify(plain) is None
    assert signer.verify(json.dumps(ORIGIN)) is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        ".",
        "..",
        "a.b.c",
        "é.é",
        "\x00.\x00",
        "x" * (MAX_LENGTH + 1),
        42,
        {"user": "U1"},
        ["a.b"],
        True,
    ],
)
def test_malformed_metadata_is_none(signer: MetadataSigner, value: object) -> None:
    assert signer.verify(value) is None


def test_signing_refuses_too_much_and_its_own_key(signer: MetadataSigner) -> None:
    with pytest.raises(ValueError, match="too long"):
        signer.sign({"text": "x" * MAX_LENGTH})
    with pytest.raises(ValueError, match="the signer's own key"):
        signer.sign({"_at": 1})


@settings(max_examples=300, deadline=None)
@given(value=st.text() | st.binary().map(lambda b: base64.urlsafe_b64encode(b).decode() + ".AAAA"))
def test_verify_never_raises(value: str) -> None:
    signer = MetadataSigner(b"k" * 32)
    assert signer.verify(value) is None


@settings(max_examples=100, deadline=None)
@given(
    data=st.dictionaries(
        st.text(max_size=10).filter(lambda k: k != "_at"), st.text(max_size=40) | st.integers(), max_size=8
    )
)
def test_any_data_round_trips(data: dict[str, object]) -> None:
    signer = MetadataSigner(b"k" * 32)
    assert signer.verify(signer.sign(data)) == data
