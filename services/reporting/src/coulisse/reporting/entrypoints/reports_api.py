"""HTTP routes of the reports: aged receivables, DSO, reconciliation, refund lead time and the
back-office pulse."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from coulisse.platform.api import IsoDate, PageQuery
from coulisse.platform.clock import today
from coulisse.platform.openapi import problems

from ..application import operations, pulse, receivables, reconciliation
from ..domain import aging
from .deps import ClockDep, ReadScope, UowFactoryDep
from .reports_schemas import (
    AgedReceivablesRead,
    DsoRead,
    PulseRead,
    ReconciliationRead,
    RefundLeadTimeRead,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])

AS_OF_RANGE = (422, "`as_of` before 1970-01-01 or after 9998-12-31")
AsOf = Annotated[IsoDate | None, Query(description="Default: today (Paris).")]


def window_days(default: int, what: str) -> Any:
    """A `days` parameter: 1 to 3650."""
    return Query(ge=1, le=3650, description=f"{what} Default: {default}.")


@router.get(
    "/aged-receivables",
    response_model=AgedReceivablesRead,
    summary="Aged receivables as of a date, per customer and in total, checked against the books",
    description=(
        "Invoices issued on or before `as_of`, less what was paid, credited or written off on "
        "or before it, by days past due (or since issue) in buckets; disputed invoices apart; "
        "credit held on account shown so that `balance` is what the books hold on 411 + 416 "
        "at that date (`books`)."
    ),
    responses=problems(
        (422, "`buckets` not increasing positive whole numbers of days (at most 3650)"),
        AS_OF_RANGE,
    ),
)
async def aged_receivables(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    as_of: AsOf = None,
    basis: Annotated[
        Literal["due_date", "invoice_date"],
        Query(description="Age from the due date (default) or from the invoice date."),
    ] = "due_date",
    buckets: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[0-9]{1,4}(,[0-9]{1,4}){0,11}$",
            description="Upper bounds of the buckets after `not due`, increasing. "
            "Default: 30,60,90 (1–30, 31–60, 61–90, over 90).",
            examples=["30,60,90"],
        ),
    ] = None,
) -> AgedReceivablesRead:
    bounds = aging.parse_bounds(buckets)
    async with uow_factory() as uow:
        found = await receivables.aged_receivables(uow, as_of or today(clock), basis, bounds, page)
    return AgedReceivablesRead.of(found)


@router.get(
    "/dso",
    response_model=DsoRead,
    summary="Days sales outstanding (simple and count-back), per customer, with a 12-month trend",
    responses=problems(AS_OF_RANGE),
)
async def days_sales_outstanding(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    as_of: AsOf = None,
    days: Annotated[int, window_days(90, "The simple DSO's sales period, in days.")] = 90,
) -> DsoRead:
    async with uow_factory() as uow:
        found = await receivables.dso_report(uow, as_of or today(clock), days, page)
    return DsoRead.of(found)


@router.get(
    "/reconciliation",
    response_model=ReconciliationRead,
    summary="Billing's balance of each customer against the books' sub-ledger (411 + 416)",
    description=(
        "Per customer, billing's balance (invoices − credit notes − payments + refunds − "
        "write-offs) against the 411 + 416 lines on their auxiliary account, the drift, and "
        "for a customer that drifts the events and entries that explain it."
    ),
)
async def reconcile(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    drifting: Annotated[bool, Query(description="Only the customers that drift.")] = False,
) -> ReconciliationRead:
    async with uow_factory() as uow:
        found = await reconciliation.reconciliation(uow, page, drifting_only=drifting)
    return ReconciliationRead.of(found)


@router.get(
    "/refund-lead-time",
    response_model=RefundLeadTimeRead,
    summary="Refund lead time: from a `refund` request to the refund naming it (p50, p90)",
)
async def refund_lead_time(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    days: Annotated[int, window_days(90, "Requests opened in the last `days` days.")] = 90,
) -> RefundLeadTimeRead:
    async with uow_factory() as uow:
        found = await operations.refund_lead_time(uow, clock.now(), days)
    return RefundLeadTimeRead.of(found)


def hrefs(days: int) -> dict[str, str]:
    """The list or report behind each figure of the pulse."""
    base = "/v1/reports"
    return {
        "unresolved_requests": f"{base}/requests?state=unresolved",
        "late_requests": f"{base}/requests?state=late",
        "manual_entries": f"{base}/manual-entries?days={days}",
        "out_of_band_writes": f"{base}/out-of-band-writes?days={days}",
        "corrections": f"{base}/corrections?days={days}",
        "suspense": f"{base}/suspense",
        "drift": f"{base}/reconciliation?drifting=true",
        "refund_lead_time": f"{base}/refund-lead-time?days={days}",
        "dso": f"{base}/dso?days={days}",
        "overdue": f"{base}/aged-receivables",
    }


@router.get(
    "/pulse",
    response_model=PulseRead,
    summary="The back-office pulse: each figure green or red where a target is set, with a link",
    description=(
        "Green is zero manual entries and zero out-of-band writes in the last `days` days, "
        "zero suspended events and zero drift now; the overall status is red if any is."
    ),
)
async def get_pulse(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    days: Annotated[int, window_days(45, "The window of the flows, in days.")] = 45,
) -> PulseRead:
    async with uow_factory() as uow:
        found = await pulse.pulse(uow, clock.now(), days)
    return PulseRead.of(found, hrefs(days))
