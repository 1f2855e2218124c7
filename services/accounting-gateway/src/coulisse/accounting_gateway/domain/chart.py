"""The chart of accounts and the journals, as the rules file declares them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# PCG accounts are digits; the FEC requires the first three to be the PCG class and group.
ACCOUNT_PATTERN = re.compile(r"^[0-9]{3}[0-9]{0,9}$")


@dataclass(frozen=True)
class Account:
    number: str
    label: str
    # A collective account (411, 416): every line on it names the customer's auxiliary account.
    auxiliary: bool = False


@dataclass(frozen=True)
class ChartOfAccounts:
    accounts: Mapping[str, Account]
    accepted_prefixes: Mapping[str, str] = field(default_factory=dict)

    def find(self, number: str) -> Account | None:
        """The account if it is listed, or accepted by prefix (with the closest listed label)."""
        if not ACCOUNT_PATTERN.match(number):
            return None
        listed = self.accounts.get(number)
        if listed is not None:
            return listed
        prefixes = [p for p in self.accepted_prefixes if number.startswith(p)]
        if not prefixes:
            return None
        parents = [a for n, a in self.accounts.items() if number.startswith(n)]
        if parents:
            parent = max(parents, key=lambda a: len(a.number))
            return Account(number, parent.label, parent.auxiliary)
        return Account(number, self.accepted_prefixes[max(prefixes, key=len)])

    def knows(self, number: str) -> bool:
        return self.find(number) is not None


@dataclass(frozen=True)
class Journals:
    labels: Mapping[str, str]

    def label(self, code: str) -> str | None:
        return self.labels.get(code)
