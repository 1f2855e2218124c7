"""Mapping between rows and domain objects, written by hand (no ORM, no lazy loading).

Dates in JSON columns are ISO strings and amounts decimal strings: never a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ..domain.calendar import ONE_DAY, DayRange
from ..domain.charges import InterestPeriod, InterestRate, LateInterest
from ..domain.customers import CollectionsCustomer, Insolvency
from ..domain.disputes import Dispute
from ..domain.engine import Charge, DunningRun, Held, Notice, NoticeLine
from ..domain.plans import Installment, PaymentPlan
from ..domain.policy import DunningExclusion, DunningLevel, DunningPolicy
from ..domain.promises import PromiseToPay
from ..domain.rates import ContractRate, ReferenceRate
from ..domain.receivables import InvoiceFacts, Receivable, Reduction
from ..domain.waivers import ChargeWaiver
from ..domain.write_offs import WriteOff

Row = Mapping[Any, Any]


def group_by(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


# -- policies ----------------------------------------------------------------------------------


def policy_json(policy: DunningPolicy) -> list[dict[str, Any]]:
    return [
        {
            "days": level.days,
            "channel": level.channel,
            "name": level.name,
            "min_days_since_previous": level.min_days_since_previous,
            "assesses": sorted(level.assesses),
        }
        for level in policy.levels
    ]


def policy_from_json(levels: list[dict[str, Any]]) -> DunningPolicy:
    return DunningPolicy.of(
        DunningLevel(
            days=int(level["days"]),
            channel=level["channel"],
            name=str(level["name"]),
            min_days_since_previous=int(level["min_days_since_previous"]),
            assesses=frozenset(level["assesses"]),
        )
        for level in levels
    )


# -- customers ---------------------------------------------------------------------------------


def customer_values(customer: CollectionsCustomer, now: datetime) -> dict[str, Any]:
    exclusion, insolvency = customer.exclusion, customer.insolvency
    contract = customer.contract_rate
    return {
        "kind": customer.kind,
        "account_number": customer.account_number,
        "payment_terms_days": customer.payment_terms_days,
        "erased": customer.erased,
        "policy": None if customer.policy is None else policy_json(customer.policy),
        "exclusion_reason": exclusion.reason if exclusion else None,
        "exclusion_until": exclusion.until if exclusion else None,
        "insolvency_kind": insolvency.kind if insolvency else None,
        "insolvency_opened_on": insolvency.opened_on if insolvency else None,
        "contract_rate": contract.rate if contract else None,
        "contract_rate_from": contract.effective_on if contract else None,
        "contract_rate_reference": contract.reference if contract else None,
        "updated_at": now,
    }


def customer_from_row(row: Row) -> CollectionsCustomer:
    exclusion = None
    if row["exclusion_reason"] is not None:
        exclusion = DunningExclusion(reason=row["exclusion_reason"], until=row["exclusion_until"])
    insolvency = None
    if row["insolvency_kind"] is not None:
        insolvency = Insolvency(kind=row["insolvency_kind"], opened_on=row["insolvency_opened_on"])
    contract = None
    if row["contract_rate"] is not None:
        contract = ContractRate(
            rate=row["contract_rate"],
            effective_on=row["contract_rate_from"],
            reference=row["contract_rate_reference"],
        )
    return CollectionsCustomer(
        customer_id=row["id"],
        kind=row["kind"],
        account_number=row["account_number"],
        policy=None if row["policy"] is None else policy_from_json(row["policy"]),
        exclusion=exclusion,
        insolvency=insolvency,
        payment_terms_days=row["payment_terms_days"],
        contract_rate=contract,
        erased=row["erased"],
    )


# -- receivables -------------------------------------------------------------------------------


def receivable_values(receivable: Receivable, now: datetime) -> dict[str, Any]:
    invoice = receivable.invoice
    return {
        "customer_id": receivable.customer_id,
        "number": invoice.number if invoice else None,
        "kind": invoice.kind if invoice else None,
        "issue_date": invoice.issue_date if invoice else None,
        "due_date": invoice.due_date if invoice else None,
        "gross": invoice.gross if invoice else None,
        "vat": invoice.vat if invoice else None,
        "paid": receivable.paid,
        "credited": receivable.credited,
        "written_off": receivable.written_off,
        "amount_due": receivable.amount_due,
        "level": receivable.level,
        "level_reached_on": receivable.level_reached_on,
        "indemnity_assessed_on": receivable.indemnity_assessed_on,
        "interest_assessed_through": receivable.interest_assessed_through,
        "plan_id": receivable.plan_id,
        "waived_charges": sorted(receivable.waived_charges),
        "doubtful_on": receivable.doubtful_on,
        "settled_on": receivable.settled_on,
        "updated_at": now,
    }


def fact_values(invoice_id: UUID, fact_id: UUID, fact: Reduction) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "fact_id": fact_id,
        "kind": fact.kind,
        "day": fact.on,
        "amount": fact.amount,
    }


def receivable_from_row(
    row: Row, facts: Iterable[Row] = (), disputes: Iterable[Row] = ()
) -> Receivable:
    invoice = None
    if row["number"] is not None:
        invoice = InvoiceFacts(
            number=row["number"],
            kind=row["kind"],
            issue_date=row["issue_date"],
            due_date=row["due_date"],
            gross=row["gross"],
            vat=row["vat"],
        )
    open_disputes: dict[UUID, date] = {}
    periods: list[DayRange] = []
    for dispute in disputes:
        if dispute["status"] == "open":
            open_disputes[dispute["id"]] = dispute["opened_on"]
        elif dispute["opened_on"] < dispute["resolved_on"]:
            # As Receivable.dispute_resolved: the day of the resolution counts again.
            periods.append(DayRange(dispute["opened_on"], dispute["resolved_on"] - ONE_DAY))
    return Receivable(
        invoice_id=row["invoice_id"],
        customer_id=row["customer_id"],
        invoice=invoice,
        paid=row["paid"],
        credited=row["credited"],
        written_off=row["written_off"],
        level=row["level"],
        level_reached_on=row["level_reached_on"],
        indemnity_assessed_on=row["indemnity_assessed_on"],
        interest_assessed_through=row["interest_assessed_through"],
        open_disputes=open_disputes,
        dispute_periods=sorted(periods),
        plan_id=row["plan_id"],
        waived_charges=frozenset(row["waived_charges"]),
        doubtful_on=row["doubtful_on"],
        settled_on=row["settled_on"],
        facts={f["fact_id"]: Reduction(f["kind"], f["day"], f["amount"]) for f in facts},
    )


# -- disputes, promises, plans, write-offs -----------------------------------------------------


def dispute_values(dispute: Dispute) -> dict[str, Any]:
    return {
        "customer_id": dispute.customer_id,
        "invoice_id": dispute.invoice_id,
        "reason": dispute.reason,
        "opened_on": dispute.opened_on,
        "status": dispute.status,
        "outcome": dispute.outcome,
        "resolved_on": dispute.resolved_on,
    }


def dispute_from_row(row: Row) -> Dispute:
    return Dispute(
        dispute_id=row["id"],
        customer_id=row["customer_id"],
        invoice_id=row["invoice_id"],
        reason=row["reason"],
        opened_on=row["opened_on"],
        status=row["status"],
        outcome=row["outcome"],
        resolved_on=row["resolved_on"],
    )


def promise_values(promise: PromiseToPay) -> dict[str, Any]:
    return {
        "customer_id": promise.customer_id,
        "amount": promise.amount,
        "promised_on": promise.promised_on,
        "recorded_on": promise.recorded_on,
        "grace_days": promise.grace_days,
        "request_id": promise.request_id,
        "status": promise.status,
        "paid": promise.paid,
        "closed_on": promise.closed_on,
        "counted_payments": sorted(str(p) for p in promise.counted_payments),
    }


def promise_from_row(row: Row) -> PromiseToPay:
    return PromiseToPay(
        promise_id=row["id"],
        customer_id=row["customer_id"],
        amount=row["amount"],
        promised_on=row["promised_on"],
        recorded_on=row["recorded_on"],
        grace_days=row["grace_days"],
        request_id=row["request_id"],
        status=row["status"],
        paid=row["paid"],
        closed_on=row["closed_on"],
        counted_payments={UUID(p) for p in row["counted_payments"]},
    )


def plan_values(plan: PaymentPlan) -> dict[str, Any]:
    return {
        "customer_id": plan.customer_id,
        "invoice_ids": [str(i) for i in plan.invoice_ids],
        "installments": [
            {"due_date": i.due_date.isoformat(), "amount": f"{i.amount:.2f}"}
            for i in plan.installments
        ],
        "agreed_on": plan.agreed_on,
        "grace_days": plan.grace_days,
        "status": plan.status,
        "received": [
            {
                "fact_id": str(fact_id),
                "invoice_id": str(invoice_id),
                "on": on.isoformat(),
                "amount": f"{amount:.2f}",
            }
            for (fact_id, invoice_id), (on, amount) in plan.received.items()
        ],
        "missed_due_date": plan.missed.due_date if plan.missed else None,
        "missed_amount": plan.missed.amount if plan.missed else None,
        "closed_on": plan.closed_on,
    }


def plan_from_row(row: Row) -> PaymentPlan:
    missed = None
    if row["missed_due_date"] is not None:
        missed = Installment(due_date=row["missed_due_date"], amount=row["missed_amount"])
    return PaymentPlan(
        plan_id=row["id"],
        customer_id=row["customer_id"],
        invoice_ids=tuple(UUID(i) for i in row["invoice_ids"]),
        installments=tuple(
            Installment(due_date=date.fromisoformat(i["due_date"]), amount=Decimal(i["amount"]))
            for i in row["installments"]
        ),
        agreed_on=row["agreed_on"],
        grace_days=row["grace_days"],
        status=row["status"],
        received={
            (UUID(r["fact_id"]), UUID(r["invoice_id"])): (
                date.fromisoformat(r["on"]),
                Decimal(r["amount"]),
            )
            for r in row["received"]
        },
        missed=missed,
        closed_on=row["closed_on"],
    )


def waiver_values(waiver: ChargeWaiver, now: datetime) -> dict[str, Any]:
    return {
        "id": waiver.waiver_id,
        "customer_id": waiver.customer_id,
        "invoice_id": waiver.invoice_id,
        "invoice_number": waiver.invoice_number,
        "kind": waiver.kind,
        "reason": waiver.reason,
        "waived_on": waiver.waived_on,
        "created_at": now,
    }


def waiver_from_row(row: Row) -> ChargeWaiver:
    return ChargeWaiver(
        waiver_id=row["id"],
        customer_id=row["customer_id"],
        invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"],
        kind=row["kind"],
        reason=row["reason"],
        waived_on=row["waived_on"],
    )


def reference_rate_values(rate: ReferenceRate, now: datetime) -> dict[str, Any]:
    return {
        "kind": rate.kind,
        "effective_on": rate.effective_on,
        "rate": rate.rate,
        "source": rate.source,
        "recorded_at": now,
    }


def reference_rate_from_row(row: Row) -> ReferenceRate:
    return ReferenceRate(
        kind=row["kind"], effective_on=row["effective_on"], rate=row["rate"], source=row["source"]
    )


def write_off_values(write_off: WriteOff) -> dict[str, Any]:
    return {
        "id": write_off.write_off_id,
        "customer_id": write_off.customer_id,
        "invoice_id": write_off.invoice_id,
        "account_number": write_off.account_number,
        "invoice_number": write_off.invoice_number,
        "reason": write_off.reason,
        "amount_net": write_off.amount_net,
        "amount_vat": write_off.amount_vat,
        "amount_gross": write_off.amount_gross,
        "written_off_on": write_off.written_off_on,
        "was_doubtful": write_off.was_doubtful,
    }


def write_off_from_row(row: Row) -> WriteOff:
    return WriteOff(
        write_off_id=row["id"],
        customer_id=row["customer_id"],
        account_number=row["account_number"],
        invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"],
        reason=row["reason"],
        amount_net=row["amount_net"],
        amount_vat=row["amount_vat"],
        amount_gross=row["amount_gross"],
        written_off_on=row["written_off_on"],
        was_doubtful=row["was_doubtful"],
    )


# -- runs, notices and fees --------------------------------------------------------------------


def held_json(held: Iterable[Held]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": str(h.customer_id),
            "invoice_id": str(h.invoice_id),
            "invoice_number": h.invoice_number,
            "level": h.level,
            "reason": h.reason,
        }
        for h in held
    ]


def held_from_json(held: Iterable[dict[str, Any]]) -> list[Held]:
    return [
        Held(
            customer_id=UUID(h["customer_id"]),
            invoice_id=UUID(h["invoice_id"]),
            invoice_number=h["invoice_number"],
            level=int(h["level"]),
            reason=h["reason"],
        )
        for h in held
    ]


def notice_values(notice: Notice, run_id: UUID) -> dict[str, Any]:
    return {
        "id": notice.notice_id,
        "run_id": run_id,
        "customer_id": notice.customer_id,
        "level": notice.level,
        "level_name": notice.level_name,
        "channel": notice.channel,
        "sent_on": notice.sent_on,
        "amount_due": notice.amount_due,
    }


def notice_line_values(notice: Notice) -> list[dict[str, Any]]:
    return [
        {
            "notice_id": notice.notice_id,
            "position": position,
            "invoice_id": line.invoice_id,
            "invoice_number": line.invoice_number,
            "due_date": line.due_date,
            "amount_due": line.amount_due,
            "days_late": line.days_late,
        }
        for position, line in enumerate(notice.lines, start=1)
    ]


def notice_from_row(row: Row, lines: Iterable[Row]) -> Notice:
    return Notice(
        notice_id=row["id"],
        customer_id=row["customer_id"],
        level=row["level"],
        level_name=row["level_name"],
        channel=row["channel"],
        sent_on=row["sent_on"],
        lines=tuple(
            NoticeLine(
                invoice_id=line["invoice_id"],
                invoice_number=line["invoice_number"],
                due_date=line["due_date"],
                amount_due=line["amount_due"],
                days_late=line["days_late"],
            )
            for line in sorted(lines, key=lambda line: int(line["position"]))
        ),
    )


def interest_json(interest: LateInterest) -> dict[str, Any]:
    return {
        "base": f"{interest.base:.2f}",
        "periods": [
            {
                "first_day": p.days.first.isoformat(),
                "last_day": p.days.last.isoformat(),
                "rate": format(p.rate.rate, "f"),
                "effective_on": p.rate.effective_on.isoformat(),
                "ends_on": None if p.rate.ends_on is None else p.rate.ends_on.isoformat(),
                "source": p.rate.source,
            }
            for p in interest.periods
        ],
    }


def interest_from_json(data: dict[str, Any], amount: Decimal) -> LateInterest:
    return LateInterest(
        base=Decimal(data["base"]),
        periods=tuple(
            InterestPeriod(
                days=DayRange(
                    date.fromisoformat(p["first_day"]), date.fromisoformat(p["last_day"])
                ),
                rate=InterestRate(
                    effective_on=date.fromisoformat(p["effective_on"]),
                    rate=Decimal(p["rate"]),
                    source=p["source"],
                    ends_on=None if p["ends_on"] is None else date.fromisoformat(p["ends_on"]),
                ),
            )
            for p in data["periods"]
        ),
        amount=amount,
    )


def fee_values(charge: Charge, run_id: UUID, position: int) -> dict[str, Any]:
    return {
        "id": charge.fee_id,
        "run_id": run_id,
        "position": position,
        "customer_id": charge.customer_id,
        "invoice_id": charge.invoice_id,
        "invoice_number": charge.invoice_number,
        "kind": charge.kind,
        "amount": charge.amount,
        "assessed_on": charge.assessed_on,
        "interest": None if charge.interest is None else interest_json(charge.interest),
    }


def fee_from_row(row: Row) -> Charge:
    return Charge(
        fee_id=row["id"],
        customer_id=row["customer_id"],
        invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"],
        kind=row["kind"],
        amount=row["amount"],
        assessed_on=row["assessed_on"],
        interest=None
        if row["interest"] is None
        else interest_from_json(row["interest"], row["amount"]),
    )


def run_from_rows(row: Row, notices: Iterable[Notice], fee_rows: Iterable[Row]) -> DunningRun:
    """The run as it was recorded."""
    return DunningRun(
        as_of=row["as_of"],
        run_id=row["id"],
        notices=list(notices),
        charges=[fee_from_row(fee) for fee in fee_rows],
        held=held_from_json(row["held"]),
    )
