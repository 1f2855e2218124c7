"""The books at the end of a customer's journey: every money event has its entry, and the
customer's sub-ledger says what billing says the customer owes.

The customer, billing and accounting gateway services run as real processes on the real broker
and PostgreSQL. A front end registers a customer and goes through billing over HTTP (invoice,
part payment, overpayment, refund, credit note); then the books are read like an accountant
would. Doubtful-receivable and write-off facts are published to `collections.events` here as
collections' relay publishes them (test_collections_journey.py goes through the service), and
must reach the books too.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import gateway_samples as samples
import httpx
import pytest
from service_processes import ServiceProcesses

from coulisse.contracts.collections import ReceivableClassifiedDoubtful, ReceivableWrittenOff
from coulisse.contracts.topics import (
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
    dlq_topic,
)
from coulisse.ops.topics import Topic, create_topics
from coulisse.platform import testing

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CONSUMED = (BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS)
SIREN = "552100554"
D = Decimal


@dataclass
class System:
    customer: str
    billing: str
    gateway: str
    group: str
    today: date
    """The services' business date (their clocks all start on it)."""
    front_end: dict[str, str]
    """The web shop's headers."""


@pytest.fixture
async def system(
    services: ServiceProcesses, kafka_bootstrap: str, web_shop: dict[str, str]
) -> System:
    # A consumer group of its own, starting at the topics' end: the broker holds other tests'
    # events, which are not this journey's books.
    group = f"accounting-gateway-e2e-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [Topic(dlq_topic(group), partitions=1)])
    await samples.start_group_at_end(kafka_bootstrap, group, CONSUMED)
    customer = await services.start("customer")
    billing = await services.start("billing")
    gateway = await services.start(
        "accounting-gateway", COULISSE_CONSUMER_GROUP=group, ACCOUNTING_SIREN=SIREN
    )
    await services.ready()
    return System(customer, billing, gateway, group, services.today, web_shop)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Journey:
    customer: dict[str, Any]
    documents: list[tuple[dict[str, Any], str, str]]
    """(resource, its piece reference in the books, the trace id of the HTTP call)."""
    balance: dict[str, Any]


async def billing_journey(system: System) -> Journey:
    """Invoice, part payment, overpayment, refund of the credit, invoice and partial credit."""
    async with contextlib.AsyncExitStack() as stack:
        customers = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.customer, headers=system.front_end, timeout=15)
        )
        billing = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.billing, headers=system.front_end, timeout=15)
        )
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Atelier Moreau",
                    "email": "compta@atelier-moreau.fr",
                    "country": "FR",
                    "siren": SIREN,
                },
            )
        )

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer['id']}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        documents: list[tuple[dict[str, Any], str, str]] = []

        async def post(path: str, body: dict[str, Any], piece: str) -> dict[str, Any]:
            response = await billing.post(path, json={"customer_id": customer["id"], **body})
            resource = created(response)
            documents.append((resource, str(resource.get(piece)), response.headers["x-trace-id"]))
            return resource

        line = {"quantity": "1", "vat_rate": "20.0"}
        first = await post(
            "/v1/invoices",
            {
                "currency": "EUR",
                "lines": [
                    {
                        **line,
                        "description": "Agencement",
                        "unit_price": "120.00",
                        "revenue_account": "706100",
                    },
                    {
                        "description": "Ouvrages",
                        "quantity": "4",
                        "unit_price": "12.35",
                        "vat_rate": "5.5",
                    },
                ],
            },
            "number",
        )
        payment = {"currency": "EUR", "method": "transfer", "received_on": first["issue_date"]}
        await post(
            "/v1/payments", {**payment, "amount": "100.00", "external_ref": "VIR-1"}, "external_ref"
        )
        await post(
            "/v1/payments", {**payment, "amount": "150.00", "external_ref": "CB-2"}, "external_ref"
        )
        await post(
            "/v1/refunds", {"amount": "53.88", "method": "transfer", "reason": "overpayment"}, "id"
        )
        second = await post(
            "/v1/invoices",
            {
                "lines": [
                    {**line, "description": "Abonnement", "unit_price": "30.00"},
                    {
                        "description": "Revue",
                        "quantity": "2",
                        "unit_price": "7.90",
                        "vat_rate": "2.1",
                    },
                ]
            },
            "number",
        )
        response = await billing.post(
            f"/v1/invoices/{second['id']}/credit-notes",
            json={
                "reason": "Revue non livrée",
                "lines": [
                    {
                        "description": "Revue",
                        "quantity": "2",
                        "unit_price": "7.90",
                        "vat_rate": "2.1",
                    }
                ],
            },
        )
        note = created(response)
        documents.append((note, note["number"], response.headers["x-trace-id"]))
        balance = (await billing.get(f"/v1/customers/{customer['id']}/balance")).json()
    return Journey(customer, documents, balance)


async def test_billing_journey_then_the_books(
    system: System, kafka_bootstrap: str, accountant: dict[str, str]
) -> None:
    journey = await billing_journey(system)
    aux = journey.customer["account_number"]
    assert journey.balance["balance"] == "36.00"

    async with httpx.AsyncClient(base_url=system.gateway, headers=accountant, timeout=15) as books:

        async def entries() -> dict[str, dict[str, Any]]:
            found = (await books.get("/v1/journal-entries", params={"limit": 500})).json()
            return {
                e["piece_ref"]: e
                for e in found["items"]
                if any(line["auxiliary_account"] == aux for line in e["lines"])
            }

        async def all_booked() -> bool:
            return len(await entries()) == len(journey.documents)

        await testing.eventually(all_booked, what="every billing document booked", interval=0.3)
        booked = await entries()
        # Every invoice, payment, refund and credit note has its entry, in the right journal,
        # carrying the trace of the HTTP call that caused it.
        for resource, piece, trace_id in journey.documents:
            entry = booked[piece]
            kind = "BQ" if "method" in resource else "VT"
            assert entry["journal_code"] == kind, piece
            assert entry["trace_id"] == trace_id, piece
            assert entry["actor"] == "web-shop" and not entry["manual"]
        first = booked[journey.documents[0][1]]
        assert ("706100", "0.00", "120.00") in [
            (line["account"], line["debit"], line["credit"]) for line in first["lines"]
        ]

        ledger = (await books.get("/v1/accounts/41/ledger", params={"auxiliary": aux})).json()
        assert ledger["balance"] == journey.balance["balance"]
        # The first invoice was settled by the two payments: lettered together.
        invoice_letter = next(
            line["letter"] for line in ledger["lines"] if line["piece_ref"] == first["piece_ref"]
        )
        assert invoice_letter == "AA"
        assert sorted(
            line["credit"] for line in ledger["lines"] if line["letter"] == invoice_letter
        ) == ["0.00", "100.00", "96.12"]

        fec = await books.get("/v1/exports/fec", params={"fiscal_year": system.today.year})
        rows = [line.split("\t") for line in fec.text.splitlines()[1:]]
        assert {row[7] for row in rows if row[6] == aux} == {"Atelier Moreau"}

        # Collections' facts (published as its relay will): the second invoice's 36.00 becomes
        # doubtful, then is written off. The sub-ledger comes back to zero, as billing will.
        invoice_id = UUID(journey.documents[4][0]["id"])
        customer_id = UUID(journey.customer["id"])
        today = system.today
        facts = [
            ReceivableClassifiedDoubtful(
                customer_id=customer_id,
                account_number=aux,
                invoice_ids=[invoice_id],
                amount_gross=D("36.00"),
                classified_on=today,
            ),
            ReceivableWrittenOff(
                write_off_id=uuid.uuid4(),
                customer_id=customer_id,
                account_number=aux,
                invoice_id=invoice_id,
                invoice_number=journey.documents[4][1],
                amount_net=D("30.00"),
                amount_vat=D("6.00"),
                amount_gross=D("36.00"),
                written_off_on=today,
                reason="liquidation",
                was_doubtful=True,
            ),
        ]
        envelopes = [samples.envelope(fact, actor="system:collections") for fact in facts]
        await samples.publish(kafka_bootstrap, envelopes)

        async def written_off() -> bool:
            found = []
            for envelope in envelopes:
                response = await books.get(
                    "/v1/journal-entries", params={"source_event_id": str(envelope.event_id)}
                )
                found.extend(response.json()["items"])
            return len(found) == len(envelopes)

        await testing.eventually(written_off, what="collections facts booked", interval=0.3)
        ledger = (await books.get("/v1/accounts/41/ledger", params={"auxiliary": aux})).json()
        assert ledger["balance"] == "0.00"
        losses = (await books.get("/v1/accounts/654/ledger")).json()
        assert losses["balance"] == "30.00"
        trial = (await books.get("/v1/trial-balance")).json()
        assert trial["totals"]["debit"] == trial["totals"]["credit"]
        assert (await books.get("/v1/suspense")).json()["items"] == []
