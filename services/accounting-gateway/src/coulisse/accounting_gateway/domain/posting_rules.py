"""Posting rules as data: what a rules file says, read into immutable objects.

A rules file holds a version, the chart of accounts, the journals and one rule per event type.
A rule is either `no_posting: true` (with a reason) or an entry template, or a list of `cases`
of entry templates chosen by their `when`. Reading refuses a malformed file (it must not
start); an unknown account or journal inside a well-formed rule is not a reading error: the
events it concerns are suspended, visibly, until the file is fixed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .chart import Account, ChartOfAccounts, Journals

Side = Literal["debit", "credit"]


class RuleBookError(ValueError):
    """The rules file is not one the gateway can read; `where` locates the fault."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


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


def parse_rulebook(document: Any) -> RuleBook:
    root = _mapping(document, "rules file")
    _only(
        root, {"version", "description", "accounts", "accepted_prefixes", "journals", "rules"}, ""
    )
    version = _text(root.get("version"), "version")
    chart = ChartOfAccounts(
        accounts={
            str(number): _account(str(number), spec)
            for number, spec in _mapping(root.get("accounts"), "accounts").items()
        },
        accepted_prefixes={
            str(prefix): _text(label, f"accepted_prefixes.{prefix}")
            for prefix, label in _mapping(
                root.get("accepted_prefixes", {}), "accepted_prefixes"
            ).items()
        },
    )
    journals = Journals(
        {
            str(code): _text(label, f"journals.{code}")
            for code, label in _mapping(root.get("journals"), "journals").items()
        }
    )
    rules = {
        str(event_type): _rule(str(event_type), spec)
        for event_type, spec in _mapping(root.get("rules"), "rules").items()
    }
    return RuleBook(
        version=version,
        description=str(root.get("description") or ""),
        chart=chart,
        journals=journals,
        rules=rules,
        document=root,
    )


def _account(number: str, spec: Any) -> Account:
    if isinstance(spec, str):
        return Account(number, spec)
    fields = _mapping(spec, f"accounts.{number}")
    _only(fields, {"label", "auxiliary"}, f"accounts.{number}")
    return Account(
        number,
        _text(fields.get("label"), f"accounts.{number}.label"),
        auxiliary=bool(fields.get("auxiliary", False)),
    )


def _rule(event_type: str, spec: Any) -> PostingRule:
    where = f"rules.{event_type}"
    fields = _mapping(spec, where)
    if fields.get("no_posting"):
        _only(fields, {"no_posting", "reason"}, where)
        return PostingRule(event_type, no_posting=True, reason=str(fields.get("reason") or ""))
    if "cases" in fields:
        _only(fields, {"cases"}, where)
        cases = _sequence(fields["cases"], f"{where}.cases")
        if not cases:
            raise RuleBookError(f"{where}.cases", "at least one case is needed")
        return PostingRule(
            event_type,
            cases=tuple(_entry(case, f"{where}.cases[{i}]") for i, case in enumerate(cases)),
        )
    return PostingRule(event_type, cases=(_entry(fields, where),))


def _entry(spec: Any, where: str) -> EntryTemplate:
    fields = _mapping(spec, where)
    _only(fields, {"when", "journal", "date", "piece", "label", "lines"}, where)
    lines = _sequence(fields.get("lines"), f"{where}.lines")
    if not lines:
        raise RuleBookError(f"{where}.lines", "an entry needs lines")
    return EntryTemplate(
        journal=_text(fields.get("journal"), f"{where}.journal"),
        date=_text(fields.get("date"), f"{where}.date"),
        piece=_text(fields.get("piece"), f"{where}.piece"),
        label=_text(fields.get("label"), f"{where}.label"),
        lines=tuple(_line(line, f"{where}.lines[{i}]") for i, line in enumerate(lines)),
        when=_condition(fields.get("when"), f"{where}.when"),
    )


_LINE_KEYS = {
    "account",
    "debit",
    "credit",
    "auxiliary",
    "label",
    "lettering",
    "when",
    "for_each",
    "group_by_account",
}


def _line(spec: Any, where: str) -> LineTemplate:
    fields = _mapping(spec, where)
    _only(fields, _LINE_KEYS, where)
    sides = [side for side in ("debit", "credit") if side in fields]
    if len(sides) != 1:
        raise RuleBookError(where, "a line has exactly one of `debit` or `credit`")
    side: Side = "debit" if sides[0] == "debit" else "credit"
    return LineTemplate(
        account=_account_ref(fields.get("account"), f"{where}.account"),
        side=side,
        amount=_text(fields[side], f"{where}.{side}"),
        auxiliary=_optional_text(fields.get("auxiliary"), f"{where}.auxiliary"),
        label=_optional_text(fields.get("label"), f"{where}.label"),
        lettering=_optional_text(fields.get("lettering"), f"{where}.lettering"),
        when=_condition(fields.get("when"), f"{where}.when"),
        for_each=_optional_text(fields.get("for_each"), f"{where}.for_each"),
        group_by_account=bool(fields.get("group_by_account", False)),
    )


def _account_ref(spec: Any, where: str) -> AccountRef:
    if isinstance(spec, str | int) and not isinstance(spec, bool):
        return AccountRef(literal=str(spec))
    fields = _mapping(spec, where)
    _only(fields, {"field", "default"}, where)
    default = fields.get("default")
    return AccountRef(
        field=_text(fields.get("field"), f"{where}.field"),
        default=None if default is None else str(default),
    )


def _condition(spec: Any, where: str) -> Mapping[str, Any] | None:
    if spec is None:
        return None
    return dict(_mapping(spec, where))


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleBookError(where or "rules file", "expected a mapping")
    return value


def _sequence(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise RuleBookError(where, "expected a list")
    return value


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise RuleBookError(where, "expected a non-empty text")
    return str(value)


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _only(fields: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(map(str, fields)) - allowed)
    if unknown:
        raise RuleBookError(where or "rules file", f"unknown key(s) {', '.join(unknown)}")
