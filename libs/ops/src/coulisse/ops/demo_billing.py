"""Demo billing data: four months (August to November 2026) of a small company's invoicing,
loaded through billing's public API like a front end would.

The story: monthly maintenance invoices paid on time, an invoice paid late, a partial payment,
an invoice corrected by a credit note (wrong VAT rate on books), an invoice paid twice by a hotel
whose overpayment is then refunded, an intra-EU customer invoiced without French VAT, and a
disputed invoice still open. Numbers follow dates, so every step runs in date order.

Loading twice changes nothing: every creation carries an `Idempotency-Key` (replayed for 24 h),
and once the last step is found the demo is known to be loaded and nothing is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import httpx

Action = Literal["invoice", "payment", "credit_note", "refund"]


@dataclass(frozen=True)
class Step:
    on: date
    name: str
    """Unique: the idempotency key's suffix, and how later steps name this one's invoice."""
    customer: str
    """A role below, played by one of the customers given."""
    action: Action
    body: dict[str, Any] = field(default_factory=dict)
    invoice: str | None = None
    """For a credit note: the `name` of the invoice step it credits."""
    request: str | None = None
    """For a refund: the `key` of the customer demo's request it answers (`request_id`)."""


def _line(
    description: str,
    unit_price: str,
    vat_rate: str = "20.0",
    quantity: str = "1",
    revenue_account: str | None = "706100",
) -> dict[str, Any]:
    line = {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "vat_rate": vat_rate,
    }
    if revenue_account is not None:
        line["revenue_account"] = revenue_account
    return line


MAINTENANCE = _line("Contrat de maintenance mensuel", "450.00")
SUPPLIES = _line("Consommables d'entretien", "12.40", quantity="6", revenue_account="707100")

ROLES: dict[str, str] = {
    # role: the display name of the customer demo's customer that plays it, when present
    "martin": "Boulangerie Martin & Fils",
    "dubois": "Atelier Dubois Menuiserie",
    "moreau": "Cabinet Moreau Architectes",
    "rivage": "Hôtel Le Grand Rivage",
    "fontaine": "Librairie Fontaine",
    "desmet": "Brasserie De Smet",
    "bernard": "Camille Bernard",
    "petit": "Julien Petit",
}


def _invoice(on: date, name: str, customer: str, *lines: dict[str, Any]) -> Step:
    body = {"issue_date": on.isoformat(), "currency": "EUR", "lines": list(lines)}
    return Step(on, name, customer, "invoice", body)


def _payment(on: date, name: str, customer: str, amount: str, method: str = "transfer") -> Step:
    body = {
        "amount": amount,
        "currency": "EUR",
        "method": method,
        "received_on": on.isoformat(),
        "external_ref": f"DEMO-{name.upper()}",
    }
    return Step(on, name, customer, "payment", body)


STEPS: tuple[Step, ...] = (
    # August
    _invoice(date(2026, 8, 3), "martin-aug", "martin", MAINTENANCE, SUPPLIES),
    _invoice(
        date(2026, 8, 5),
        "moreau-aug",
        "moreau",
        _line("Audit énergétique des bureaux", "1200.00"),
        _line("Relevés sur site", "95.00", quantity="3"),
    ),
    _invoice(date(2026, 8, 10), "dubois-aug", "dubois", MAINTENANCE),
    _invoice(
        date(2026, 8, 18),
        "bernard-aug",
        "bernard",
        _line("Travaux d'isolation (logement de plus de deux ans)", "380.00", "10.0"),
    ),
    _payment(date(2026, 8, 18), "bernard-aug-card", "bernard", "418.00", "card"),
    _payment(date(2026, 8, 31), "martin-aug-transfer", "martin", "629.28"),
    # September
    _invoice(date(2026, 9, 1), "martin-sep", "martin", MAINTENANCE),
    Step(
        date(2026, 9, 4),
        "moreau-aug-credit",
        "moreau",
        "credit_note",
        {
            "issue_date": "2026-09-04",
            "reason": "Relevé sur site facturé en trop (deux déplacements, pas trois)",
            "lines": [_line("Relevés sur site", "95.00")],
        },
        invoice="moreau-aug",
    ),
    _invoice(date(2026, 9, 7), "dubois-sep", "dubois", MAINTENANCE),
    _invoice(
        date(2026, 9, 15),
        "rivage-sep",
        "rivage",
        _line("Rénovation de la cuisine professionnelle", "1041.67"),
    ),
    _invoice(
        date(2026, 9, 16),
        "bernard-sep",
        "bernard",
        _line("Travaux d'isolation, seconde tranche", "220.00", "10.0"),
    ),
    _payment(date(2026, 9, 20), "moreau-sep-transfer", "moreau", "1668.00"),
    _payment(date(2026, 9, 30), "martin-sep-transfer", "martin", "540.00"),
    # October
    _invoice(date(2026, 10, 1), "martin-oct", "martin", MAINTENANCE, SUPPLIES),
    _payment(date(2026, 10, 5), "rivage-oct-transfer", "rivage", "1250.00"),
    _payment(date(2026, 10, 6), "rivage-oct-duplicate", "rivage", "1250.00"),
    _invoice(date(2026, 10, 6), "dubois-oct", "dubois", MAINTENANCE),
    # Dubois pays August late, and part of September.
    _payment(date(2026, 10, 9), "dubois-oct-transfer", "dubois", "800.00"),
    _invoice(
        date(2026, 10, 12),
        "fontaine-oct",
        "fontaine",
        _line("Ouvrages techniques", "24.50", "20.0", quantity="40", revenue_account="707100"),
        _line("Mise en rayon", "150.00"),
    ),
    _invoice(
        date(2026, 10, 14),
        "desmet-oct",
        "desmet",
        _line(
            "Maintenance (autoliquidation, art. 196 directive 2006/112/CE)",
            "450.00",
            "0.0",
        ),
    ),
    _payment(date(2026, 10, 19), "bernard-oct-late", "bernard", "242.00"),
    _invoice(
        date(2026, 10, 20),
        "petit-oct",
        "petit",
        _line("Intervention de dépannage", "140.00", "10.0"),
    ),
    _payment(date(2026, 10, 30), "martin-oct-transfer", "martin", "629.28"),
    # November
    _invoice(date(2026, 11, 2), "martin-nov", "martin", MAINTENANCE),
    Step(
        date(2026, 11, 3),
        "fontaine-oct-credit",
        "fontaine",
        "credit_note",
        {
            "issue_date": "2026-11-03",
            "reason": "TVA à 20 % appliquée aux ouvrages au lieu de 5,5 %",
            "lines": [
                _line("Ouvrages techniques", "24.50", "20.0", "40", revenue_account="707100")
            ],
        },
        invoice="fontaine-oct",
    ),
    _invoice(
        date(2026, 11, 3),
        "fontaine-nov",
        "fontaine",
        _line("Ouvrages techniques (refacturation)", "24.50", "5.5", "40", "707100"),
    ),
    _invoice(date(2026, 11, 4), "dubois-nov", "dubois", MAINTENANCE),
    Step(
        date(2026, 11, 10),
        "rivage-nov-refund",
        "rivage",
        "refund",
        {
            "amount": "1250.00",
            "currency": "EUR",
            "method": "transfer",
            "reason": "overpayment",
            "issued_on": "2026-11-10",
        },
        request="grand-rivage-refund",
    ),
    _payment(date(2026, 11, 12), "desmet-nov-transfer", "desmet", "450.00"),
    _payment(date(2026, 11, 16), "fontaine-nov-transfer", "fontaine", "1213.90"),
    _payment(date(2026, 11, 20), "martin-nov-transfer", "martin", "540.00"),
)


TIMELINE = tuple(sorted(STEPS, key=lambda step: step.on))


def _cast(customers: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Who plays each role: the customer of that name, else one in turn."""
    by_name = {str(c.get("display_name")): c for c in customers}
    return {
        role: by_name.get(name, customers[index % len(customers)])
        for index, (role, name) in enumerate(ROLES.items())
    }


def _check(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(
            f"billing demo, {what}: HTTP {response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


async def wait_until_known(
    client: httpx.AsyncClient, customer_id: str, *, timeout: float = 60.0
) -> None:
    """Billing learns customers from `customer.events`: wait until it knows this one."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/v1/customers/{customer_id}/balance")
        if response.status_code == 200:
            return
        if response.status_code not in (404, 422):
            _check(response, f"reading the balance of {customer_id}")
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"billing did not learn customer {customer_id} within {timeout:.0f} s: "
                "is its consumer of customer.events running?"
            )
        await asyncio.sleep(0.5)


async def _already_loaded(client: httpx.AsyncClient, cast: dict[str, dict[str, Any]]) -> bool:
    last = TIMELINE[-1]
    payments = _check(
        await client.get(
            "/v1/payments", params={"customer_id": cast[last.customer]["id"], "limit": 500}
        ),
        "listing payments",
    )
    return any(p.get("external_ref") == last.body["external_ref"] for p in payments["items"])


async def load_billing_demo(
    client: httpx.AsyncClient,
    customers: list[dict[str, Any]],
    *,
    requests: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Loads the demo for `customers` (customer API resources); `client` talks to billing with
    every scope. `requests`: the customer demo's request ids by key, for the refund that
    answers one (reporting's refund lead time); without them the refund names no request."""
    if not customers:
        return
    for customer in customers:
        await wait_until_known(client, str(customer["id"]), timeout=timeout)
    cast = _cast(customers)
    if await _already_loaded(client, cast):
        return
    invoices: dict[str, str] = {}
    for step in TIMELINE:
        customer_id = str(cast[step.customer]["id"])
        headers = {"Idempotency-Key": f"demo-billing-{step.name}-{customer_id}"}
        if step.action == "credit_note":
            assert step.invoice is not None
            url = f"/v1/invoices/{invoices[step.invoice]}/credit-notes"
            body = step.body
        else:
            url = {"invoice": "/v1/invoices", "payment": "/v1/payments", "refund": "/v1/refunds"}[
                step.action
            ]
            body = {"customer_id": customer_id, **step.body}
            if step.request is not None and step.request in (requests or {}):
                body["request_id"] = (requests or {})[step.request]
        created = _check(await client.post(url, json=body, headers=headers), step.name)
        if step.action == "invoice":
            invoices[step.name] = str(created["id"])
