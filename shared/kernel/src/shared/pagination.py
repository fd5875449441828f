"""Cursor pagination: one opaque cursor format and one page shape for every list."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from shared.problems import BadRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
PageCursor = Annotated[str | None, Query(max_length=512)]
MAX_CURSOR_TEXT = 200


class Page[T](BaseModel):
    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class InvalidCursor(BadRequest):
    def __init__(self) -> None:
        super().__init__("The cursor is not valid.")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position a cursor names; a cursor the client made up is a 400, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(position, dict):
        raise InvalidCursor()
    return position


def cursor_text(position: dict[str, Any], key: str) -> str:
    value = position.get(key)
    if not isinstance(value, str) or len(value) > MAX_CURSOR_TEXT:
        raise InvalidCursor()
    return value


def cursor_time(position: dict[str, Any], key: str) -> datetime:
    """A UTC time that MongoDB can store; a forged one (no zone, out of range) is a 400."""
    try:
        moment = datetime.fromisoformat(cursor_text(position, key))
        if moment.tzinfo is None:
            raise InvalidCursor()
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidCursor() from exc


def cursor_counter(position: dict[str, Any], key: str) -> int:
    """A non-negative integer that fits MongoDB's 64-bit integers."""
    value = position.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise InvalidCursor()
    return value


def time_and_id_cursor(moment: datetime, document_id: str) -> str:
    """The cursor of a list ordered by (time, id): likers, replies, mutes."""
    return encode_cursor({"at": moment.isoformat(), "id": document_id})


def time_and_id_position(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    return cursor_time(position, "at"), cursor_text(position, "id")
