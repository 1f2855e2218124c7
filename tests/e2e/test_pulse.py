"""The pulse turns red on the back office's real symptoms, every service a real process.

A front end registers a company, invoices it €1,200 and records a €500 payment: once the books
and reporting have caught up, the pulse is green where it sets a target and the customer's
billing balance is their books balance. Then the two symptoms the pulse is there to catch:

- a refund made only in the accounting package: an accountant posts by hand, on the gateway,
  411 (the customer's auxiliary account) to 512. The pulse counts one manual entry, and the
  customer drifts: billing's balance is no longer the books', the manual entry explaining it;
- IT patches the database: another database role changes the customer's payment terms in
  billing's table. The trigger records it, the relay publishes it, and the pulse counts one
  out-of-band write, its list naming the table, the operation and the role.

Reporting reads the topics with a group of its own started at their end, on a fresh database:
the broker's other events never reach it. The figures are still checked against those read
before each symptom, and the lists behind them filtered to this customer and this table.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from service_processes import ServiceProcesses, group_at_end
from sqlalchemy.engine import make_url

from coulisse.contracts.topics import (
    ACCOUNTING_EVENTS,
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
)
from coulisse.platform import testing
from coulisse.platform.db import create_engine

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

REPORTS = testing.auth_headers(["reports:read"], sub="operations")
TARGETS = ("manual_entries", "out_of_band_writes", "suspense", "drift")
SUFFIX = uuid.uuid4().hex[:8]


@dataclass
class System:
    customer: str
    billing: str
    gateway: str
    reporting: str


@pytest.fixture
async def system(services: ServiceProcesses, kafka_bootstrap: str) -> System:
    billing_group = await group_at_end(
        kafka_bootstrap, "billing", [CUSTOMER_EVENTS, COLLECTIONS_EVENTS]
    )
    gateway_group = await group_at_end(
        kafka_bootstrap, "accounting-gateway", [BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS]
    )
    reporting_group = await group_at_end(
        kafka_bootstrap,
        "reporting",
        [BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS, ACCOUNTING_EVENTS],
    )
    found = System(
        customer=await services.start("customer"),
        billing=await services.start("billing", COULISSE_CONSUMER_GROUP=billing_group),
        gateway=await services.start(
            "accounting-gateway",
            COULISSE_CONSUMER_GROUP=gateway_group,
            ACCOUNTING_SIREN="552100554",
        ),
        reporting=await services.start("reporting", COULISSE_CONSUMER_GROUP=reporting_group),
    )
    await services.ready()
    return found


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_pulse_turns_red_on_a_refund_booked_by_hand_and_a_patched_database(
    services: ServiceProcesses,
    system: System,
    web_shop: dict[str, str],
    accountant: dict[str, str],
) -> None:
    async with contextlib.AsyncExitStack() as stack:

        async def client(url: str, headers: dict[str, str]) -> httpx.AsyncClient:
            return await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, timeout=30)
            )

        customers = await client(system.customer, web_shop)
        billing = await client(system.billing, web_shop)
        books = await client(system.gateway, accountant)
        reports = await client(system.reporting, REPORTS)

        async def pulse() -> dict[str, Any]:
            return ok(await reports.get("/v1/reports/pulse", params={"days": 45}))

        async def standing(customer_id: str) -> dict[str, Any] | None:
            """The customer's row of the reconciliation (every customer, not only drifting)."""
            found = ok(await reports.get("/v1/reports/reconciliation", params={"limit": 500}))
            rows = [r for r in found["items"] if r["customer_id"] == customer_id]
            return rows[0] if rows else None

        # -- a customer invoiced and partly paid, the books and reporting caught up ------------
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": f"Ébénisterie Morel {SUFFIX}",
                    "email": f"compta.{SUFFIX}@ebenisterie-morel.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                    "payment_terms_days": 30,
                    "address": {
                        "line1": "8 quai des Chartrons",
                        "postal_code": "33000",
                        "city": "Bordeaux",
                        "country": "FR",
                    },
                },
            )
        )
        customer_id, account = customer["id"], customer["account_number"]

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer_id}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        invoice = created(
            await billing.post(
                "/v1/invoices",
                json={
                    "customer_id": customer_id,
                    "lines": [
                        {
                            "description": "Bibliothèque sur mesure",
                            "quantity": "1",
                            "unit_price": "1000.00",
                            "vat_rate": "20.0",
                        }
                    ],
                },
            )
        )
        assert invoice["total_gross"] == "1200.00"
        created(
            await billing.post(
                "/v1/payments",
                json={
                    "customer_id": customer_id,
                    "amount": "500.00",
                    "currency": "EUR",
                    "method": "transfer",
                    "received_on": services.today.isoformat(),
                    "external_ref": f"VIR-MOREL-{SUFFIX}",
                    "allocations": [{"invoice_id": invoice["id"], "amount": "500.00"}],
                },
            )
        )

        async def books_agree() -> bool:
            row = await standing(customer_id)
            return row is not None and (
                row["billing_balance"],
                row["books_balance"],
                row["drift"],
            ) == ("700.00", "700.00", "0.00")

        await testing.eventually(
            books_agree, what="reporting sees billing and the books agree on 700.00"
        )

        async def all_green() -> bool:
            found = await pulse()
            return all(found[k]["status"] == "green" for k in TARGETS)

        await testing.eventually(all_green, what="the pulse is green where it sets a target")
        before = await pulse()
        assert before["status"] == "green"
        row = await standing(customer_id)
        assert row is not None and row["explanation"] is None

        # -- symptom 1: a refund made only in the accounting package ---------------------------
        by_hand = created(
            await books.post(
                "/v1/journal-entries",
                json={
                    "journal_code": "BQ",
                    "label": f"Remboursement Morel {SUFFIX}",
                    "piece_ref": f"REMB-{SUFFIX}",
                    "lines": [
                        {"account": "411", "auxiliary_account": account, "debit": "50.00"},
                        {"account": "512", "credit": "50.00"},
                    ],
                },
                headers={"Idempotency-Key": f"pulse-refund-{SUFFIX}"},
            )
        )
        assert by_hand["manual"] is True

        async def manual_entry_counted() -> bool:
            found = await pulse()
            return bool(found["manual_entries"]["count"] > before["manual_entries"]["count"])

        await testing.eventually(manual_entry_counted, what="the pulse counts the manual entry")

        async def customer_drifts() -> bool:
            found = await pulse()
            return bool(
                found["drift"]["drifting_customers"] > before["drift"]["drifting_customers"]
            )

        await testing.eventually(customer_drifts, what="the pulse sees the customer drift")
        after_refund = await pulse()
        assert after_refund["manual_entries"] == {
            "count": before["manual_entries"]["count"] + 1,
            "status": "red",
            "href": "/v1/reports/manual-entries?days=45",
        }
        assert after_refund["drift"]["status"] == "red"
        assert after_refund["drift"]["drifting_customers"] == (
            before["drift"]["drifting_customers"] + 1
        )
        assert after_refund["status"] == "red"

        listed = ok(await reports.get(after_refund["manual_entries"]["href"]))
        ours = [e for e in listed["items"] if account in e["auxiliary_accounts"]]
        assert [(e["entry_id"], e["actor"], e["receivables"], e["total"]) for e in ours] == [
            (by_hand["id"], "comptable", "50.00", "50.00")
        ]

        drifting = ok(await reports.get(after_refund["drift"]["href"]))
        [row] = [r for r in drifting["items"] if r["customer_id"] == customer_id]
        assert (row["billing_balance"], row["books_balance"], row["drift"]) == (
            "700.00",
            "750.00",
            "-50.00",
        )
        why = row["explanation"]
        assert [
            (e["entry_id"], e["manual"], e["reversal"], e["amount"]) for e in why["entries"]
        ] == [(by_hand["id"], True, False, "50.00")]
        assert (why["unjournaled"], why["suspended"]) == ([], [])

        # -- symptom 2: IT patches billing's database ------------------------------------------
        async with testing.another_role(services.databases["billing"]) as patcher_url:
            role = make_url(patcher_url).username
            engine = create_engine(patcher_url, pool_size=1)
            try:
                async with engine.begin() as conn:
                    patched = await conn.execute(
                        sa.text("UPDATE customers SET payment_terms_days = 60 WHERE id = :id"),
                        {"id": uuid.UUID(customer_id)},
                    )
                    assert patched.rowcount == 1
            finally:
                await engine.dispose()

            async def write_counted() -> bool:
                found = await pulse()
                return bool(
                    found["out_of_band_writes"]["count"] > before["out_of_band_writes"]["count"]
                )

            await testing.eventually(write_counted, what="the pulse counts the out-of-band write")

        after_patch = await pulse()
        assert after_patch["out_of_band_writes"] == {
            "count": before["out_of_band_writes"]["count"] + 1,
            "status": "red",
            "href": "/v1/reports/out-of-band-writes?days=45",
        }
        assert after_patch["manual_entries"]["status"] == "red"
        assert after_patch["status"] == "red"
        writes = ok(await reports.get(after_patch["out_of_band_writes"]["href"]))
        ours = [
            w for w in writes["items"] if w["service"] == "billing" and w["table"] == "customers"
        ]
        assert [(w["operation"], w["row_key"], w["db_role"]) for w in ours] == [
            ("UPDATE", customer_id, role)
        ]
