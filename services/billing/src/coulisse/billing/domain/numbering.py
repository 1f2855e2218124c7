"""Document numbers: gapless and chronological per series and year (F2026-000123, A2026-000007)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from coulisse.platform.domain import Conflict

Series = Literal["F", "A"]
INVOICE_SERIES: Series = "F"
"""Invoices, fee invoices included."""
CREDIT_NOTE_SERIES: Series = "A"


def document_number(series: Series, year: int, value: int) -> str:
    return f"{series}{year}-{value:06d}"


def check_chronology(series: Series, last_issued_on: date | None, issue_date: date) -> None:
    """Numbers follow dates: no document may be dated before the last one of its series."""
    if last_issued_on is not None and issue_date < last_issued_on:
        raise Conflict(
            f"series {series}{issue_date.year} already has a document dated "
            f"{last_issued_on.isoformat()}: numbers must follow the dates, so the issue date "
            f"cannot be earlier than that",
            field="issue_date",
            last_issue_date=last_issued_on.isoformat(),
        )
