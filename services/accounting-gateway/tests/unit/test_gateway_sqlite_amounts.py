"""SQLite books written before amounts were kept in cents are converted once (migration 0003)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa

from coulisse.accounting_gateway.adapters.tables import journal_entries, journal_lines
from coulisse.accounting_gateway.bootstrap import definition
from coulisse.platform.db import create_engine
from coulisse.platform.migrations import upgrade


async def test_amounts_posted_as_floats_are_read_back_exactly_after_the_upgrade(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'books.sqlite'}"
    await asyncio.to_thread(upgrade, definition.alembic_ini, url, "0002")
    engine = create_engine(url)
    try:
        entry_id = uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO journal_entries (id, journal_code, fiscal_year, sequence, "
                    "entry_number, entry_date, piece_ref, piece_date, label, actor, manual, "
                    "posted_at) VALUES (:id, 'VT', 2026, 1, 'VT-2026-000001', '2026-03-02', "
                    "'F1', '2026-03-02', 'Facture', 'web-shop', 0, :at)"
                ),
                {"id": entry_id.hex, "at": datetime(2026, 3, 2, tzinfo=UTC).isoformat()},
            )
            # What the former NUMERIC column stored: binary floats (or integers when whole).
            for no, (debit, credit) in enumerate(
                [(0.3, 0.0), (9999999999999.99, 0.0), (0.0, 120.0)], start=1
            ):
                await conn.execute(
                    sa.text(
                        "INSERT INTO journal_lines (id, entry_id, line_no, account, "
                        "account_label, label, debit, credit) VALUES (:id, :entry, :no, "
                        "'411000', 'Clients', 'Facture', :debit, :credit)"
                    ),
                    {
                        "id": uuid4().hex,
                        "entry": entry_id.hex,
                        "no": no,
                        "debit": debit,
                        "credit": credit,
                    },
                )
        await asyncio.to_thread(upgrade, definition.alembic_ini, url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(journal_lines.c.debit, journal_lines.c.credit)
                    .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
                    .where(journal_entries.c.entry_date == date(2026, 3, 2))
                    .order_by(journal_lines.c.line_no)
                )
            ).all()
        assert [(str(r.debit), str(r.credit)) for r in rows] == [
            ("0.30", "0.00"),
            ("9999999999999.99", "0.00"),
            ("0.00", "120.00"),
        ]
        assert all(type(r.debit) is Decimal for r in rows)
    finally:
        await engine.dispose()
