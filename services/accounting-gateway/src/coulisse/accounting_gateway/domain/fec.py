"""The Fichier des Écritures Comptables (LPF article A47 A-1): one tab-separated line per entry line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
LINE_END = "\r\n"


@dataclass(frozen=True)
class FecLine:
    journal_code: str
    journal_label: str
    entry_number: str
    entry_date: date
    account: str
    account_label: str
    auxiliary_account: str | None
    auxiliary_label: str | None
    piece_ref: str
    piece_date: date
    label: str
    debit: Decimal
    credit: Decimal
    letter: str | None
    lettered_on: date | None
    validated_on: date


def fec_file_name(siren: str, fiscal_year: int) -> str:
    """`<SIREN>FEC<YYYYMMDD>.txt`, dated the fiscal year's closing day."""
    return f"{siren}FEC{date(fiscal_year, 12, 31):%Y%m%d}.txt"


def fec_amount(value: Decimal) -> str:
    """Decimal comma, no thousands separator: 1234,50."""
    return f"{value:.2f}".replace(".", ",")


def fec_date(value: date | None) -> str:
    return "" if value is None else f"{value:%Y%m%d}"


def fec_text(text: str | None) -> str:
    # A tab or a line break inside a label would shift every column after it.
    return "" if text is None else " ".join(text.split())


def fec_header() -> str:
    return "\t".join(FEC_COLUMNS) + LINE_END


def fec_line(line: FecLine) -> str:
    auxiliary = line.auxiliary_account or None
    fields = (
        line.journal_code,
        line.journal_label,
        line.entry_number,
        fec_date(line.entry_date),
        line.account,
        line.account_label,
        auxiliary,
        (line.auxiliary_label or auxiliary) if auxiliary else None,
        line.piece_ref,
        fec_date(line.piece_date),
        line.label,
        fec_amount(line.debit),
        fec_amount(line.credit),
        line.letter,
        fec_date(line.lettered_on) if line.letter else None,
        fec_date(line.validated_on),
        None,  # Montantdevise: every amount is in euros
        None,  # Idevise
    )
    return "\t".join(fec_text(f) for f in fields) + LINE_END
