"""Mapping between rows and domain objects, written by hand (no ORM, no lazy loading)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from coulisse.platform.repository import aware

from ..domain.amounts import Line, RateAmounts
from ..domain.credit_notes import CreditNote
from ..domain.customers import BillingCustomer
from ..domain.invoices import Invoice
from ..domain.payments import Payment, PaymentAllocation
from ..domain.refunds import Refund


def customer_values(customer: BillingCustomer) -> dict[str, Any]:
    return {
        "status": customer.status,
        "account_number": customer.account_number,
        "display_name": customer.display_name,
        "email": customer.email,
        "payment_terms_days": customer.payment_terms_days,
        "credit_available": customer.credit_available,
        "updated_at": customer.updated_at,
    }


def customer_from_row(row: Mapping[Any, Any]) -> BillingCustomer:
    return BillingCustomer(
        id=row["id"],
        status=row["status"],
        account_number=row["account_number"],
        display_name=row["display_name"],
        email=row["email"],
        payment_terms_days=row["payment_terms_days"],
        credit_available=row["credit_available"],
        updated_at=aware(row["updated_at"]),
    )


def line_values(lines: Iterable[Line]) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "description": line.description,
            "quantity": format(line.quantity, "f"),
            "unit_price": line.unit_price,
            "vat_rate": format(line.vat_rate, "f"),
            "net": line.net,
            "vat": line.vat,
            "revenue_account": line.revenue_account,
        }
        for position, line in enumerate(lines, start=1)
    ]


def line_from_row(row: Mapping[Any, Any]) -> Line:
    return Line(
        description=row["description"],
        quantity=Decimal(row["quantity"]),
        unit_price=row["unit_price"],
        vat_rate=Decimal(row["vat_rate"]),
        net=row["net"],
        vat=row["vat"],
        revenue_account=row["revenue_account"],
    )


def invoice_values(invoice: Invoice) -> dict[str, Any]:
    totals = invoice.totals
    return {
        "customer_id": invoice.customer_id,
        "account_number": invoice.account_number,
        "kind": invoice.kind,
        "status": invoice.status,
        "number": invoice.number,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "total_net": totals.net,
        "total_vat": totals.vat,
        "total_gross": totals.gross,
        "amount_paid": invoice.paid,
        "amount_credited": invoice.credited,
        "credited_by_rate": {
            format(rate, "f"): {"net": f"{amounts.net:.2f}", "vat": f"{amounts.vat:.2f}"}
            for rate, amounts in invoice.credited_by_rate.items()
        },
        "credit_applied": invoice.credit_applied,
        "amount_written_off": invoice.written_off,
        "amount_due": invoice.amount_due,
        "written_off_on": invoice.written_off_on,
        "source_fee_id": invoice.source_fee_id,
        "created_at": invoice.created_at,
        "issued_at": invoice.issued_at,
        "version": invoice.version,
    }


def invoice_from_row(row: Mapping[Any, Any], lines: list[Line]) -> Invoice:
    credited_by_rate = {}
    for rate_text, amounts in (row["credited_by_rate"] or {}).items():
        rate = Decimal(rate_text)
        credited_by_rate[rate] = RateAmounts(rate, Decimal(amounts["net"]), Decimal(amounts["vat"]))
    return Invoice(
        id=row["id"],
        customer_id=row["customer_id"],
        account_number=row["account_number"],
        kind=row["kind"],
        currency=row["currency"],
        lines=lines,
        status=row["status"],
        number=row["number"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        paid=row["amount_paid"],
        credited=row["amount_credited"],
        credited_by_rate=credited_by_rate,
        credit_applied=row["credit_applied"],
        written_off=row["amount_written_off"],
        written_off_on=row["written_off_on"],
        source_fee_id=row["source_fee_id"],
        created_at=aware(row["created_at"]),
        issued_at=aware(row["issued_at"]),
        version=row["version"],
    )


def credit_note_values(note: CreditNote) -> dict[str, Any]:
    totals = note.totals
    return {
        "id": note.id,
        "number": note.number,
        "invoice_id": note.invoice_id,
        "invoice_number": note.invoice_number,
        "customer_id": note.customer_id,
        "account_number": note.account_number,
        "currency": note.currency,
        "issue_date": note.issue_date,
        "reason": note.reason,
        "total_net": totals.net,
        "total_vat": totals.vat,
        "total_gross": totals.gross,
        "to_customer_credit": note.to_customer_credit,
        "created_at": note.created_at,
    }


def credit_note_from_row(row: Mapping[Any, Any], lines: list[Line]) -> CreditNote:
    return CreditNote(
        id=row["id"],
        number=row["number"],
        invoice_id=row["invoice_id"],
        invoice_number=row["invoice_number"],
        customer_id=row["customer_id"],
        account_number=row["account_number"],
        currency=row["currency"],
        issue_date=row["issue_date"],
        reason=row["reason"],
        lines=lines,
        to_customer_credit=row["to_customer_credit"],
        created_at=aware(row["created_at"]),
    )


def payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "account_number": payment.account_number,
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        "received_on": payment.received_on,
        "external_ref": payment.external_ref,
        "unallocated": payment.unallocated,
        "created_at": payment.created_at,
    }


def allocation_values(payment: Payment) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": payment.id,
            "invoice_id": allocation.invoice_id,
            "position": position,
            "invoice_number": allocation.invoice_number,
            "amount": allocation.amount,
        }
        for position, allocation in enumerate(payment.allocations, start=1)
    ]


def payment_from_row(row: Mapping[Any, Any], allocations: list[Mapping[Any, Any]]) -> Payment:
    return Payment(
        id=row["id"],
        customer_id=row["customer_id"],
        account_number=row["account_number"],
        amount=row["amount"],
        currency=row["currency"],
        method=row["method"],
        received_on=row["received_on"],
        external_ref=row["external_ref"],
        allocations=[
            PaymentAllocation(a["invoice_id"], a["invoice_number"], a["amount"])
            for a in allocations
        ],
        unallocated=row["unallocated"],
        created_at=aware(row["created_at"]),
    )


def refund_values(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "customer_id": refund.customer_id,
        "account_number": refund.account_number,
        "amount": refund.amount,
        "currency": refund.currency,
        "method": refund.method,
        "issued_on": refund.issued_on,
        "reason": refund.reason,
        "request_id": refund.request_id,
        "created_at": refund.created_at,
    }


def refund_from_row(row: Mapping[Any, Any]) -> Refund:
    return Refund(
        id=row["id"],
        customer_id=row["customer_id"],
        account_number=row["account_number"],
        amount=row["amount"],
        currency=row["currency"],
        method=row["method"],
        issued_on=row["issued_on"],
        reason=row["reason"],
        request_id=row["request_id"],
        created_at=aware(row["created_at"]),
    )


def group_by(rows: Iterable[Mapping[Any, Any]], key: str) -> dict[UUID, list[Mapping[Any, Any]]]:
    grouped: dict[UUID, list[Mapping[Any, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped
