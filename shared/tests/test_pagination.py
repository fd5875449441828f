"""Opaque cursors: they round-trip, and a forged one is a client error."""

import pytest

from shared.pagination import decode_cursor, encode_cursor
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
