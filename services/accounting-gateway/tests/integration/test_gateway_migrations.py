"""Migration 0002 on PostgreSQL: posted rows and the immutability triggers come through it whole."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import DBAPIError

from coulisse.accounting_gateway.adapters.tables import (
    journal_entries,
    journal_lines,
    line_matches,
)
from coulisse.accounting_gateway.bootstrap import definition
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform.db import create_engine
from coulisse.platform.migrations import alembic_config, upgrade

pytestmark = pytest.mark.integration

WIDENED = {
    ("journal_entries", "piece_ref"),
    ("journal_entries", "label"),
    ("journal_entries", "source_event_type"),
    ("journal_entries", "actor"),
    ("journal_lines", "account_label"),
    ("journal_lines", "label"),
    ("line_matches", "match_key"),
    ("periods", "closed_by"),
    ("suspense", "source_event_type"),
    ("suspense", "resolved_by"),
    ("auxiliary_accounts", "label"),
}
TRIGGERS = {
    f"{table}_{kind}"
    for table in ("journal_entries", "journal_lines", "line_matches")
    for kind in ("immutable", "no_truncate")
}


def entry_rows(number: int, *, piece_ref: str, label: str, actor: str) -> list[tuple[Any, Any]]:
    entry_id = uuid4()
    lines = [uuid4(), uuid4()]
    return [
        (
            journal_entries,
            {
                "id": entry_id,
                "journal_code": "OD",
                "fiscal_year": 2026,
                "sequence": number,
                "entry_number": f"OD-2026-{number:06d}",
                "entry_date": date(2026, 3, 2),
                "piece_ref": piece_ref,
                "piece_date": date(2026, 3, 2),
                "label": label,
                "actor": actor,
                "manual": True,
                "posted_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
            },
        ),
        *(
            (
                journal_lines,
                {
                    "id": line_id,
                    "entry_id": entry_id,
                    "line_no": no,
                    "account": account,
                    "account_label": account,
                    "label": label,
                    "debit": Decimal("10.00") if no == 1 else Decimal("0.00"),
                    "credit": Decimal("10.00") if no == 2 else Decimal("0.00"),
                },
            )
            for no, (line_id, account) in enumerate(zip(lines, ("512", "758"), strict=True), 1)
        ),
        (line_matches, {"line_id": lines[0], "match_key": f"key-{number}-" + "k" * 100}),
    ]


async def insert(engine: Any, rows: list[tuple[Any, Any]]) -> None:
    async with engine.begin() as connection:
        for table, values in rows:
            await connection.execute(sa.insert(table).values(**values))


async def test_0002_widens_the_texts_and_keeps_rows_and_triggers(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database()
    await asyncio.to_thread(upgrade, definition.alembic_ini, url, "0001")
    engine = create_engine(url)
    try:
        # Posted under 0001: at the old widths (the key fits 64 there).
        rows = entry_rows(1, piece_ref="P" * 100, label="L" * 300, actor="a" * 200)
        rows[-1][1]["match_key"] = "k" * 64
        await insert(engine, rows)

        await asyncio.to_thread(upgrade, definition.alembic_ini, url)

        async with engine.connect() as connection:
            types = {
                (table, column): kind
                for table, column, kind in await connection.execute(
                    sa.text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = current_schema()"
                    )
                )
            }
            triggers = set(
                (
                    await connection.execute(
                        sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
                    )
                ).scalars()
            )
            kept = (await connection.execute(sa.select(journal_entries))).one()
        assert {key: types[key] for key in WIDENED} == dict.fromkeys(WIDENED, "text")
        assert triggers >= TRIGGERS
        assert (kept.piece_ref, kept.label, kept.actor) == ("P" * 100, "L" * 300, "a" * 200)

        long = entry_rows(2, piece_ref="P" * 1000, label="L" * 5000, actor="a" * 1000)
        await insert(engine, long)
        async with engine.connect() as connection:
            lengths = (
                await connection.execute(
                    sa.select(
                        sa.func.length(journal_entries.c.piece_ref),
                        sa.func.length(journal_entries.c.label),
                        sa.func.length(journal_entries.c.actor),
                    ).where(journal_entries.c.sequence == 2)
                )
            ).one()
        assert tuple(lengths) == (1000, 5000, 1000)

        # The triggers of 0001 still refuse any change of what is posted.
        for statement in (
            "UPDATE journal_entries SET label = 'x'",
            "UPDATE journal_lines SET label = 'x'",
            "UPDATE line_matches SET match_key = 'x'",
            "DELETE FROM journal_entries",
            "TRUNCATE journal_lines CASCADE",
        ):
            async with engine.begin() as connection:
                with pytest.raises(DBAPIError, match="immutable"):
                    await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()

    # Going back to 0001 would cut what is kept: PostgreSQL refuses it instead.
    config = alembic_config(definition.alembic_ini, url)
    with pytest.raises(DBAPIError, match="too long"):
        await asyncio.to_thread(command.downgrade, config, "0001")
