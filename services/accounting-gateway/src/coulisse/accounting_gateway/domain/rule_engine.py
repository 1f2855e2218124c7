"""The rule engine: (event type, payload, rules) → a proposed entry, "no posting", or a refusal.

Pure and total: whatever the payload or the rules say, the answer is one of the three, never an
exception, so that a bad rule or an odd event is suspended instead of blocking a partition.

Paths name payload fields (`total_gross`, `address.city`). Inside a `for_each` line they are
read from the current item; `$.name` always reads the event's own field. Label and piece
templates put paths in braces: `"Facture {number}"`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from coulisse.contracts.money import MONEY_PATTERN, ZERO

from .posting_rules import EntryTemplate, LineTemplate, RuleBook

RefusalKind = Literal[
    "no_rule", "no_case", "unknown_account", "unknown_journal", "unbalanced", "bad_data"
]
_MONEY = re.compile(MONEY_PATTERN, re.ASCII)  # ASCII: \d is [0-9], as on the wire
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class ProposedLine:
    account: str
    account_label: str
    auxiliary_account: str | None
    label: str
    debit: Decimal
    credit: Decimal
    # Keys of the documents this line settles or creates (invoice ids), for lettering.
    matches: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposedEntry:
    journal_code: str
    document_date: date
    piece_ref: str
    label: str
    lines: tuple[ProposedLine, ...]
    rules_version: str

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


@dataclass(frozen=True)
class NoPosting:
    reason: str


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


Outcome = ProposedEntry | NoPosting | Refusal


class _Refused(Exception):
    def __init__(self, kind: RefusalKind, reason: str) -> None:
        super().__init__(reason)
        self.refusal = Refusal(kind, reason)


class _Missing(Exception):
    pass


def translate(rules: RuleBook, event_type: str, data: Mapping[str, Any]) -> Outcome:
    rule = rules.rule_for(event_type)
    if rule is None:
        return Refusal("no_rule", f"no posting rule for {event_type} in rules {rules.version}")
    if rule.no_posting:
        return NoPosting(rule.reason or "no posting")
    try:
        for case in rule.cases:
            if _matches(case.when, data, data):
                return _propose(rules, case, data)
    except _Refused as refused:
        return refused.refusal
    return Refusal("no_case", f"no case of the rule for {event_type} matches this event")


def _propose(rules: RuleBook, template: EntryTemplate, data: Mapping[str, Any]) -> ProposedEntry:
    if rules.journals.label(template.journal) is None:
        raise _Refused("unknown_journal", f"journal {template.journal!r} is not in the rules")
    label = _render(template.label, data, data)
    lines: list[ProposedLine] = []
    for line_template in template.lines:
        lines.extend(_lines(rules, line_template, label, data))
    lines = [line for line in lines if line.debit or line.credit]
    if len(lines) < 2:
        raise _Refused("unbalanced", "the rule gives fewer than two non-zero lines")
    entry = ProposedEntry(
        journal_code=template.journal,
        document_date=_date(template.date, data),
        piece_ref=_render(template.piece, data, data) or "",
        label=label,
        lines=tuple(lines),
        rules_version=rules.version,
    )
    if not entry.piece_ref:
        raise _Refused("bad_data", f"the piece reference {template.piece!r} is empty")
    if entry.total_debit != entry.total_credit:
        raise _Refused(
            "unbalanced",
            f"debit {entry.total_debit} differs from credit {entry.total_credit}",
        )
    return entry


@dataclass
class _Draft:
    account: str
    auxiliary: str | None
    label: str
    amount: Decimal
    matches: list[str] = field(default_factory=list)


def _lines(
    rules: RuleBook, template: LineTemplate, entry_label: str, data: Mapping[str, Any]
) -> list[ProposedLine]:
    if template.for_each is None:
        scopes: list[Mapping[str, Any]] = [data]
    else:
        items = _resolve_or_refuse(template.for_each, data, data)
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise _Refused("bad_data", f"{template.for_each!r} is not a list of objects")
        scopes = items
    drafts: list[_Draft] = []
    for scope in scopes:
        if not _matches(template.when, scope, data):
            continue
        draft = _Draft(
            account=_account(template, scope, data),
            auxiliary=_auxiliary(template, scope, data),
            label=_render(template.label, scope, data) if template.label else entry_label,
            amount=_money(template.amount, scope, data),
            matches=_match_keys(template.lettering, scope, data),
        )
        same = next(
            (
                d
                for d in drafts
                if template.group_by_account
                and (d.account, d.auxiliary) == (draft.account, draft.auxiliary)
            ),
            None,
        )
        if same is None:
            drafts.append(draft)
        else:
            same.amount += draft.amount
            same.matches.extend(k for k in draft.matches if k not in same.matches)
    return [_line(rules, template, draft) for draft in drafts]


def _line(rules: RuleBook, template: LineTemplate, draft: _Draft) -> ProposedLine:
    account = rules.chart.find(draft.account)
    if account is None:
        raise _Refused("unknown_account", f"account {draft.account!r} is not in the chart")
    if account.auxiliary and not draft.auxiliary:
        raise _Refused("bad_data", f"account {draft.account} needs an auxiliary account")
    # A negative amount (a discount line) belongs on the other side.
    amount = draft.amount if template.side == "debit" else -draft.amount
    return ProposedLine(
        account=account.number,
        account_label=account.label,
        auxiliary_account=draft.auxiliary if account.auxiliary else None,
        label=draft.label,
        debit=amount if amount > 0 else ZERO,
        credit=-amount if amount < 0 else ZERO,
        matches=tuple(draft.matches),
    )


def _account(template: LineTemplate, scope: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    ref = template.account
    if ref.literal is not None:
        return ref.literal
    assert ref.field is not None
    try:
        value = _resolve(ref.field, scope, data)
    except _Missing:
        value = None
    if value is None or value == "":
        if ref.default is None:
            raise _Refused("bad_data", f"no account in {ref.field!r} and no default")
        return ref.default
    return str(value)


def _auxiliary(
    template: LineTemplate, scope: Mapping[str, Any], data: Mapping[str, Any]
) -> str | None:
    if template.auxiliary is None:
        return None
    value = _resolve_or_refuse(template.auxiliary, scope, data)
    if not isinstance(value, str) or not value.strip():
        raise _Refused("bad_data", f"{template.auxiliary!r} is not an auxiliary account")
    return value


def _match_keys(path: str | None, scope: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    if path is None:
        return []
    value = _resolve_or_refuse(path, scope, data)
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None]


def _money(path: str, scope: Mapping[str, Any], data: Mapping[str, Any]) -> Decimal:
    value = _resolve_or_refuse(path, scope, data)
    if isinstance(value, bool) or not isinstance(value, str) or not _MONEY.match(value):
        raise _Refused("bad_data", f"{path!r} is not an amount with two decimals: {value!r}")
    try:
        return Decimal(value).quantize(ZERO)
    except InvalidOperation as exc:  # unreachable after the pattern, kept for totality
        raise _Refused("bad_data", f"{path!r} is not an amount") from exc


def _date(path: str, data: Mapping[str, Any]) -> date:
    value = _resolve_or_refuse(path, data, data)
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise _Refused("bad_data", f"{path!r} is not a date: {value!r}") from exc


def _matches(
    when: Mapping[str, Any] | None, scope: Mapping[str, Any], data: Mapping[str, Any]
) -> bool:
    if not when:
        return True
    for path, expected in when.items():
        try:
            actual = _resolve(path, scope, data)
        except _Missing:
            actual = None
        if actual != expected:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template as (literal text, path or None) pairs, split once per template."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append((template[position : match.start()], match.group(1).strip()))
        position = match.end()
    parts.append((template[position:], None))
    return tuple(parts)


def _render(template: str, scope: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    rendered: list[str] = []
    for literal, path in _template_parts(template):
        rendered.append(literal)
        if path is not None:
            try:
                found = _resolve(path, scope, data)
            except _Missing:
                continue
            if found is not None:
                rendered.append(str(found))
    return " ".join("".join(rendered).split())


def _resolve_or_refuse(path: str, scope: Mapping[str, Any], data: Mapping[str, Any]) -> Any:
    try:
        value = _resolve(path, scope, data)
    except _Missing:
        raise _Refused("bad_data", f"the event has no {path!r}") from None
    if value is None:
        raise _Refused("bad_data", f"{path!r} is empty")
    return value


@functools.lru_cache(maxsize=4096)
def _path_parts(path: str) -> tuple[bool, tuple[str, ...]]:
    """(reads the event itself, the names along the path), split once per path."""
    if path.startswith("$."):
        return True, tuple(path[2:].split("."))
    return False, tuple(path.split("."))


def _resolve(path: str, scope: Mapping[str, Any], data: Mapping[str, Any]) -> Any:
    from_event, parts = _path_parts(path)
    value: Any = data if from_event else scope
    for part in parts:
        # JSON objects are dicts: the exact type check is much cheaper than the Mapping ABC's.
        if not (type(value) is dict or isinstance(value, Mapping)) or part not in value:
            raise _Missing(path)
        value = value[part]
    return value
