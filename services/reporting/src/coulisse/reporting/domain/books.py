"""What reporting reads of the books: receivable lines, and telling a reversal apart.

Receivables are the lines on 411 (customers) and 416 (doubtful customers), any sub-account
(`411000` too), each carrying the customer's account number as auxiliary account.

`accounting.entry.posted.v1` says `manual` but not which entry a reversal cancels: a reversal
is recognised by its lines, the mirror of an earlier entry's (same journal, accounts, auxiliary
accounts and labels, debit and credit swapped). The digests below make that an index lookup.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

RECEIVABLE_ACCOUNTS: tuple[str, ...] = ("411", "416")


def is_receivable(account: str) -> bool:
    return account.startswith(RECEIVABLE_ACCOUNTS)


@dataclass(frozen=True)
class Line:
    account: str
    auxiliary_account: str | None
    label: str
    debit: Decimal
    credit: Decimal


def digest(journal_code: str, lines: Sequence[Line], *, mirrored: bool = False) -> str:
    """A fingerprint of an entry's lines, in their order; `mirrored`: with sides swapped."""
    canonical = [
        [
            line.account,
            line.auxiliary_account or "",
            line.label,
            f"{line.credit if mirrored else line.debit:.2f}",
            f"{line.debit if mirrored else line.credit:.2f}",
        ]
        for line in lines
    ]
    text = json.dumps([journal_code, canonical], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def receivable_effect(lines: Sequence[Line]) -> Decimal:
    """What the entry adds to the customers' receivables (debit − credit on 411 and 416)."""
    return sum(
        (line.debit - line.credit for line in lines if is_receivable(line.account)),
        Decimal("0.00"),
    )
