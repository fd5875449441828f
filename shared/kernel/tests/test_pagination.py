"""Opaque cursors: they round-trip, and a forged one is a client error."""

import pytest

from shared.pagination import cursor_counter, cursor_time, decode_cursor, encode_cursor
from shared.problems import BadRequest


def test_a_cursor_round_trips_its_position() -> None:
    position = {"t": "2026-11-25T12:00:00+00:00", "id": "abc"}
    cursor = encode_cursor(position)
    assert "=" not in cursor
    assert decode_cursor(cursor) == position


@pytest.mark.parametrize("forged", ["%%%", "bm90IGpzb24", "WzEsMl0", "", "////"])
def test_a_forged_cursor_is_a_bad_request(forged: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(forged)


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-14:00",  # past datetime.max once in UTC
        "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
        "2026-11-25T12:00:00",  # no time zone
        "yesterday",
        "9" * 500,
    ],
)
def test_a_cursor_time_mongodb_cannot_store_is_a_bad_request(moment: str) -> None:
    with pytest.raises(BadRequest):
        cursor_time({"t": moment}, "t")


def test_a_cursor_time_is_read_as_utc() -> None:
    moment = cursor_time({"t": "2026-11-25T13:00:00+01:00"}, "t")
    assert moment.isoformat() == "2026-11-25T12:00:00+00:00"


@pytest.mark.parametrize("value", [-1, 2**63, 10**30, True, "7", 1.5, None])
def test_a_cursor_counter_outside_64_bits_is_a_bad_request(value: object) -> None:
    with pytest.raises(BadRequest):
        cursor_counter({"seq": value}, "seq")
