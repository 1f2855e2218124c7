"""A month of business for three customers: what the export tests give the gateway to book."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import gateway_samples as samples

from coulisse.platform.envelope import OutgoingEvent

D = Decimal
CUSTOMERS = {
    "C000101": "Menuiserie Lefèvre SARL",
    "C000102": "Boulangerie Martin",
    "C000103": "Café des Arts",
}


def scenario(start: date = date(2026, 2, 2)) -> list[OutgoingEvent]:
    """Invoices, a fee invoice, credit notes, payments (partial, over), a refund, a doubtful
    receivable written off: every kind of entry the rules make, most of them lettered."""
    events: list[OutgoingEvent] = []
    number = 0
    for i, (aux, name) in enumerate(CUSTOMERS.items()):
        customer = uuid4()
        day = start + timedelta(days=i)
        events.append(samples.envelope(samples.customer_registered(aux, name, customer)))
        invoices = []
        for k in range(3):
            number += 1
            invoices.append(
                samples.invoice(
                    customer_id=customer,
                    account_number=aux,
                    issue_date=day + timedelta(days=k),
                    lines=[
                        (D(f"{100 + 10 * k + i}.{k}5"), D("20.0"), None),
                        (D("19.99"), D("5.5"), "7063"),
                    ],
                    number=f"F2026-{number:06d}",
                )
            )
        first, second, third = invoices
        credit = samples.credit_note(
            second,
            issue_date=day + timedelta(days=5),
            lines=[(D("19.99"), D("5.5"), "7063")],
            number=f"A2026-{i + 1:06d}",
        )
        paid = samples.payment(
            customer_id=customer,
            account_number=aux,
            received_on=day + timedelta(days=10),
            allocations=[
                (first, first.total_gross),
                (second, second.total_gross - credit.total_gross),
            ],
            unallocated=D("7.50"),
        )
        refund = samples.refund(
            customer_id=customer,
            account_number=aux,
            amount=D("7.50"),
            issued_on=day + timedelta(days=12),
        )
        doubtful = samples.classified_doubtful(
            [third], amount_gross=third.total_gross, classified_on=day + timedelta(days=20)
        )
        off = samples.written_off(
            third,
            amount_net=third.total_net,
            amount_vat=third.total_vat,
            written_off_on=day + timedelta(days=25),
            was_doubtful=True,
        )
        fee = samples.invoice(
            customer_id=customer,
            account_number=aux,
            issue_date=day + timedelta(days=21),
            lines=[(D("40.00"), D("0.0"), None)],
            number=f"F2026-{900 + i:06d}",
            kind="fee",
        )
        events.extend(
            samples.envelope(e, actor="web-shop")
            for e in (*invoices, credit, paid, refund, doubtful, off, fee)
        )
    return events
