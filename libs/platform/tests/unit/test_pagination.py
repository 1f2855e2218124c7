"""Cursors, the page parameters of list routes, and keyset pages over a real (SQLite) table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from coulisse.platform.api import PageQuery, page_params
from coulisse.platform.errors import install_problem_handlers
from coulisse.platform.keyset import Key, Keyset
from coulisse.platform.pagination import (
    MAX_LIMIT,
    InvalidCursor,
    Page,
    PageParams,
    cursor_value,
    decode_cursor,
    encode_cursor,
)


def test_a_cursor_is_unpadded_urlsafe_base64_of_compact_json() -> None:
    # The format clients already hold: it must keep decoding.
    assert encode_cursor({"after": "C000001"}) == "eyJhZnRlciI6IkMwMDAwMDEifQ"
    assert decode_cursor("eyJhZnRlciI6IkMwMDAwMDEifQ") == {"after": "C000001"}
    assert decode_cursor(None) is None


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WzEsMl0", "", "eyJh"])
def test_a_cursor_not_handed_out_is_a_422_on_the_cursor_field(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 422
    assert raised.value.field == "query.cursor"
    assert raised.value.detail == "the cursor is not one this API returned"


def test_a_cursor_value_that_is_missing_or_unreadable_is_invalid() -> None:
    assert cursor_value({"p": "12"}, "p", int) == 12
    with pytest.raises(InvalidCursor):
        cursor_value({}, "p", int)
    with pytest.raises(InvalidCursor):
        cursor_value({"p": "twelve"}, "p", int)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things")
    async def things(page: PageQuery) -> dict[str, Any]:
        return {"limit": page.limit, "cursor": page.cursor}

    @app.get("/lines")
    async def lines(
        page: Annotated[PageParams, Depends(page_params(default_limit=MAX_LIMIT))],
    ) -> dict[str, Any]:
        return {"limit": page.limit}

    return app


async def _get(app: FastAPI, url: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(url)


async def test_page_parameters_have_defaults_and_bounds() -> None:
    app = _app()
    assert (await _get(app, "/things")).json() == {"limit": 50, "cursor": None}
    assert (await _get(app, "/things?limit=7&cursor=abc")).json() == {"limit": 7, "cursor": "abc"}
    assert (await _get(app, "/lines")).json() == {"limit": MAX_LIMIT}
    for bad in ("limit=0", f"limit={MAX_LIMIT + 1}", "cursor=" + "a" * 501):
        response = await _get(app, f"/things?{bad}")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"].startswith("query.")


def test_page_parameters_appear_in_the_openapi_document_as_query_parameters() -> None:
    parameters = _app().openapi()["paths"]["/things"]["get"]["parameters"]
    limit, cursor = parameters
    assert limit["name"] == "limit" and limit["in"] == "query"
    assert limit["schema"] == {
        "type": "integer",
        "maximum": MAX_LIMIT,
        "minimum": 1,
        "description": "page size",
        "default": 50,
        "title": "Limit",
    }
    assert cursor["name"] == "cursor" and cursor["in"] == "query"


def test_a_page_serializes_items_and_next_cursor() -> None:
    assert Page[int](items=[1, 2], next_cursor=None).model_dump() == {
        "items": [1, 2],
        "next_cursor": None,
    }


metadata = sa.MetaData()
things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("rank", sa.Integer(), nullable=False),
)
NEWEST = Keyset(
    Key("created_at", things.c.created_at, datetime), Key("id", things.c.id, UUID), descending=True
)
BY_DAY = Keyset(Key("d", things.c.day, date), Key("n", things.c.rank, int))


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        # Ties on the first key, so that the second one has to break them.
        await conn.execute(
            sa.insert(things),
            [
                {
                    "id": uuid4(),
                    "created_at": start + timedelta(minutes=i // 3),
                    "day": date(2026, 1, 1) + timedelta(days=i // 4),
                    "rank": i % 4,
                }
                for i in range(23)
            ],
        )
    yield engine
    await engine.dispose()


async def _walk(engine: AsyncEngine, keyset: Keyset, limit: int) -> list[Any]:
    seen: list[Any] = []
    cursor: str | None = None
    async with engine.connect() as conn:
        while True:
            query = keyset.apply(sa.select(things), PageParams(limit, cursor))
            rows = (await conn.execute(query)).mappings().all()
            page = rows[:limit]
            seen.extend(page)
            cursor = keyset.next_cursor(page, len(rows) > limit)
            if cursor is None:
                return seen


@pytest.mark.parametrize("limit", [1, 4, 5, 23, 50])
async def test_keyset_pages_visit_every_row_once_in_order(engine: AsyncEngine, limit: int) -> None:
    async with engine.connect() as conn:
        newest = (await conn.execute(sa.select(things).order_by(*NEWEST.order_by()))).all()
    walked = await _walk(engine, NEWEST, limit)
    assert [row["id"] for row in walked] == [row.id for row in newest]
    by_day = await _walk(engine, BY_DAY, limit)
    assert [(row["day"], row["rank"]) for row in by_day] == sorted(
        (row.day, row.rank) for row in newest
    )


def test_a_cursor_is_read_from_an_object_and_carries_extra_values() -> None:
    class Item:
        day = date(2026, 3, 1)
        rank = 2

    cursor = BY_DAY.cursor_of(Item(), r="10.50")
    assert decode_cursor(cursor) == {"d": "2026-03-01", "n": 2, "r": "10.50"}
    assert BY_DAY.position(cursor) == {"d": date(2026, 3, 1), "n": 2, "r": "10.50"}
    assert BY_DAY.next_cursor([Item()], more=False) is None


def test_a_cursor_missing_a_key_or_with_a_bad_value_is_invalid() -> None:
    with pytest.raises(InvalidCursor):
        BY_DAY.position(encode_cursor({"d": "2026-03-01"}))
    with pytest.raises(InvalidCursor):
        BY_DAY.position(encode_cursor({"d": "March", "n": 1}))
    with pytest.raises(InvalidCursor):
        NEWEST.position(encode_cursor({"created_at": "2026-01-01T00:00:00+00:00", "id": "x"}))
