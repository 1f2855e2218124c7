"""Journal entries: balanced or refused, numbered gaplessly, reversed by a mirror entry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES, load_rulebook
from coulisse.accounting_gateway.domain.journal_entry import (
    EntryLine,
    JournalEntry,
    format_entry_number,
)
from coulisse.contracts.accounting import EntryPosted
from coulisse.platform.domain import InvalidInput

RULES = load_rulebook(DEFAULT_RULES)
DAY = date(2026, 5, 31)


def line(
    account: str, debit: str = "0.00", credit: str = "0.00", aux: str | None = None
) -> EntryLine:
    return EntryLine(account, "", aux, "ligne", Decimal(debit), Decimal(credit))


def manual(*lines: EntryLine, journal: str = "OD") -> JournalEntry:
    return JournalEntry.manual_entry(
        journal_code=journal,
        entry_date=DAY,
        label="Régularisation",
        piece_ref=None,
        lines=lines,
        actor="comptable",
        trace_id=None,
        chart=RULES.chart,
        journals=RULES.journals,
    )


@given(st.sampled_from(["VT", "BQ", "OD", "AN"]), st.integers(2000, 2100), st.integers(1, 999_999))
def test_entry_numbers_are_journal_year_and_six_digits(journal: str, year: int, n: int) -> None:
    number = format_entry_number(journal, year, n)
    code, fiscal_year, sequence = number.split("-")
    assert (code, int(fiscal_year), int(sequence), len(sequence)) == (journal, year, n, 6)


def test_the_first_number() -> None:
    assert format_entry_number("VT", 2026, 1) == "VT-2026-000001"
    with pytest.raises(ValueError):
        format_entry_number("VT", 2026, 0)


def test_a_balanced_manual_entry_takes_the_chart_labels() -> None:
    entry = manual(line("658", debit="10.00"), line("471", credit="10.00"))
    assert entry.manual and entry.lines[0].account_label == "Charges diverses de gestion courante"
    assert entry.piece_ref.startswith("MAN-")


@pytest.mark.parametrize(
    "lines, field",
    [
        ((line("658", debit="10.00"), line("471", credit="9.99")), "lines"),
        ((line("658", debit="10.00"),), "lines"),
        ((line("658", debit="10.00", credit="10.00"), line("471", credit="0.00")), "lines[0]"),
        ((line("658", debit="-10.00"), line("471", debit="10.00")), "lines[0]"),
        ((line("999", debit="10.00"), line("471", credit="10.00")), "lines[0].account"),
        ((line("411", debit="10.00"), line("471", credit="10.00")), "lines[0].auxiliary_account"),
        (
            (line("658", debit="1.00", aux="C1"), line("471", credit="1.00")),
            "lines[0].auxiliary_account",
        ),
        ((line("658", debit="1.001"), line("471", credit="1.001")), "lines[0]"),
    ],
)
def test_a_bad_manual_entry_is_refused(lines: tuple[EntryLine, ...], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        manual(*lines)
    assert error.value.field == field


def test_an_unknown_journal_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        manual(line("658", debit="1.00"), line("471", credit="1.00"), journal="XX")
    assert error.value.field == "journal_code"


def test_numbering_publishes_the_entry_once() -> None:
    entry = manual(line("411", debit="5.00", aux="C000042"), line("706", credit="5.00"))
    entry.number(7, datetime(2026, 6, 1, tzinfo=UTC))
    assert entry.entry_number == "OD-2026-000007"
    [event] = entry.pull_events()
    assert isinstance(event, EntryPosted) and event.manual
    assert event.lines[0].auxiliary_account == "C000042"
    with pytest.raises(RuntimeError):
        entry.number(8, datetime(2026, 6, 1, tzinfo=UTC))


def test_a_reversal_mirrors_every_line() -> None:
    entry = manual(line("411", debit="5.00", aux="C1"), line("706", credit="5.00"))
    entry.number(1, datetime(2026, 6, 1, tzinfo=UTC))
    reversal = entry.reversal(entry_date=DAY, label=None, actor="comptable", trace_id=None)
    assert reversal.reverses_id == entry.id and reversal.journal_code == "OD"
    assert reversal.label == "Extourne de OD-2026-000001"
    assert [(ln.account, ln.debit, ln.credit) for ln in reversal.lines] == [
        ("411", Decimal("0.00"), Decimal("5.00")),
        ("706", Decimal("5.00"), Decimal("0.00")),
    ]
    assert {ln.id for ln in reversal.lines}.isdisjoint({ln.id for ln in entry.lines})
