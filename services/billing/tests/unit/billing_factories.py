"""Builders of billing domain objects for unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from coulisse.billing.domain.amounts import Line
from coulisse.billing.domain.customers import BillingCustomer
from coulisse.billing.domain.invoices import Invoice
from coulisse.billing.domain.numbering import document_number

ISSUED_ON = date(2026, 10, 1)
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def line(
    quantity: str = "1",
    unit_price: str = "100.00",
    vat_rate: str = "20.0",
    description: str = "Prestation",
    revenue_account: str | None = None,
) -> Line:
    return Line.priced(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        vat_rate=Decimal(vat_rate),
        revenue_account=revenue_account,
    )


def customer(credit: str = "0.00") -> BillingCustomer:
    known = BillingCustomer(updated_at=NOW, id=uuid4())
    known.registered(
        now=NOW,
        account_number="C000042",
        display_name="Boulangerie Martin",
        email="compta@martin.example.fr",
        payment_terms_days=30,
    )
    known.credit_available = Decimal(credit)
    return known


def issued_invoice(
    *lines: Line,
    owner: BillingCustomer | None = None,
    sequence: int = 1,
    issued_on: date = ISSUED_ON,
) -> Invoice:
    owner = owner or customer()
    invoice = Invoice.draft(
        now=NOW,
        customer_id=owner.id,
        account_number=owner.ensure_known(),
        lines=list(lines) or [line()],
        currency="EUR",
    )
    invoice.issue(
        now=NOW,
        number=document_number("F", issued_on.year, sequence),
        issue_date=issued_on,
        due_date=issued_on + timedelta(days=30),
    )
    invoice.pull_events()
    return invoice
