"""The journal entry: balanced or not posted, numbered at posting, never changed afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.contracts.accounting import EntryLine as EntryLinePayload
from coulisse.contracts.accounting import EntryPosted
from coulisse.contracts.money import CENT, ZERO
from coulisse.platform.domain import Aggregate, InvalidInput

from .chart import ChartOfAccounts, Journals
from .rule_engine import ProposedEntry


def fiscal_year_of(day: date) -> int:
    """Fiscal years are calendar years (January to December)."""
    return day.year


def format_entry_number(journal_code: str, fiscal_year: int, sequence: int) -> str:
    """`VT-2026-000001`: gapless per journal and fiscal year."""
    if sequence < 1:
        raise ValueError("entry numbers start at 1")
    return f"{journal_code}-{fiscal_year:04d}-{sequence:06d}"


@dataclass(frozen=True)
class EntryLine:
    account: str
    account_label: str
    auxiliary_account: str | None
    label: str
    debit: Decimal
    credit: Decimal
    matches: tuple[str, ...] = ()
    id: UUID = field(default_factory=uuid4)

    def mirrored(self) -> EntryLine:
        return replace(self, debit=self.credit, credit=self.debit, id=uuid4())


def check_balanced(lines: Sequence[EntryLine], *, field_prefix: str = "lines") -> None:
    """Balanced or not posted: at least two lines, one side each, in cents, debit = credit."""
    if len(lines) < 2:
        raise InvalidInput("an entry has at least two lines", field=field_prefix)
    for i, line in enumerate(lines):
        where = f"{field_prefix}[{i}]"
        if line.debit < 0 or line.credit < 0:
            raise InvalidInput("amounts are positive; use the other side", field=where)
        if (line.debit > 0) == (line.credit > 0):
            raise InvalidInput("a line is either a debit or a credit", field=where)
        if line.debit != line.debit.quantize(CENT) or line.credit != line.credit.quantize(CENT):
            raise InvalidInput("amounts are in cents", field=where)
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:
        raise InvalidInput(
            f"the entry does not balance: debit {debit} ≠ credit {credit}", field=field_prefix
        )


@dataclass
class JournalEntry(Aggregate):
    id: UUID
    journal_code: str
    entry_date: date
    piece_ref: str
    piece_date: date
    label: str
    lines: tuple[EntryLine, ...]
    manual: bool
    actor: str
    trace_id: str | None = None
    source_event_id: UUID | None = None
    source_event_type: str | None = None
    reverses_id: UUID | None = None
    rules_version: str | None = None
    entry_number: str | None = None
    posted_at: datetime | None = None

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.entry_date)

    @property
    def total(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @classmethod
    def from_proposal(
        cls,
        proposal: ProposedEntry,
        *,
        entry_date: date,
        source_event_id: UUID,
        source_event_type: str,
        actor: str,
        trace_id: str | None,
    ) -> JournalEntry:
        lines = tuple(
            EntryLine(
                account=line.account,
                account_label=line.account_label,
                auxiliary_account=line.auxiliary_account,
                label=line.label,
                debit=line.debit,
                credit=line.credit,
                matches=line.matches,
            )
            for line in proposal.lines
        )
        check_balanced(lines)
        return cls(
            id=uuid4(),
            journal_code=proposal.journal_code,
            entry_date=entry_date,
            piece_ref=proposal.piece_ref,
            piece_date=proposal.document_date,
            label=proposal.label,
            lines=lines,
            manual=False,
            actor=actor,
            trace_id=trace_id,
            source_event_id=source_event_id,
            source_event_type=source_event_type,
            rules_version=proposal.rules_version,
        )

    @classmethod
    def manual_entry(
        cls,
        *,
        journal_code: str,
        entry_date: date,
        label: str,
        piece_ref: str | None,
        lines: Sequence[EntryLine],
        actor: str,
        trace_id: str | None,
        chart: ChartOfAccounts,
        journals: Journals,
    ) -> JournalEntry:
        if journals.label(journal_code) is None:
            raise InvalidInput(f"no journal {journal_code!r}", field="journal_code")
        checked: list[EntryLine] = []
        for i, line in enumerate(lines):
            account = chart.find(line.account)
            if account is None:
                raise InvalidInput(
                    f"account {line.account!r} is not in the chart", field=f"lines[{i}].account"
                )
            if account.auxiliary and not line.auxiliary_account:
                raise InvalidInput(
                    f"account {account.number} needs an auxiliary account",
                    field=f"lines[{i}].auxiliary_account",
                )
            if not account.auxiliary and line.auxiliary_account:
                raise InvalidInput(
                    f"account {account.number} takes no auxiliary account",
                    field=f"lines[{i}].auxiliary_account",
                )
            checked.append(replace(line, account_label=account.label))
        check_balanced(checked)
        entry_id = uuid4()
        return cls(
            id=entry_id,
            journal_code=journal_code,
            entry_date=entry_date,
            piece_ref=piece_ref or f"MAN-{str(entry_id)[:8].upper()}",
            piece_date=entry_date,
            label=label,
            lines=tuple(checked),
            manual=True,
            actor=actor,
            trace_id=trace_id,
        )

    def reversal(
        self, *, entry_date: date, label: str | None, actor: str, trace_id: str | None
    ) -> JournalEntry:
        """The mirror entry: same journal and accounts, sides swapped, pointing at this one."""
        return JournalEntry(
            id=uuid4(),
            journal_code=self.journal_code,
            entry_date=entry_date,
            piece_ref=self.entry_number or self.piece_ref,
            piece_date=entry_date,
            label=label or f"Extourne de {self.entry_number}",
            lines=tuple(line.mirrored() for line in self.lines),
            manual=True,
            actor=actor,
            trace_id=trace_id,
            reverses_id=self.id,
        )

    def number(self, sequence: int, posted_at: datetime) -> None:
        """Posting: the entry takes its number and is published; nothing changes it afterwards."""
        if self.entry_number is not None:
            raise RuntimeError(f"entry {self.id} is already numbered {self.entry_number}")
        self.entry_number = format_entry_number(self.journal_code, self.fiscal_year, sequence)
        self.posted_at = posted_at
        self.record(
            EntryPosted(
                entry_id=self.id,
                journal_code=self.journal_code,
                entry_number=self.entry_number,
                entry_date=self.entry_date,
                source_event_id=self.source_event_id,
                source_event_type=self.source_event_type,
                lines=[
                    EntryLinePayload(
                        account=line.account,
                        auxiliary_account=line.auxiliary_account,
                        label=line.label,
                        debit=line.debit,
                        credit=line.credit,
                    )
                    for line in self.lines
                ],
                manual=self.manual,
            )
        )
