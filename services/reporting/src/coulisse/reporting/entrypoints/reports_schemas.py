"""Response models of the reports (`/v1/reports/...`).

Money is a two-decimal string, as everywhere; days are decimal strings to the hundredth
(`"12.50"`); a per-customer breakdown is a page (`items`, `next_cursor`) next to the totals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, PlainSerializer, WithJsonSchema

from coulisse.contracts.money import Money
from coulisse.platform.api import ResponseModel

from ..application.operations import ManualEntry, OpenRequest, RefundLeadTime
from ..application.pulse import Pulse
from ..application.receivables import AgedReport, DsoFigures, DsoReport
from ..application.reconciliation import Explanation, ReconciliationReport, ReconciliationRow
from ..domain.aging import AgedBalance, Bucket

Status = Literal["green", "red"]
Days = Annotated[
    Decimal,
    PlainSerializer(lambda days: f"{days:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["12.50"]}),
]
"""A number of days to the hundredth, as a string."""


# -- aged receivables --------------------------------------------------------------------------


class BucketRead(ResponseModel):
    key: str = Field(examples=["not_due", "1-30", "over_90"])
    label: str = Field(examples=["not due", "1–30", "over 90"])
    min_days: int | None = Field(description="Days past due (or since issue), from; none: open.")
    max_days: int | None = Field(description="Days past due (or since issue), to; none: open.")

    @classmethod
    def of(cls, bucket: Bucket) -> BucketRead:
        return cls(
            key=bucket.key, label=bucket.label, min_days=bucket.min_days, max_days=bucket.max_days
        )


class BucketAmountRead(ResponseModel):
    key: str = Field(description="The `key` of one of the report's `buckets`.")
    amount: Money


class AgedAmountsRead(ResponseModel):
    buckets: list[BucketAmountRead] = Field(
        description="Undisputed open amounts, one per bucket of the report, in its order."
    )
    undisputed: Money = Field(description="The sum of `buckets`.")
    disputed: Money = Field(description="Open amounts of invoices under dispute on the date.")
    receivables: Money = Field(description="undisputed + disputed.")
    on_account: Money = Field(
        description="Credit the customer holds: unallocated payments and credit-note or "
        "write-off excess, less refunds."
    )
    balance: Money = Field(description="receivables − on_account: what the books hold.")
    overdue: Money = Field(description="Open amounts past their due date, disputed or not.")
    open_invoices: int

    @classmethod
    def amounts(cls, balance: AgedBalance, buckets: tuple[Bucket, ...]) -> dict[str, Any]:
        return {
            "buckets": [
                BucketAmountRead(key=b.key, amount=a)
                for b, a in zip(buckets, balance.buckets, strict=True)
            ],
            "undisputed": balance.undisputed,
            "disputed": balance.disputed,
            "receivables": balance.receivables,
            "on_account": balance.on_account,
            "balance": balance.balance,
            "overdue": balance.overdue,
            "open_invoices": balance.invoices,
        }


class AgedCustomerRead(AgedAmountsRead):
    customer_id: UUID
    account_number: str | None


class BooksCheckRead(ResponseModel):
    balance: Money = Field(description="411 + 416 of the books, entries dated up to `as_of`.")
    difference: Money = Field(description="total.balance − books.balance; zero when they agree.")


class AgedReceivablesRead(ResponseModel):
    as_of: date
    basis: Literal["due_date", "invoice_date"]
    buckets: list[BucketRead]
    total: AgedAmountsRead
    books: BooksCheckRead
    items: list[AgedCustomerRead] = Field(description="Per customer, by account number.")
    next_cursor: str | None

    @classmethod
    def of(cls, report: AgedReport) -> AgedReceivablesRead:
        buckets = report.buckets
        return cls(
            as_of=report.as_of,
            basis=report.basis,
            buckets=[BucketRead.of(b) for b in buckets],
            total=AgedAmountsRead(**AgedAmountsRead.amounts(report.total, buckets)),
            books=BooksCheckRead(balance=report.books, difference=report.difference),
            items=[
                AgedCustomerRead(
                    customer_id=row.customer_id,
                    account_number=row.account_number,
                    **AgedAmountsRead.amounts(row.balance, buckets),
                )
                for row in report.customers.items
            ],
            next_cursor=report.customers.next_cursor,
        )


# -- DSO ---------------------------------------------------------------------------------------


class DsoFiguresRead(ResponseModel):
    receivables: Money = Field(description="Open invoices on the date, disputed included.")
    sales: Money = Field(
        description="Standard invoices issued in the `days` days ending on the date, VAT incl."
    )
    simple_days: Days | None = Field(
        description="receivables ÷ sales × days; none without sales in the period."
    )
    count_back_days: Days = Field(
        description="Months walked back, newest first, until the sales cover the receivables."
    )

    @classmethod
    def figures(cls, found: DsoFigures) -> dict[str, Any]:
        return {
            "receivables": found.receivables,
            "sales": found.sales,
            "simple_days": found.simple,
            "count_back_days": found.count_back,
        }


class DsoCustomerRead(DsoFiguresRead):
    customer_id: UUID
    account_number: str | None


class DsoPointRead(DsoFiguresRead):
    month_end: date


class DsoRead(ResponseModel):
    as_of: date
    days: int
    period_start: date = Field(description="First day of the simple DSO's sales period.")
    period_end: date
    total: DsoFiguresRead
    trend: list[DsoPointRead] = Field(
        description="The overall figures at each of the last 12 month ends on or before "
        "`as_of`, oldest first (same `days`)."
    )
    items: list[DsoCustomerRead] = Field(
        description="Per customer with receivables or sales, by account number."
    )
    next_cursor: str | None

    @classmethod
    def of(cls, report: DsoReport) -> DsoRead:
        return cls(
            as_of=report.as_of,
            days=report.days,
            period_start=report.window.start,
            period_end=report.window.end,
            total=DsoFiguresRead(**DsoFiguresRead.figures(report.total)),
            trend=[
                DsoPointRead(month_end=p.month_end, **DsoFiguresRead.figures(p.figures))
                for p in report.trend
            ],
            items=[
                DsoCustomerRead(
                    customer_id=row.customer_id,
                    account_number=row.account_number,
                    **DsoFiguresRead.figures(row.figures),
                )
                for row in report.customers.items
            ],
            next_cursor=report.customers.next_cursor,
        )


# -- reconciliation ----------------------------------------------------------------------------


class UnjournaledRead(ResponseModel):
    event_id: UUID
    event_type: str = Field(examples=["billing.payment.received.v1"])
    occurred_at: datetime
    on_date: date = Field(description="The document's date.")
    reference: str | None = Field(description="Document number, payment reference or refund id.")
    amount: Money = Field(description="What it changes in the customer's balance.")


class SuspendedEventRead(ResponseModel):
    source_event_id: UUID
    source_event_type: str
    error: str
    suspended_at: datetime
    amount: Money | None = Field(description="What it changes in the customer's balance.")


class EntryOnAccountRead(ResponseModel):
    entry_id: UUID
    journal_code: str
    entry_number: str
    entry_date: date
    posted_at: datetime
    manual: bool
    reversal: bool = Field(description="A manual entry mirroring an earlier entry.")
    source_event_id: UUID | None
    source_event_type: str | None
    amount: Money = Field(description="Debit − credit on the customer's auxiliary account.")


class ExplanationRead(ResponseModel):
    unjournaled: list[UnjournaledRead] = Field(
        description="Money events of billing and collections with no journal entry yet."
    )
    suspended: list[SuspendedEventRead] = Field(
        description="Events the books suspended and have not posted since."
    )
    entries: list[EntryOnAccountRead] = Field(
        description="Manual entries and reversals on the account, and entries whose source "
        "event reporting has not read."
    )

    @classmethod
    def of(cls, found: Explanation) -> ExplanationRead:
        return cls(
            unjournaled=[UnjournaledRead.model_validate(e) for e in found.unjournaled],
            suspended=[SuspendedEventRead.model_validate(e) for e in found.suspended],
            entries=[EntryOnAccountRead.model_validate(e) for e in found.entries],
        )


class ReconciliationRowRead(ResponseModel):
    customer_id: UUID | None = Field(description="None for an account no event tied to one.")
    account_number: str | None
    billing_balance: Money = Field(
        description="invoices − credit notes − payments + refunds − write-offs."
    )
    books_balance: Money = Field(description="411 + 416 on the customer's auxiliary account.")
    drift: Money = Field(description="billing_balance − books_balance.")
    explanation: ExplanationRead | None = Field(description="Given when `drift` is not zero.")

    @classmethod
    def of(cls, row: ReconciliationRow) -> ReconciliationRowRead:
        s = row.standing
        return cls(
            customer_id=s.customer_id,
            account_number=s.account_number,
            billing_balance=s.billing,
            books_balance=s.books,
            drift=s.drift,
            explanation=None if row.explanation is None else ExplanationRead.of(row.explanation),
        )


class ReconciliationRead(ResponseModel):
    billing_total: Money
    books_total: Money
    drift: Money = Field(description="billing_total − books_total.")
    drifting_customers: int = Field(description="Customers whose two balances differ.")
    status: Status = Field(description="green when no customer drifts.")
    items: list[ReconciliationRowRead] = Field(description="By account number.")
    next_cursor: str | None

    @classmethod
    def of(cls, report: ReconciliationReport) -> ReconciliationRead:
        drift = report.drift
        return cls(
            billing_total=drift.billing,
            books_total=drift.books,
            drift=drift.net,
            drifting_customers=drift.drifting,
            status="green" if drift.drifting == 0 else "red",
            items=[ReconciliationRowRead.of(row) for row in report.customers.items],
            next_cursor=report.customers.next_cursor,
        )


# -- requests and refund lead time -------------------------------------------------------------


class OpenRequestRead(ResponseModel):
    request_id: UUID
    customer_id: UUID
    category: str | None
    status: str = Field(examples=["open", "in_progress", "waiting_customer"])
    opened_at: datetime
    due_at: datetime | None
    age_days: Days = Field(description="Days since it was opened.")
    late: bool = Field(description="Past its deadline.")

    @classmethod
    def of(cls, found: OpenRequest) -> OpenRequestRead:
        return cls.model_validate(found)


class OpenRequestPage(ResponseModel):
    items: list[OpenRequestRead]
    next_cursor: str | None


class RefundedRequestRead(ResponseModel):
    request_id: UUID
    customer_id: UUID
    opened_at: datetime
    refunded_at: datetime = Field(description="When the first refund naming it was issued.")
    days: Days


class RefundLeadTimeRead(ResponseModel):
    days: int
    since: datetime
    requests: int = Field(description="`refund` requests opened in the window.")
    refunded: int = Field(description="Those refunded: what the percentiles are taken over.")
    p50_days: Days | None
    p90_days: Days | None
    lead_times: list[RefundedRequestRead] = Field(description="Refunded requests, by opening.")
    open_count: int = Field(description="Refund requests neither refunded nor closed, any age.")
    open: list[OpenRequestRead] = Field(description="The oldest 100 of them, oldest first.")

    @classmethod
    def of(cls, found: RefundLeadTime) -> RefundLeadTimeRead:
        return cls(
            days=found.days,
            since=found.since,
            requests=found.requests,
            refunded=len(found.refunded),
            p50_days=found.p50,
            p90_days=found.p90,
            lead_times=[RefundedRequestRead.model_validate(r) for r in found.refunded],
            open_count=found.open_count,
            open=[OpenRequestRead.of(r) for r in found.open],
        )


# -- lists behind the pulse --------------------------------------------------------------------


class ManualEntryRead(ResponseModel):
    entry_id: UUID
    journal_code: str
    entry_number: str
    entry_date: date
    posted_at: datetime
    actor: str
    total: Money = Field(description="Total debit (= total credit).")
    receivables: Money = Field(description="Debit − credit on 411 and 416.")
    auxiliary_accounts: list[str]

    @classmethod
    def of(cls, found: ManualEntry) -> ManualEntryRead:
        return cls.model_validate(found)


class ManualEntryPage(ResponseModel):
    items: list[ManualEntryRead]
    next_cursor: str | None


class OutOfBandWriteRead(ResponseModel):
    event_id: UUID
    service: str = Field(examples=["billing"])
    table: str = Field(examples=["invoices"])
    operation: str = Field(examples=["UPDATE"])
    row_key: str
    db_role: str
    at: datetime | None = Field(description="When the write was made (the database's time).")
    recorded_at: datetime = Field(description="The event's time.")

    @classmethod
    def of(cls, row: Any) -> OutOfBandWriteRead:
        return cls(
            event_id=row.event_id,
            service=row.service,
            table=row.table_name,
            operation=row.operation,
            row_key=row.row_key,
            db_role=row.db_role,
            at=row.at,
            recorded_at=row.occurred_at,
        )


class OutOfBandWritePage(ResponseModel):
    items: list[OutOfBandWriteRead]
    next_cursor: str | None


class SuspendedRead(ResponseModel):
    source_event_id: UUID
    source_event_type: str
    error: str
    suspended_at: datetime
    age_days: Days
    customer_id: UUID | None = Field(description="When reporting read the suspended event.")
    amount: Money | None = Field(description="What it changes in the customer's balance.")


class SuspensePage(ResponseModel):
    items: list[SuspendedRead]
    next_cursor: str | None


class CorrectionRead(ResponseModel):
    kind: Literal["credit_note", "refund", "reversal"]
    id: UUID = Field(description="The event id (credit note, refund) or the entry id.")
    occurred_at: datetime
    customer_id: UUID | None
    reference: str | None = Field(description="Credit note number, refund id, entry number.")
    amount: Money


class CorrectionPage(ResponseModel):
    items: list[CorrectionRead]
    next_cursor: str | None


# -- the pulse ---------------------------------------------------------------------------------


class Figure(ResponseModel):
    status: Status | None = Field(
        description="green or red where the pulse sets a target (zero); none elsewhere."
    )
    href: str = Field(description="The list or report behind the figure.")


class CountFigure(Figure):
    count: int


class CorrectionsFigure(Figure):
    credit_notes: int
    refunds: int
    reversals: int
    total: int


class SuspenseFigure(Figure):
    count: int
    oldest_suspended_at: datetime | None
    oldest_age_days: Days | None


class DriftFigure(Figure):
    drift: Money = Field(description="billing − books over every customer.")
    drifting_customers: int


class LeadTimeFigure(Figure):
    p50_days: Days | None
    p90_days: Days | None
    refunded: int
    open: int


class DsoFigure(Figure):
    simple_days: Days | None
    count_back_days: Days
    receivables: Money
    sales: Money


class AmountFigure(Figure):
    amount: Money


class PulseRead(ResponseModel):
    as_of: date = Field(description="Today (Paris): the date of the states.")
    days: int
    since: datetime = Field(description="Start of the window of the flows.")
    status: Status = Field(description="red when any figure is red.")
    unresolved_requests: CountFigure
    late_requests: CountFigure
    manual_entries: CountFigure
    out_of_band_writes: CountFigure
    corrections: CorrectionsFigure
    suspense: SuspenseFigure
    drift: DriftFigure
    refund_lead_time: LeadTimeFigure
    dso: DsoFigure
    overdue: AmountFigure

    @classmethod
    def of(cls, found: Pulse, hrefs: dict[str, str]) -> PulseRead:
        statuses = found.statuses
        lead = found.refund_lead_time
        return cls(
            as_of=found.as_of,
            days=found.days,
            since=found.since,
            status=found.status,
            unresolved_requests=CountFigure(
                count=found.unresolved_requests, status=None, href=hrefs["unresolved_requests"]
            ),
            late_requests=CountFigure(
                count=found.late_requests, status=None, href=hrefs["late_requests"]
            ),
            manual_entries=CountFigure(
                count=found.manual_entries,
                status=statuses["manual_entries"],
                href=hrefs["manual_entries"],
            ),
            out_of_band_writes=CountFigure(
                count=found.out_of_band_writes,
                status=statuses["out_of_band_writes"],
                href=hrefs["out_of_band_writes"],
            ),
            corrections=CorrectionsFigure(
                credit_notes=found.corrections["credit_note"],
                refunds=found.corrections["refund"],
                reversals=found.corrections["reversal"],
                total=sum(found.corrections.values()),
                status=None,
                href=hrefs["corrections"],
            ),
            suspense=SuspenseFigure(
                count=found.suspended,
                oldest_suspended_at=found.oldest_suspended_at,
                oldest_age_days=found.oldest_suspension_days,
                status=statuses["suspense"],
                href=hrefs["suspense"],
            ),
            drift=DriftFigure(
                drift=found.drift.net,
                drifting_customers=found.drift.drifting,
                status=statuses["drift"],
                href=hrefs["drift"],
            ),
            refund_lead_time=LeadTimeFigure(
                p50_days=lead.p50,
                p90_days=lead.p90,
                refunded=len(lead.refunded),
                open=lead.open_count,
                status=None,
                href=hrefs["refund_lead_time"],
            ),
            dso=DsoFigure(
                simple_days=found.dso.simple,
                count_back_days=found.dso.count_back,
                receivables=found.dso.receivables,
                sales=found.dso.sales,
                status=None,
                href=hrefs["dso"],
            ),
            overdue=AmountFigure(amount=found.overdue, status=None, href=hrefs["overdue"]),
        )
