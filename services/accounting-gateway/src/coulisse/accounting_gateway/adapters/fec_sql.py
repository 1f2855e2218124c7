"""FEC lines formatted by PostgreSQL: the text of `domain.fec.fec_line`, made where the rows are.

A year of a busy business is millions of lines; formatting each in Python costs tens of
microseconds (row decoding, Decimal and date formatting, the label clean-up), which alone makes
a million-line export take more than a minute. PostgreSQL builds the same line in C, and the
export only joins the texts. Every rule of `fec_line` is spelled here again, so a test exports
the same books both ways and compares them byte for byte (the SQLite quick run keeps
`fec_line`).

The whitespace clean-up costs PostgreSQL microseconds a field, so it is spent only on the free
texts (labels, piece references, auxiliary accounts). The other texts are made or checked by the
books and hold no whitespace: journal codes (`^[A-Z]{2,6}$`, in the rules file and the API),
entry numbers (made from the journal code and digits), account numbers (`^[0-9]{3,12}$`) and
letter codes. Journal labels are configuration: cleaned once, in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..domain.fec import fec_text
from .tables import auxiliary_accounts, journal_entries, journal_lines, letters

WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""Every character Python's `str.split()` splits on (none lies above U+3000)."""
SPACES = " " * len(WHITESPACE)


def _text(value: Any) -> sa.ColumnElement[str]:
    """`domain.fec.fec_text`: None is empty; runs of whitespace become one space, none at the ends.

    `translate` maps every whitespace character to a space (cheap); only a text holding two
    spaces in a row pays for the regular expression."""
    spaced = sa.func.translate(sa.func.coalesce(value, ""), WHITESPACE, SPACES)
    collapsed = sa.case(
        (sa.func.strpos(spaced, "  ") > 0, sa.func.regexp_replace(spaced, " {2,}", " ", "g")),
        else_=spaced,
    )
    return sa.func.btrim(collapsed, " ")


def _date(value: Any) -> sa.ColumnElement[str]:
    """`domain.fec.fec_date`: YYYYMMDD, empty for none."""
    return sa.func.coalesce(sa.func.to_char(value, "YYYYMMDD"), "")


def _amount(value: Any) -> sa.ColumnElement[str]:
    """`domain.fec.fec_amount`: NUMERIC(…, 2) as text with a decimal comma."""
    return sa.func.replace(sa.cast(value, sa.Text), ".", ",")


def _journal_label(labels: Mapping[str, str]) -> sa.ColumnElement[str]:
    code = journal_entries.c.journal_code
    cleaned = {journal: fec_text(label) or journal for journal, label in labels.items()}
    if not cleaned:
        return code
    return sa.case(cleaned, value=code, else_=code)


def fec_lines_query(
    fiscal_year: int,
    journal_labels: Mapping[str, str],
    positions: tuple[int, int] | None = None,
) -> sa.Select[Any]:
    """One column, `line`: each FEC line of the year without its line end, in the FEC's order
    (validation order, then line order); only the entries whose position is within
    `positions` (both ends included) when given."""
    lines, entries = journal_lines, journal_entries
    auxiliary = sa.func.nullif(lines.c.auxiliary_account, "")
    auxiliary_label = sa.case(
        (auxiliary.is_(None), ""),
        else_=_text(sa.func.coalesce(sa.func.nullif(auxiliary_accounts.c.label, ""), auxiliary)),
    )
    lettered = sa.func.coalesce(letters.c.letter, "") != ""
    fields = (
        entries.c.journal_code,
        _journal_label(journal_labels),
        entries.c.entry_number,
        _date(entries.c.entry_date),
        lines.c.account,
        _text(lines.c.account_label),
        _text(auxiliary),
        auxiliary_label,
        _text(entries.c.piece_ref),
        _date(entries.c.piece_date),
        _text(lines.c.label),
        _amount(lines.c.debit),
        _amount(lines.c.credit),
        sa.func.coalesce(letters.c.letter, ""),
        sa.case((lettered, _date(letters.c.lettered_on)), else_=""),
        _date(sa.func.timezone("UTC", entries.c.posted_at)),
        sa.literal(""),  # Montantdevise: every amount is in euros
        sa.literal(""),  # Idevise
    )
    return (
        sa.select(sa.func.concat_ws("\t", *fields).label("line"))
        .select_from(
            lines.join(entries, entries.c.id == lines.c.entry_id)
            .outerjoin(letters, letters.c.line_id == lines.c.id)
            .outerjoin(
                auxiliary_accounts,
                auxiliary_accounts.c.account_number == lines.c.auxiliary_account,
            )
        )
        .where(entries.c.fiscal_year == fiscal_year, *_within(positions))
        .order_by(entries.c.position, lines.c.line_no)
    )


def _within(positions: tuple[int, int] | None) -> list[sa.ColumnElement[bool]]:
    if positions is None:
        return []
    return [journal_entries.c.position.between(*positions)]


def positions_query(fiscal_year: int) -> sa.Select[Any]:
    """The first and last position of the year's entries."""
    position = journal_entries.c.position
    return sa.select(sa.func.min(position), sa.func.max(position)).where(
        journal_entries.c.fiscal_year == fiscal_year
    )
