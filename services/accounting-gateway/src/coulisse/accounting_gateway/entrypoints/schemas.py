"""HTTP request and response bodies of the gateway's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from coulisse.contracts.money import ZERO, Money
from coulisse.platform.api import RequestModel, ResponseModel

from ..application.queries import BalanceRow, Ledger, LedgerLine, Letter
from ..domain.journal_entry import EntryLine, JournalEntry
from ..domain.periods import Period
from ..domain.suspense import SuspendedEvent

AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,12}$")]
AuxiliaryAccount = Annotated[str, StringConstraints(min_length=1, max_length=40)]
JournalCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
# What a person types in is bounded here (a 422 names the field); the columns are `text`, as
# what events bring is kept whole whatever its length.
Label = Annotated[str, StringConstraints(min_length=1, max_length=300)]
PieceRef = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class EntryLineCreate(RequestModel):
    account: AccountNumber
    auxiliary_account: AuxiliaryAccount | None = None
    label: Label | None = None
    debit: Money = ZERO
    credit: Money = ZERO

    def to_line(self, entry_label: str) -> EntryLine:
        return EntryLine(
            account=self.account,
            account_label="",
            auxiliary_account=self.auxiliary_account,
            label=self.label or entry_label,
            debit=self.debit,
            credit=self.credit,
        )


class JournalEntryCreate(RequestModel):
    journal_code: JournalCode = "OD"
    entry_date: date | None = Field(default=None, description="Default: today.")
    label: Label
    piece_ref: PieceRef | None = None
    lines: list[EntryLineCreate] = Field(min_length=2, max_length=1000)


class ReversalCreate(RequestModel):
    entry_date: date | None = Field(default=None, description="Default: today.")
    label: Label | None = None


class EntryLineRead(ResponseModel):
    id: UUID
    account: str
    account_label: str
    auxiliary_account: str | None
    label: str
    debit: Money
    credit: Money
    letter: str | None = None
    lettered_on: date | None = None


class JournalEntryRead(ResponseModel):
    id: UUID
    entry_id: UUID
    journal_code: str
    entry_number: str | None
    entry_date: date
    piece_ref: str
    piece_date: date
    label: str
    lines: list[EntryLineRead]
    source_event_id: UUID | None
    source_event_type: str | None
    trace_id: str | None
    actor: str
    manual: bool
    reverses_id: UUID | None
    rules_version: str | None
    posted_at: datetime | None

    @classmethod
    def of(cls, entry: JournalEntry, letters: dict[UUID, Letter] | None = None) -> JournalEntryRead:
        found = letters or {}
        return cls(
            id=entry.id,
            entry_id=entry.id,
            journal_code=entry.journal_code,
            entry_number=entry.entry_number,
            entry_date=entry.entry_date,
            piece_ref=entry.piece_ref,
            piece_date=entry.piece_date,
            label=entry.label,
            lines=[
                EntryLineRead(
                    id=line.id,
                    account=line.account,
                    account_label=line.account_label,
                    auxiliary_account=line.auxiliary_account,
                    label=line.label,
                    debit=line.debit,
                    credit=line.credit,
                    letter=found[line.id].letter if line.id in found else None,
                    lettered_on=found[line.id].lettered_on if line.id in found else None,
                )
                for line in entry.lines
            ],
            source_event_id=entry.source_event_id,
            source_event_type=entry.source_event_type,
            trace_id=entry.trace_id,
            actor=entry.actor,
            manual=entry.manual,
            reverses_id=entry.reverses_id,
            rules_version=entry.rules_version,
            posted_at=entry.posted_at,
        )


class BalanceRowRead(ResponseModel):
    account: str
    label: str
    debit: Money
    credit: Money
    balance: Money

    @classmethod
    def of(cls, row: BalanceRow) -> BalanceRowRead:
        return cls(
            account=row.account,
            label=row.label,
            debit=row.debit,
            credit=row.credit,
            balance=row.balance,
        )


class Totals(ResponseModel):
    debit: Money
    credit: Money


class TrialBalanceRead(ResponseModel):
    as_of: date
    accounts: list[BalanceRowRead]
    totals: Totals


class LedgerLineRead(ResponseModel):
    entry_id: UUID
    entry_number: str
    journal_code: str
    entry_date: date
    piece_ref: str
    account: str
    auxiliary_account: str | None
    label: str
    debit: Money
    credit: Money
    running_balance: Money
    letter: str | None
    lettered_on: date | None

    @classmethod
    def of(cls, line: LedgerLine) -> LedgerLineRead:
        return cls.model_validate(line)


class LedgerRead(ResponseModel):
    account: str
    auxiliary: str | None
    date_from: date | None = Field(serialization_alias="from")
    date_to: date | None = Field(serialization_alias="to")
    opening_balance: Money
    lines: list[LedgerLineRead]
    totals: Totals
    balance: Money = Field(description="debit − credit of the selection")
    closing_balance: Money = Field(description="opening balance + balance")
    next_cursor: str | None

    @classmethod
    def of(
        cls,
        found: Ledger,
        *,
        account: str,
        auxiliary: str | None,
        date_from: date | None,
        date_to: date | None,
    ) -> LedgerRead:
        return cls(
            account=account,
            auxiliary=auxiliary,
            date_from=date_from,
            date_to=date_to,
            opening_balance=found.opening_balance,
            lines=[LedgerLineRead.of(line) for line in found.lines],
            totals=Totals(debit=found.debit, credit=found.credit),
            balance=found.balance,
            closing_balance=found.opening_balance + found.balance,
            next_cursor=found.next_cursor,
        )


class PeriodRead(ResponseModel):
    period: str
    status: str
    entry_count: int
    closed_at: datetime | None
    closed_by: str | None

    @classmethod
    def of(cls, period: Period) -> PeriodRead:
        return cls(
            period=period.period,
            status=period.status,
            entry_count=period.entry_count,
            closed_at=period.closed_at,
            closed_by=period.closed_by,
        )


class SuspendedEventRead(ResponseModel):
    source_event_id: UUID
    source_event_type: str
    reason: str
    error: str
    status: str
    attempts: int
    origin: str | None
    suspended_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    entry_id: UUID | None

    @classmethod
    def of(cls, item: SuspendedEvent) -> SuspendedEventRead:
        return cls.model_validate(item)


class SuspendedEventDetail(SuspendedEventRead):
    envelope: dict[str, Any] | None
    raw: str | None

    @classmethod
    def of(cls, item: SuspendedEvent) -> SuspendedEventDetail:
        raw = item.raw.decode("utf-8", errors="replace") if item.raw is not None else None
        return cls.model_validate({**_attributes(item), "raw": raw})


class RetryResult(ResponseModel):
    suspense: SuspendedEventRead
    entry: JournalEntryRead | None


class MappingsRead(ResponseModel):
    version: str
    description: str
    digest: str
    source: str
    loaded_at: datetime
    journals: dict[str, str]
    accounts: dict[str, Any]
    accepted_prefixes: dict[str, str]
    rules: dict[str, Any]


def _attributes(item: SuspendedEvent) -> dict[str, Any]:
    return {
        name: getattr(item, name) for name in SuspendedEventDetail.model_fields if name != "raw"
    }
