"""Aged receivables and DSO, as of a date, from the dated movements of every invoice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from coulisse.platform.clock import BUSINESS_ZONE
from coulisse.platform.domain import InvalidInput
from coulisse.platform.pagination import Page, PageParams

from ..adapters.report_reads import DailySales, DisputeSpan, InvoiceOpen
from ..adapters.uow import ReportingUnitOfWork
from ..domain import aging, dso
from ..domain.aging import AgedBalance, Basis, Bucket, OpenInvoice
from ..domain.percentiles import as_utc
from .paging import RowKey, page_of

ZERO = Decimal("0.00")
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)


def check_as_of(as_of: date) -> date:
    """Reports go back years through months: a date far outside the books is refused."""
    if not EARLIEST <= as_of <= LATEST:
        raise InvalidInput(
            f"as_of is between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
            field="query.as_of",
        )
    return as_of


def _disputed_on(spans: Sequence[DisputeSpan], as_of: date) -> set[UUID]:
    """Invoices with a dispute opened on or before `as_of` and not resolved by then (dates in
    Paris, like every business date)."""

    def day(instant: datetime) -> date:
        return as_utc(instant).astimezone(BUSINESS_ZONE).date()

    found: set[UUID] = set()
    for span in spans:
        if span.opened_at is None or day(span.opened_at) > as_of:
            continue
        if span.resolved_at is None or day(span.resolved_at) > as_of:
            found.add(span.invoice_id)
    return found


@dataclass(frozen=True)
class CustomerRow:
    customer_id: UUID
    account_number: str | None

    @property
    def key(self) -> RowKey:
        return (self.account_number or "", str(self.customer_id))


@dataclass(frozen=True)
class AgedRow(CustomerRow):
    balance: AgedBalance


@dataclass(frozen=True)
class AgedReport:
    as_of: date
    basis: Basis
    buckets: tuple[Bucket, ...]
    total: AgedBalance
    books: Decimal
    """411 + 416 of the books, entries dated up to `as_of`."""
    customers: Page[AgedRow]

    @property
    def difference(self) -> Decimal:
        return self.total.balance - self.books


async def _aged(
    uow: ReportingUnitOfWork, as_of: date, basis: Basis, bounds: Sequence[int]
) -> aging.AgedReceivables:
    reads = uow.reports
    invoices = await reads.open_invoices(as_of)
    disputed = _disputed_on(await reads.disputes(), as_of)
    return aging.age_receivables(
        [_open(invoice, invoice.invoice_id in disputed) for invoice in invoices],
        await reads.on_account(as_of),
        as_of=as_of,
        basis=basis,
        bounds=bounds,
    )


def _open(invoice: InvoiceOpen, disputed: bool) -> OpenInvoice:
    return OpenInvoice(
        customer_id=invoice.customer_id,
        invoice_id=invoice.invoice_id,
        amount=invoice.amount,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        disputed=disputed,
    )


async def aged_receivables(
    uow: ReportingUnitOfWork, as_of: date, basis: Basis, bounds: Sequence[int], page: PageParams
) -> AgedReport:
    check_as_of(as_of)
    found = await _aged(uow, as_of, basis, bounds)
    numbers = await uow.reports.account_numbers()
    rows = sorted(
        (AgedRow(c, numbers.get(c), balance) for c, balance in found.customers.items()),
        key=lambda row: row.key,
    )
    return AgedReport(
        as_of=as_of,
        basis=basis,
        buckets=found.buckets,
        total=found.total,
        books=await uow.reports.books_receivables(as_of),
        customers=page_of(rows, lambda row: row.key, page),
    )


async def overdue(uow: ReportingUnitOfWork, as_of: date) -> Decimal:
    """What is past its due date on `as_of`, disputed or not."""
    found = await _aged(uow, as_of, "due_date", aging.DEFAULT_BOUNDS)
    return found.total.overdue


# -- DSO ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DsoFigures:
    receivables: Decimal
    """Open invoices on the date (disputed included, credit on account not deducted)."""
    sales: Decimal
    """Standard invoices issued in the `days` days ending on the date, VAT included."""
    simple: Decimal | None
    count_back: Decimal


@dataclass(frozen=True)
class DsoRow(CustomerRow):
    figures: DsoFigures


@dataclass(frozen=True)
class DsoPoint:
    month_end: date
    figures: DsoFigures


@dataclass(frozen=True)
class DsoReport:
    as_of: date
    days: int
    window: dso.Period
    total: DsoFigures
    customers: Page[DsoRow]
    trend: list[DsoPoint]


class SalesBook:
    """Sales per customer and day, summed over periods."""

    def __init__(self, daily: Sequence[DailySales]) -> None:
        self.by_customer: dict[UUID, dict[date, Decimal]] = defaultdict(dict)
        for sale in daily:
            days = self.by_customer[sale.customer_id]
            days[sale.on_date] = days.get(sale.on_date, ZERO) + sale.amount

    def customers(self) -> set[UUID]:
        return set(self.by_customer)

    def over(self, period: dso.Period, customer_id: UUID | None = None) -> Decimal:
        days = (
            [self.by_customer.get(customer_id, {})]
            if customer_id is not None
            else list(self.by_customer.values())
        )
        return sum(
            (amount for found in days for on, amount in found.items() if period.holds(on)), ZERO
        )


def _figures(
    receivables: Decimal,
    sales: SalesBook,
    as_of: date,
    days: int,
    customer_id: UUID | None = None,
) -> DsoFigures:
    period = dso.window(as_of, days)
    sold = sales.over(period, customer_id)
    months = [(p.days, sales.over(p, customer_id)) for p in dso.months_back(as_of)]
    return DsoFigures(
        receivables=receivables,
        sales=sold,
        simple=dso.simple_dso(receivables, sold, days),
        count_back=dso.count_back_dso(receivables, months),
    )


def _receivables(invoices: Sequence[InvoiceOpen]) -> dict[UUID, Decimal]:
    owed: dict[UUID, Decimal] = defaultdict(lambda: ZERO)
    for invoice in invoices:
        if invoice.amount > 0:
            owed[invoice.customer_id] += invoice.amount
    return dict(owed)


def _earliest(as_of: date, days: int, month_ends: Sequence[date]) -> date:
    first = min([as_of, *month_ends])
    return min(dso.months_back(first)[-1].start, dso.window(first, days).start)


async def dso_report(
    uow: ReportingUnitOfWork, as_of: date, days: int, page: PageParams
) -> DsoReport:
    check_as_of(as_of)
    reads = uow.reports
    ends = dso.month_ends(as_of)
    sales = SalesBook(await reads.daily_sales(_earliest(as_of, days, ends), as_of))
    owed = _receivables(await reads.open_invoices(as_of))
    numbers = await reads.account_numbers()
    period = dso.window(as_of, days)
    shown = set(owed) | {c for c in sales.customers() if sales.over(period, c) > 0}
    rows = sorted(
        (
            DsoRow(c, numbers.get(c), _figures(owed.get(c, ZERO), sales, as_of, days, c))
            for c in shown
        ),
        key=lambda row: row.key,
    )
    trend = []
    for end in ends:
        at_end = _receivables(await reads.open_invoices(end))
        trend.append(DsoPoint(end, _figures(_total(at_end), sales, end, days)))
    return DsoReport(
        as_of=as_of,
        days=days,
        window=period,
        total=_figures(_total(owed), sales, as_of, days),
        customers=page_of(rows, lambda row: row.key, page),
        trend=trend,
    )


def _total(owed: Mapping[UUID, Decimal]) -> Decimal:
    return sum(owed.values(), ZERO)


async def dso_today(uow: ReportingUnitOfWork, as_of: date, days: int) -> DsoFigures:
    """The overall DSO figures alone (the pulse's)."""
    reads = uow.reports
    sales = SalesBook(await reads.daily_sales(_earliest(as_of, days, []), as_of))
    owed = _receivables(await reads.open_invoices(as_of))
    return _figures(_total(owed), sales, as_of, days)
