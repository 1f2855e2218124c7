"""Pages of every list route: an opaque cursor, a bounded page size, `Page[T]`.

A cursor is the URL-safe base64 (unpadded) of a small JSON object naming the last row of the
previous page. Clients treat it as opaque; the server resumes strictly after that row (see
`coulisse.platform.keyset`), so pages do not shift while rows are added.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coulisse.platform.domain import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 500


class InvalidCursor(InvalidInput):
    """A 422 naming the `cursor` parameter: the cursor was not handed out by this API."""

    def __init__(self) -> None:
        super().__init__("the cursor is not one this API returned", field="query.cursor")


def encode_cursor(position: Mapping[str, Any]) -> str:
    text = json.dumps(dict(position), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidCursor() from exc
    if not isinstance(value, dict):
        raise InvalidCursor()
    return value


def cursor_value(position: Mapping[str, Any], key: str, parse: Callable[[Any], T]) -> T:
    """One value of a decoded cursor; anything missing or unreadable is an invalid cursor."""
    try:
        return parse(position[key])
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidCursor() from exc


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class PageParams:
    """What a list route was asked for: at most `limit` items, after `cursor`."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
