"""Pages of a report's per-customer rows, computed in memory: the same cursor format as every
list (`coulisse.platform.pagination`), naming the last row's account number and customer id,
and the next page starts strictly after it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from coulisse.platform.pagination import (
    Page,
    PageParams,
    cursor_value,
    decode_cursor,
    encode_cursor,
)

T = TypeVar("T")
RowKey = tuple[str, str]


def page_of(rows: Sequence[T], key: Callable[[T], RowKey], page: PageParams) -> Page[T]:
    """`rows`, sorted by `key`, from just after the cursor's row; at most `page.limit`."""
    position = decode_cursor(page.cursor)
    found = list(rows)
    if position is not None:
        after = (cursor_value(position, "account", str), cursor_value(position, "customer", str))
        found = [row for row in found if key(row) > after]
    items = found[: page.limit]
    next_cursor = None
    if len(found) > page.limit and items:
        account, customer = key(items[-1])
        next_cursor = encode_cursor({"account": account, "customer": customer})
    return Page[T](items=items, next_cursor=next_cursor)
