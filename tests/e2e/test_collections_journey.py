"""A late payer chased from end to end, through every service as a real process.

A front end registers a company and invoices it twice in January 2026 (the services live on
2 March 2026). Dunning runs on the days the default policy's levels fall due: reminders go out by
e-mail over SMTP (read from a mail sink), a formal notice is made as a PDF (read back as text),
and its charges (€40 and 30 days of interest at 12.15 %) come back from billing as fee invoices,
booked by the gateway to 411 / 7631. The first invoice is then paid and leaves dunning; the second
is written off for a commercial reason, which the books show as a loss of its gross amount on 654
with no VAT recovered.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from service_processes import ServiceProcesses, group_at_end

from coulisse.contracts.topics import (
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
)
from coulisse.ops.testing import SmtpServer
from coulisse.platform import testing
from coulisse.platform.clock import BUSINESS_ZONE

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

D = Decimal
COLLECTOR = testing.auth_headers(["collections:read", "collections:write"], sub="recouvrement")
# The runs of the default policy's four levels for an invoice due on 16 January: three days
# before, then 7, 15 and 30 days after.
RUNS = (date(2026, 1, 13), date(2026, 1, 23), date(2026, 1, 31), date(2026, 2, 15))


@pytest.fixture
def clock_start() -> datetime:
    """2 March 2026: after the runs' dates, inside the half-year the shipped rates cover."""
    return datetime(2026, 3, 2, 12, tzinfo=BUSINESS_ZONE).astimezone(UTC)


@dataclass
class System:
    customer: str
    billing: str
    collections: str
    gateway: str


@pytest.fixture
async def system(
    services: ServiceProcesses, kafka_bootstrap: str, smtp_server: SmtpServer
) -> System:
    billing_group = await group_at_end(
        kafka_bootstrap, "billing", [CUSTOMER_EVENTS, COLLECTIONS_EVENTS]
    )
    collections_group = await group_at_end(
        kafka_bootstrap, "collections", [BILLING_EVENTS, CUSTOMER_EVENTS]
    )
    gateway_group = await group_at_end(
        kafka_bootstrap,
        "accounting-gateway",
        [BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS],
    )
    found = System(
        customer=await services.start("customer"),
        billing=await services.start("billing", COULISSE_CONSUMER_GROUP=billing_group),
        collections=await services.start(
            "collections",
            COULISSE_CONSUMER_GROUP=collections_group,
            COULISSE_NOTICE_POLL_SECONDS="0.2",
            **smtp_server.environment(),
        ),
        gateway=await services.start(
            "accounting-gateway",
            COULISSE_CONSUMER_GROUP=gateway_group,
            ACCOUNTING_SIREN="552100554",
        ),
    )
    await services.ready()
    return found


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_late_payer_from_reminders_to_the_books(
    system: System,
    smtp_server: SmtpServer,
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
        collections = await client(system.collections, COLLECTOR)
        books = await client(system.gateway, accountant)

        # -- the customer and two invoices, due 16 and 19 January ------------------------------
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Menuiserie Caron",
                    "email": "compta@menuiserie-caron.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                    "payment_terms_days": 14,
                    "address": {
                        "line1": "3 rue des Tanneurs",
                        "postal_code": "59000",
                        "city": "Lille",
                        "country": "FR",
                    },
                },
            )
        )

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer['id']}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        line = {"quantity": "1", "vat_rate": "20.0", "revenue_account": "706100"}
        first = created(
            await billing.post(
                "/v1/invoices",
                json={
                    "customer_id": customer["id"],
                    "issue_date": "2026-01-02",
                    "lines": [{**line, "description": "Agencement", "unit_price": "1000.00"}],
                },
            )
        )
        second = created(
            await billing.post(
                "/v1/invoices",
                json={
                    "customer_id": customer["id"],
                    "issue_date": "2026-01-05",
                    "lines": [{**line, "description": "Finitions", "unit_price": "500.00"}],
                },
            )
        )
        assert (first["due_date"], second["due_date"]) == ("2026-01-16", "2026-01-19")

        async def collections_knows() -> bool:
            found = await collections.get(f"/v1/customers/{customer['id']}/collections")
            return found.status_code == 200 and len(found.json()["receivables"]) == 2

        await testing.eventually(collections_knows, what="collections reads both invoices")

        # -- the runs across the dates ---------------------------------------------------------
        runs = []
        for day in RUNS:
            runs.append(
                created(await collections.post("/v1/dunning/runs", json={"as_of": day.isoformat()}))
            )
        levels = [
            sorted((n["level"], n["channel"], len(n["invoice_ids"])) for n in run["notices"])
            for run in runs
        ]
        assert levels == [
            [(1, "email", 1)],
            [(1, "email", 1), (2, "email", 1)],
            [(2, "email", 1), (3, "call", 1)],
            [(3, "call", 1), (4, "formal_notice", 1)],
        ]
        fees = {fee["kind"]: fee["amount"] for fee in runs[3]["fees"]}
        # 1,200.00 × 12.15 % × 30 days / 365 = 11.9835… → 11.98
        assert fees == {"recovery_indemnity": "40.00", "late_interest": "11.98"}

        # -- the e-mails, as the customer receives them ---------------------------------------
        async def four_mails() -> bool:
            return len(smtp_server.mails()) >= 4

        await testing.eventually(four_mails, what="the four e-mail reminders reach the sink")
        await asyncio.sleep(1)  # nothing more comes: one mail per e-mail notice
        messages = [mail.message for mail in smtp_server.mails()]
        assert len(messages) == 4
        assert {a.addr_spec for m in messages for a in m["To"].addresses} == {
            "compta@menuiserie-caron.example.fr"
        }
        assert len({str(m["Message-ID"]).strip() for m in messages}) == 4
        first_mail = messages[0]
        text = first_mail.get_body(preferencelist=("plain",))
        html = first_mail.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        assert first["number"] in text.get_content() and first["number"] in html.get_content()

        email_notice = next(n for n in runs[0]["notices"])
        read = (await collections.get(f"/v1/notices/{email_notice['id']}")).json()
        assert read["delivery_status"] == "sent"
        # A long Message-ID may be folded onto its own line (RFC 5322 allows the white space).
        assert read["message_id"] == str(first_mail["Message-ID"]).strip()

        # -- the formal notice, a PDF ----------------------------------------------------------
        formal = next(n for n in runs[3]["notices"] if n["channel"] == "formal_notice")

        async def pdf_made() -> bool:
            found = await collections.get(f"/v1/notices/{formal['id']}/document")
            return found.status_code == 200

        await testing.eventually(pdf_made, what="the formal notice's PDF is made")
        document = await collections.get(f"/v1/notices/{formal['id']}/document")
        assert document.headers["content-type"] == "application/pdf"
        pdf_text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages
        )
        assert first["number"] in pdf_text
        assert "40" in pdf_text and "12.15" in pdf_text.replace(",", ".")

        # -- the charges come back from billing as fee invoices, booked 411 / 7631 -------------
        async def fee_invoices() -> list[dict[str, Any]]:
            found = await billing.get(
                "/v1/invoices", params={"customer_id": customer["id"], "limit": 50}
            )
            return [i for i in found.json()["items"] if i["kind"] == "fee"]

        async def two_fee_invoices() -> bool:
            return len(await fee_invoices()) == 2

        await testing.eventually(two_fee_invoices, what="billing invoices both charges")
        fee_totals = sorted(D(i["total_gross"]) for i in await fee_invoices())
        assert fee_totals == [D("11.98"), D("40.00")]

        async def entries() -> list[dict[str, Any]]:
            found = await books.get(
                "/v1/journal-entries",
                params={"account": "7631", "limit": 50},
            )
            return list(found.json()["items"])

        async def fees_booked() -> bool:
            return len(await entries()) == 2

        await testing.eventually(fees_booked, what="the gateway books both fee invoices")
        for entry in await entries():
            accounts = {line["account"]: line for line in entry["lines"]}
            assert set(accounts) == {"411", "7631"}
            assert accounts["411"]["debit"] == accounts["7631"]["credit"]

        # -- the first invoice paid: out of the process ---------------------------------------
        created(
            await billing.post(
                "/v1/payments",
                json={
                    "customer_id": customer["id"],
                    "amount": "1200.00",
                    "currency": "EUR",
                    "method": "transfer",
                    "received_on": "2026-03-02",
                    "external_ref": "VIR-CARON-1",
                    "allocations": [{"invoice_id": first["id"], "amount": "1200.00"}],
                },
            )
        )

        async def first_settled() -> bool:
            found = await collections.get(f"/v1/customers/{customer['id']}/collections")
            ids = {r["invoice_id"] for r in found.json()["receivables"]}
            return first["id"] not in ids

        await testing.eventually(first_settled, what="collections sees the payment")
        later = created(await collections.post("/v1/dunning/runs", json={"as_of": "2026-03-02"}))
        assert all(first["id"] not in n["invoice_ids"] for n in later["notices"])

        # -- the second invoice written off: a loss on 654, no VAT recovered -------------------
        write_off = created(
            await collections.post(
                "/v1/write-offs", json={"invoice_id": second["id"], "reason": "commercial"}
            )
        )
        assert (write_off["amount_gross"], write_off["vat_recovered"]) == ("600.00", False)

        async def loss() -> list[dict[str, Any]]:
            found = await books.get("/v1/journal-entries", params={"account": "654", "limit": 50})
            return list(found.json()["items"])

        async def loss_booked() -> bool:
            return len(await loss()) == 1

        await testing.eventually(loss_booked, what="the gateway books the write-off")
        [entry] = await loss()
        by_account = {line["account"]: line for line in entry["lines"]}
        assert set(by_account) == {"654", "411"}
        assert D(by_account["654"]["debit"]) == D(by_account["411"]["credit"]) == D("600.00")
