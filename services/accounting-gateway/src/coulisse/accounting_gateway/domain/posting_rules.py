"""Posting rules as data: what a rules file says, as immutable objects the rule engine runs.

A rule book holds a version, the chart of accounts, the journals and one rule per event type.
A rule is either "no posting" (with a reason) or a list of entry templates (`cases`), the first
whose `when` matches the event being used. Reading and checking a file is the adapters' job
(`adapters/rules_schema.py`); an account a rule reads from the event can only be checked by the
engine, which suspends the event when it is unknown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .chart import ChartOfAccounts, Journals

Side = Literal["debit", "credit"]


@dataclass(frozen=True)
class AccountRef:
    """A literal account, or one read from a payload field with a default."""

    literal: str | None = None
    field: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class LineTemplate:
    account: AccountRef
    side: Side
    amount: str
    auxiliary: str | None = None
    label: str | None = None
    lettering: str | None = None
    when: Mapping[str, Any] | None = None
    for_each: str | None = None
    group_by_account: bool = False


@dataclass(frozen=True)
class EntryTemplate:
    journal: str
    date: str
    piece: str
    label: str
    lines: tuple[LineTemplate, ...]
    when: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PostingRule:
    event_type: str
    cases: tuple[EntryTemplate, ...] = ()
    no_posting: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class RuleBook:
    version: str
    description: str
    chart: ChartOfAccounts
    journals: Journals
    rules: Mapping[str, PostingRule]
    document: Mapping[str, Any]

    def rule_for(self, event_type: str) -> PostingRule | None:
        return self.rules.get(event_type)

    @property
    def digest(self) -> str:
        """Identifies the exact content, so two files with one version string can be told apart."""
        canonical = json.dumps(self.document, sort_keys=True, default=str).encode()
        return hashlib.sha256(canonical).hexdigest()[:16]
