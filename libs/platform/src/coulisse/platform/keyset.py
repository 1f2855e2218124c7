"""Keyset pagination in SQL: order by keys that identify a row, resume strictly after the cursor.

Unlike OFFSET, a page after a cursor neither repeats nor skips rows when rows are inserted
meanwhile, and costs an index seek however deep the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.sql.elements import KeyedColumnElement

from coulisse.platform.pagination import PageParams, cursor_value, decode_cursor, encode_cursor


def finite_decimal(value: Any) -> Decimal:
    parsed = Decimal(str(value))
    if not parsed.is_finite():
        raise ValueError("not a finite decimal")
    return parsed


# How a key's value is read from the cursor's JSON, by the key's Python type.
PARSERS: dict[type, Callable[[Any], Any]] = {
    str: str,
    int: lambda v: int(str(v)),
    UUID: lambda v: UUID(str(v)),
    date: lambda v: date.fromisoformat(str(v)),
    datetime: lambda v: datetime.fromisoformat(str(v)),
    Decimal: finite_decimal,
}


def _dump(value: Any) -> Any:
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    if isinstance(value, int | str):
        return value
    return str(value)  # UUID, Decimal


@dataclass(frozen=True)
class Key:
    """A sort key: `name` in the cursor, the `column` (of a table or a subquery), the Python
    `kind` of its values.

    The cursor's value is read from the last item of a page by the column's name (a mapping key
    or an attribute of a domain object).
    """

    name: str
    column: KeyedColumnElement[Any]
    kind: type


class Keyset:
    """An order on keys that together identify a row, all ascending or all descending."""

    def __init__(self, *keys: Key, descending: bool = False) -> None:
        if not keys:
            raise ValueError("a keyset needs at least one key")
        for key in keys:
            if key.kind not in PARSERS:
                raise ValueError(f"no cursor format for {key.kind.__name__}")
        self.keys = keys
        self.descending = descending

    def order_by(self) -> list[sa.ColumnElement[Any]]:
        return [key.column.desc() if self.descending else key.column for key in self.keys]

    def position(self, cursor: str | None) -> dict[str, Any] | None:
        """The decoded cursor, its keys parsed (other entries left as they are)."""
        position = decode_cursor(cursor)
        if position is None:
            return None
        for key in self.keys:
            position[key.name] = cursor_value(position, key.name, PARSERS[key.kind])
        return position

    def after(self, position: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        """Rows strictly after `position` in this order: (a, b) > (x, y) spelled with OR/AND."""
        values = [position[key.name] for key in self.keys]
        condition: sa.ColumnElement[bool] | None = None
        for key, value in reversed(list(zip(self.keys, values, strict=True))):
            beyond = key.column < value if self.descending else key.column > value
            condition = (
                beyond
                if condition is None
                else sa.or_(beyond, sa.and_(key.column == value, condition))
            )
        assert condition is not None
        return condition

    def apply(self, query: sa.Select[Any], page: PageParams) -> sa.Select[Any]:
        """The query ordered, resumed after the cursor, one row longer than the page (to tell
        whether another page follows)."""
        position = self.position(page.cursor)
        if position is not None:
            query = query.where(self.after(position))
        return query.order_by(*self.order_by()).limit(page.limit + 1)

    def cursor_of(self, item: Any, **extra: Any) -> str:
        """The cursor resuming after `item` (a row, a mapping or a domain object)."""
        position: dict[str, Any] = {}
        for key in self.keys:
            attribute = key.column.key
            value = item[attribute] if isinstance(item, Mapping) else getattr(item, attribute)
            position[key.name] = _dump(value)
        position.update(extra)
        return encode_cursor(position)

    def next_cursor(self, items: Sequence[Any], more: bool, **extra: Any) -> str | None:
        """The cursor of the page after `items`, None when it is the last page."""
        if not more or not items:
            return None
        return self.cursor_of(items[-1], **extra)
