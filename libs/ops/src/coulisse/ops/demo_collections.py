"""Demo collections data, on top of the billing demo, through collections' public API.

The story: Atelier Dubois pays late. Their contract sets late-payment penalties at 12 % a year;
the rest of their September invoice goes up the four levels of the default policy (two
e-mails, a call, a formal notice with the €40 indemnity and interest, which billing invoices and
the gateway books), their October invoice reaches its reminders, they dispute their November
invoice and promise to pay October's within a week. Julien Petit, a consumer, gets the same
notices with no charges, then agrees a payment plan in two instalments.

The runs are dated on the billing demo's timeline (October and November 2026), then today: runs
may be dated in the past, in date order. Loading twice changes nothing: runs are once per date,
creations carry an `Idempotency-Key`, and a standing dispute on the November invoice says the
demo is loaded.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import httpx

from .demo_billing import ROLES

CENT = Decimal("0.01")
CONTRACT_RATE = {
    "rate": "12.00",
    "effective_on": "2025-01-01",
    "reference": "Conditions générales de vente 2025, article 9 (pénalités de retard)",
}
RUN_DATES = (date(2026, 10, 19), date(2026, 10, 29), date(2026, 11, 6), date(2026, 11, 23))
"""The demo's past runs; today's follows when today is later."""


def _check(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(
            f"collections demo, {what}: HTTP {response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _customer(customers: list[dict[str, Any]], role: str) -> dict[str, Any] | None:
    return next((c for c in customers if c.get("display_name") == ROLES[role]), None)


async def _collections_once_known(
    client: httpx.AsyncClient, customer_id: str, invoices: int, *, timeout: float
) -> dict[str, Any]:
    """Collections learns invoices and payments from billing's events: wait until it has read
    the customer's `invoices` open invoices."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/v1/customers/{customer_id}/collections")
        if response.status_code == 200 and len(response.json()["receivables"]) >= invoices:
            return dict(response.json())
        if response.status_code not in (200, 404):
            _check(response, f"reading the collections of {customer_id}")
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"collections did not learn the open invoices of {customer_id} within "
                f"{timeout:.0f} s: is its consumer of billing.events running?"
            )
        await asyncio.sleep(0.5)


async def load_collections_demo(
    client: httpx.AsyncClient,
    customers: list[dict[str, Any]],
    *,
    today: date,
    timeout: float = 60.0,
) -> bool:
    """Loads the demo; False when it was already loaded (or its customers are missing).
    `client` talks to collections with every scope."""
    dubois, petit = _customer(customers, "dubois"), _customer(customers, "petit")
    if dubois is None or petit is None:
        return False
    # Dubois owes the rest of September, October and November; Petit, October.
    owed = await _collections_once_known(client, str(dubois["id"]), 3, timeout=timeout)
    await _collections_once_known(client, str(petit["id"]), 1, timeout=timeout)
    if owed["disputes"]:
        return False
    invoices = sorted(owed["receivables"], key=lambda r: r["due_date"])
    october, november = invoices[1], invoices[2]["invoice_id"]

    _check(
        await client.put(f"/v1/customers/{dubois['id']}/late-payment-rate", json=CONTRACT_RATE),
        "Dubois's contract rate",
    )
    for run_date in (*(d for d in RUN_DATES if d < today), today):
        response = await client.post("/v1/dunning/runs", json={"as_of": run_date.isoformat()})
        if response.status_code == 409:
            continue  # a later run was already made (by hand or the daily run): keep it
        _check(response, f"the run of {run_date}")

    await _create(
        client,
        "/v1/disputes",
        {"invoice_id": november, "reason": "Quantités livrées contestées (bon de livraison 1142)"},
        "demo-dispute-dubois-nov",
    )
    await _create(
        client,
        "/v1/promises",
        {
            "customer_id": str(dubois["id"]),
            "amount": october["amount_due"],
            "promised_on": (today + timedelta(days=7)).isoformat(),
        },
        "demo-promise-dubois-oct",
    )
    owed_by_petit = await _collections_once_known(client, str(petit["id"]), 1, timeout=timeout)
    petit_invoice = owed_by_petit["receivables"][0]
    due = Decimal(petit_invoice["amount_due"])
    first = (due / 2).quantize(CENT, rounding=ROUND_DOWN)
    await _create(
        client,
        "/v1/payment-plans",
        {
            "customer_id": str(petit["id"]),
            "invoice_ids": [petit_invoice["invoice_id"]],
            "installments": [
                {"due_date": (today + timedelta(days=14)).isoformat(), "amount": f"{first}"},
                {"due_date": (today + timedelta(days=44)).isoformat(), "amount": f"{due - first}"},
            ],
        },
        "demo-plan-petit-oct",
    )
    return True


async def _create(client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str) -> None:
    _check(await client.post(url, json=body, headers={"Idempotency-Key": key}), key)


async def load_collections(
    base_url: str, token: str, customers: list[dict[str, Any]], *, today: date
) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        return await load_collections_demo(client, customers, today=today)
