"""Lettering (`EcritureLet`): the receivable lines of a settled invoice share a letter code.

Each receivable line names the documents it concerns (the invoice it creates, the invoices a
payment allocation, credit note, write-off or doubtful classification settles). Lines of one
account and auxiliary account that are linked through those documents form a group; a group
whose lines balance (debits = credits) is settled and gets the next letter code of that
auxiliary account, dated the day of its latest line. Letters are never taken back.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from coulisse.contracts.money import ZERO


def letter_code(index: int) -> str:
    """0 → AA, 1 → AB, …, 675 → ZZ, 676 → AAA, …"""
    if index < 0:
        raise ValueError("letter indexes start at 0")
    letters = string.ascii_uppercase
    width, first = 2, 0
    while index >= first + 26**width:
        first += 26**width
        width += 1
    offset = index - first
    code = ""
    for _ in range(width):
        offset, digit = divmod(offset, 26)
        code = letters[digit] + code
    return code


@dataclass(frozen=True)
class OpenItem:
    """A receivable line not lettered yet."""

    line_id: UUID
    account: str
    auxiliary_account: str | None
    debit: Decimal
    credit: Decimal
    entry_date: date
    matches: frozenset[str]


@dataclass(frozen=True)
class Lettering:
    account: str
    auxiliary_account: str | None
    line_ids: tuple[UUID, ...]
    lettered_on: date


def settled_groups(items: Iterable[OpenItem]) -> list[Lettering]:
    by_line = {item.line_id: item for item in items}
    parent: dict[UUID, UUID] = {line_id: line_id for line_id in by_line}

    def root(line_id: UUID) -> UUID:
        while parent[line_id] != line_id:
            parent[line_id] = parent[parent[line_id]]
            line_id = parent[line_id]
        return line_id

    first_with_key: dict[tuple[str, str | None, str], UUID] = {}
    for item in by_line.values():
        for key in item.matches:
            slot = (item.account, item.auxiliary_account, key)
            other = first_with_key.setdefault(slot, item.line_id)
            parent[root(item.line_id)] = root(other)
    groups: dict[UUID, list[OpenItem]] = {}
    for item in by_line.values():
        groups.setdefault(root(item.line_id), []).append(item)
    settled: list[Lettering] = []
    for members in groups.values():
        debit = sum((m.debit for m in members), ZERO)
        credit = sum((m.credit for m in members), ZERO)
        if debit == credit and debit > 0 and len(members) > 1:
            members.sort(key=lambda m: (m.entry_date, str(m.line_id)))
            settled.append(
                Lettering(
                    account=members[0].account,
                    auxiliary_account=members[0].auxiliary_account,
                    line_ids=tuple(m.line_id for m in members),
                    lettered_on=max(m.entry_date for m in members),
                )
            )
    settled.sort(key=lambda g: (g.account, g.auxiliary_account or "", g.lettered_on))
    return settled
