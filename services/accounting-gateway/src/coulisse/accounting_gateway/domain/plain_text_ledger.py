"""The plain-text journal that hledger and ledger read, so tools we did not write check the books.

Auxiliary accounts are sub-accounts (`411:C000042`); every amount has two decimals and the `EUR`
commodity; debits are positive, credits negative, so every transaction sums to zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

COMMODITY = "EUR"


@dataclass(frozen=True)
class Posting:
    account: str
    auxiliary_account: str | None
    label: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Transaction:
    entry_date: date
    entry_number: str
    label: str
    piece_ref: str
    source_event_id: str | None
    postings: Sequence[Posting]


def _clean(text: str) -> str:
    # `;` starts a comment and `|` splits payee from note: keep them out of descriptions.
    return " ".join(text.replace(";", ",").replace("|", "/").split())


def ledger_account(account: str, auxiliary_account: str | None) -> str:
    if not auxiliary_account:
        return account
    return f"{account}:{'_'.join(auxiliary_account.replace(':', '_').split())}"


def ledger_amount(value: Decimal) -> str:
    return f"{value:.2f} {COMMODITY}"


def journal_preamble(accounts: Iterable[str]) -> str:
    lines = [
        "; Coulisse accounting gateway: journal entries as posted.",
        "decimal-mark .",
        f"commodity 1000.00 {COMMODITY}",
    ]
    lines.extend(f"account {name}" for name in sorted(set(accounts)))
    return "\n".join(lines) + "\n\n"


def transaction_text(transaction: Transaction) -> str:
    tags = [f"piece: {_clean(transaction.piece_ref).replace(',', ' ')}"]
    if transaction.source_event_id:
        tags.append(f"source: {transaction.source_event_id}")
    header = (
        f"{transaction.entry_date.isoformat()} * ({transaction.entry_number}) "
        f"{_clean(transaction.label)}  ; {', '.join(tags)}"
    )
    width = max(len(ledger_account(p.account, p.auxiliary_account)) for p in transaction.postings)
    lines = [header]
    for posting in transaction.postings:
        name = ledger_account(posting.account, posting.auxiliary_account)
        amount = ledger_amount(posting.debit - posting.credit)
        lines.append(f"    {name.ljust(width)}  {amount:>20}  ; {_clean(posting.label)}")
    return "\n".join(lines) + "\n\n"
