"""FEC and plain-text journal lines, formatted as the law and hledger expect."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from coulisse.accounting_gateway.adapters.fec_sql import SPACES, WHITESPACE
from coulisse.accounting_gateway.domain.fec import (
    FEC_COLUMNS,
    FecLine,
    fec_amount,
    fec_file_name,
    fec_header,
    fec_line,
)
from coulisse.accounting_gateway.domain.plain_text_ledger import (
    Posting,
    Transaction,
    journal_preamble,
    ledger_account,
    transaction_text,
)


def fec(**changes: object) -> FecLine:
    values: dict[str, object] = {
        "journal_code": "VT",
        "journal_label": "Ventes",
        "entry_number": "VT-2026-000001",
        "entry_date": date(2026, 3, 14),
        "account": "411",
        "account_label": "Clients",
        "auxiliary_account": "C000042",
        "auxiliary_label": "Menuiserie Lefèvre",
        "piece_ref": "F2026-000123",
        "piece_date": date(2026, 3, 10),
        "label": "Facture\tF2026-000123\n",
        "debit": Decimal("1234.50"),
        "credit": Decimal("0.00"),
        "letter": "AA",
        "lettered_on": date(2026, 4, 2),
        "validated_on": date(2026, 3, 15),
    }
    values.update(changes)
    return FecLine(**values)  # type: ignore[arg-type]


def test_header_and_file_name() -> None:
    assert fec_header() == "\t".join(FEC_COLUMNS) + "\r\n"
    assert len(FEC_COLUMNS) == 18
    assert fec_file_name("732829320", 2026) == "732829320FEC20261231.txt"


def test_a_lettered_auxiliary_line() -> None:
    fields = fec_line(fec()).removesuffix("\r\n").split("\t")
    assert fields == [
        "VT",
        "Ventes",
        "VT-2026-000001",
        "20260314",
        "411",
        "Clients",
        "C000042",
        "Menuiserie Lefèvre",
        "F2026-000123",
        "20260310",
        "Facture F2026-000123",
        "1234,50",
        "0,00",
        "AA",
        "20260402",
        "20260315",
        "",
        "",
    ]


def test_unused_fields_are_empty() -> None:
    fields = fec_line(
        fec(
            account="706",
            auxiliary_account=None,
            auxiliary_label=None,
            letter=None,
            lettered_on=None,
        )
    ).split("\t")
    assert fields[6:8] == ["", ""] and fields[13:15] == ["", ""] and fields[16:] == ["", "\r\n"]


@given(st.integers(0, 10**13 - 1))
def test_amounts_have_a_decimal_comma_and_no_thousands_separator(cents: int) -> None:
    text = fec_amount(Decimal(cents) / 100)
    whole, fraction = text.split(",")
    assert whole.isdigit() and len(fraction) == 2
    assert Decimal(f"{whole}.{fraction}") * 100 == cents


def test_a_transaction_for_hledger() -> None:
    text = transaction_text(
        Transaction(
            entry_date=date(2026, 3, 14),
            entry_number="VT-2026-000001",
            label="Facture F1; C1 | x",
            piece_ref="F1",
            source_event_id="e1",
            postings=[
                Posting("411", "C000042", "Facture", Decimal("120.00"), Decimal("0.00")),
                Posting("706", None, "Facture", Decimal("0.00"), Decimal("120.00")),
            ],
        )
    )
    header, first, second, _, _ = text.split("\n")
    assert header == "2026-03-14 * (VT-2026-000001) Facture F1, C1 / x  ; piece: F1, source: e1"
    assert first.split()[:3] == ["411:C000042", "120.00", "EUR"]
    assert second.split()[:3] == ["706", "-120.00", "EUR"]
    assert ledger_account("411", None) == "411"
    assert "account 411:C000042" in journal_preamble(["411:C000042", "706"])


def test_postgresql_s_fec_lines_clean_up_every_whitespace_python_splits_on() -> None:
    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(WHITESPACE) == every
    assert len(SPACES) == len(WHITESPACE)
