"""What the operations team sees of a business flow: one connected trace in Zipkin, and metrics
that move.

The customer, billing and accounting gateway services run as real processes, exporting their
spans to a Zipkin server started for this module (`zipkin`). A front end invoices a customer
and records a payment; each HTTP call's `X-Trace-Id` names a trace in which billing's request,
its database statements, its relay's send, the gateway's consumption, the transaction that posts
the entry and the entry's own publication are all linked. Then `/metrics` says what happened:
requests by route, entries posted, nothing left behind in the outbox or on the partitions, and a
poison record counted as a dead letter and a suspense item. A dunning run is one trace too, from
collections' HTTP call through billing's fee invoices down to their entries.

The services live on 2 March 2026, after the dunning dates and inside the half-year the shipped
interest rates cover (as in test_collections_journey.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from service_processes import ServiceProcesses, group_at_end

from coulisse.contracts.topics import (
    ACCOUNTING_EVENTS,
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
)
from coulisse.ops import dead_letters
from coulisse.ops.paths import layout
from coulisse.ops.procs import free_port
from coulisse.ops.zipkin import ZipkinServer
from coulisse.platform import testing
from coulisse.platform.clock import BUSINESS_ZONE

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CONSUMED = (BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS)
CUSTOMER = "coulisse-customer"
BILLING = "coulisse-billing"
COLLECTIONS = "coulisse-collections"
GATEWAY = "coulisse-accounting-gateway"
COLLECTOR = testing.auth_headers(["collections:read", "collections:write"], sub="recouvrement")
# The default policy's four levels for an invoice due on 16 January; the last one charges fees.
RUNS = (date(2026, 1, 13), date(2026, 1, 23), date(2026, 1, 31), date(2026, 2, 15))


@pytest.fixture
def clock_start() -> datetime:
    return datetime(2026, 3, 2, 12, tzinfo=BUSINESS_ZONE).astimezone(UTC)


@pytest.fixture(scope="module")
def zipkin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Zipkin of this module's own, started fresh: what a trace holds is then only what these
    tests sent, whatever ran earlier in the session."""
    server = ZipkinServer(tmp_path_factory.mktemp("zipkin"), layout(), port=free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def tracing(zipkin_url: str) -> dict[str, str]:
    return {
        "COULISSE_TRACES_EXPORTER": "zipkin",
        "COULISSE_ZIPKIN_ENDPOINT": f"{zipkin_url}/api/v2/spans",
        # Spans leave within a fifth of a second instead of five: the test waits less.
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }


@dataclass
class System:
    customer: str
    billing: str
    gateway: str
    group: str
    zipkin: str


@pytest.fixture
async def system(
    services: ServiceProcesses, kafka_bootstrap: str, zipkin: str
) -> AsyncIterator[System]:
    group = await group_at_end(kafka_bootstrap, "accounting-gateway", CONSUMED)
    spans = tracing(zipkin)
    found = System(
        customer=await services.start("customer", **spans),
        billing=await services.start("billing", **spans),
        gateway=await services.start("accounting-gateway", COULISSE_CONSUMER_GROUP=group, **spans),
        group=group,
        zipkin=zipkin,
    )
    await services.ready()
    yield found


# -- Zipkin -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    spans: list[dict[str, Any]]

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {span["id"]: span for span in self.spans}

    def of(self, service: str, name: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Spans of `service` named `name` (Zipkin keeps names in lower case)."""
        return [
            span
            for span in self.spans
            if span["localEndpoint"]["serviceName"] == service
            and span.get("name") == name.lower()
            and (kind is None or span.get("kind") == kind)
        ]

    def one(self, service: str, name: str, kind: str | None = None) -> dict[str, Any]:
        found = self.of(service, name, kind)
        assert len(found) == 1, f"{service} {name}: {len(found)} spans in {self.summary()}"
        return found[0]

    def children(self, parent: dict[str, Any]) -> list[dict[str, Any]]:
        return [span for span in self.spans if span.get("parentId") == parent["id"]]

    def connected(self) -> bool:
        """Every span's parent is in the trace."""
        ids = {span["id"] for span in self.spans}
        return all(span["parentId"] in ids for span in self.spans if "parentId" in span)

    def summary(self) -> list[str]:
        return sorted(
            f"{span['localEndpoint']['serviceName']}: {span.get('kind', 'INTERNAL')} "
            f"{span.get('name')}"
            for span in self.spans
        )


async def fetch_trace(zipkin: str, trace_id: str, *, until: str, count: int = 1) -> Trace:
    """The trace once `count` spans named `until` have arrived: spans leave each process in
    batches, the last ones at the end of the flow."""
    found = Trace([])
    async with httpx.AsyncClient(base_url=zipkin, timeout=10) as client:

        async def arrived() -> bool:
            nonlocal found
            response = await client.get(f"/api/v2/trace/{trace_id}")
            if response.status_code != 200:
                return False
            found = Trace(response.json())
            enough = sum(bool(span.get("name") == until) for span in found.spans) >= count
            # A parent span ends (and leaves its process) after its children: wait for it too.
            return enough and found.connected()

        await testing.eventually(arrived, what=f"trace {trace_id} in Zipkin", interval=0.3)
    return found


def statement(span: dict[str, Any]) -> str:
    tags = span.get("tags", {})
    return str(tags.get("db.statement") or tags.get("db.query.text") or "")


def check_flow(trace: Trace, group: str) -> None:
    """billing's request → its send → the gateway's process → its commit → the entry's send."""
    spans = trace.by_id()
    # Connected: one root, every other span's parent is in the trace.
    roots = [span for span in trace.spans if "parentId" not in span]
    assert len(roots) == 1, trace.summary()
    assert all(span["parentId"] in spans for span in trace.spans if "parentId" in span)
    [root] = roots
    assert root["localEndpoint"]["serviceName"] == BILLING and root["kind"] == "SERVER"
    assert {span["localEndpoint"]["serviceName"] for span in trace.spans} == {BILLING, GATEWAY}

    # Billing: its database statements, and the relay's send of the event its transaction wrote.
    billing_statements = [
        span
        for span in trace.spans
        if span["localEndpoint"]["serviceName"] == BILLING and span.get("kind") == "CLIENT"
    ]
    assert any(statement(span).startswith("INSERT INTO outbox") for span in billing_statements)
    assert all(span["tags"].get("db.system") == "postgresql" for span in billing_statements)
    send = trace.one(BILLING, f"send {BILLING_EVENTS}", "PRODUCER")
    assert send["parentId"] == root["id"]
    assert send["tags"]["messaging.system"] == "kafka"
    assert send["tags"]["messaging.destination.name"] == BILLING_EVENTS

    # The gateway: consumed from where billing's relay wrote it, by the test's group.
    process = trace.one(GATEWAY, f"process {BILLING_EVENTS}", "CONSUMER")
    assert process["parentId"] == send["id"]
    tags = process["tags"]
    assert tags["messaging.system"] == "kafka"
    assert tags["messaging.destination.name"] == BILLING_EVENTS
    assert tags["messaging.consumer.group.name"] == group
    assert (
        tags["messaging.destination.partition.id"]
        == send["tags"]["messaging.destination.partition.id"]
    )
    assert tags["messaging.kafka.offset"] == send["tags"]["messaging.kafka.offset"]

    # The transaction that posts the entry, then the entry's publication.
    commit = trace.one(GATEWAY, f"commit {group}")
    assert commit["parentId"] == process["id"]
    written = [statement(span) for span in trace.children(commit)]
    assert any(text.startswith("INSERT INTO journal_entries") for text in written), written
    assert any(text.startswith("INSERT INTO inbox") for text in written), written
    published = trace.one(GATEWAY, f"send {ACCOUNTING_EVENTS}", "PRODUCER")
    assert spans[published["parentId"]]["localEndpoint"]["serviceName"] == GATEWAY
    assert published["tags"]["coulisse.event_type"] == "accounting.entry.posted.v1"


# -- metrics ------------------------------------------------------------------------------------


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the samples that carry `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


# -- the flow -----------------------------------------------------------------------------------


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_invoice_and_a_payment_are_each_one_trace_across_the_services(
    system: System,
    kafka_bootstrap: str,
    web_shop: dict[str, str],
    accountant: dict[str, str],
) -> None:
    before = {"billing": await scrape(system.billing), "gateway": await scrape(system.gateway)}
    async with contextlib.AsyncExitStack() as stack:
        customers = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.customer, headers=web_shop, timeout=15)
        )
        billing = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.billing, headers=web_shop, timeout=15)
        )
        books = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.gateway, headers=accountant, timeout=15)
        )
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Scierie Lambert",
                    "email": "compta@scierie-lambert.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                },
            )
        )

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer['id']}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)

        response = await billing.post(
            "/v1/invoices",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "lines": [
                    {
                        "description": "Planches de chêne",
                        "quantity": "3",
                        "unit_price": "40.00",
                        "vat_rate": "20.0",
                    }
                ],
            },
        )
        invoice = created(response)
        invoice_trace = response.headers["x-trace-id"]
        response = await billing.post(
            "/v1/payments",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "method": "transfer",
                "amount": "144.00",
                "received_on": invoice["issue_date"],
                "external_ref": "VIR-OBS-1",
            },
        )
        created(response)
        payment_trace = response.headers["x-trace-id"]

        async def entries() -> dict[str, dict[str, Any]]:
            found = (await books.get("/v1/journal-entries", params={"limit": 500})).json()
            return {entry["trace_id"]: entry for entry in found["items"]}

        async def both_booked() -> bool:
            return {invoice_trace, payment_trace} <= set(await entries())

        await testing.eventually(both_booked, what="the invoice and the payment booked")
        booked = await entries()
        assert booked[invoice_trace]["journal_code"] == "VT"
        assert booked[payment_trace]["journal_code"] == "BQ"

    # -- one trace per flow, from the HTTP call to the entry's publication ----------------------
    until = f"send {ACCOUNTING_EVENTS}"
    for trace_id in (invoice_trace, payment_trace):
        check_flow(await fetch_trace(system.zipkin, trace_id, until=until), system.group)

    # -- a poison record: a dead letter, and a suspense item in the books -----------------------
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(BILLING_EVENTS, b"not a cloud event", key=b"poison")
    finally:
        await producer.stop()

    expected = {"dead letters": 1, "suspense": 1, "lag": 0, "outbox": 0}
    seen: dict[str, float] = {}

    async def settled() -> bool:
        gateway = await scrape(system.gateway)
        billing_now = await scrape(system.billing)
        seen.update(
            {
                "dead letters": value(
                    gateway, "coulisse_dead_letter_topic_records", group=system.group
                ),
                "suspense": value(gateway, "coulisse_gateway_suspense_open"),
                "lag": value(gateway, "coulisse_consumer_lag", group=system.group),
                "outbox": value(billing_now, "coulisse_outbox_pending"),
            }
        )
        return seen == expected

    try:
        await testing.eventually(settled, what="metrics settled after the flow")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: expected {expected}, last read {seen}") from exc
    # What `coulisse dead-letters` shows of it: where it was read, and why it was given up.
    [letter] = await dead_letters.read(kafka_bootstrap, system.group)
    assert letter.source.startswith(f"{BILLING_EVENTS}/")
    assert letter.error.startswith("not a CloudEvents") and letter.attempts == "1"
    assert letter.trace_id is None  # a record no producer of ours wrote

    # -- the metrics moved as the flow went ----------------------------------------------------
    after = {"billing": await scrape(system.billing), "gateway": await scrape(system.gateway)}
    billing_before, billing_after = before["billing"], after["billing"]
    for route in ("/v1/invoices", "/v1/payments"):
        labels = {"method": "POST", "route": route, "status": "201"}
        assert value(billing_after, "coulisse_http_requests_total", **labels) == 1 + value(
            billing_before, "coulisse_http_requests_total", **labels
        )
        assert value(billing_after, "coulisse_http_request_duration_seconds_count", **labels) >= 1
    balance = {"method": "GET", "route": "/v1/customers/{customer_id}/balance"}
    assert value(billing_after, "coulisse_http_requests_total", **balance) >= 1
    assert value(billing_after, "coulisse_outbox_published_total") >= 2
    assert value(billing_after, "coulisse_outbox_oldest_pending_age_seconds") == 0

    gateway_before, gateway_after = before["gateway"], after["gateway"]
    for journal in ("VT", "BQ"):
        assert value(
            gateway_after, "coulisse_gateway_journal_entries", journal=journal
        ) == 1 + value(gateway_before, "coulisse_gateway_journal_entries", journal=journal)
    group = {"group": system.group}
    # The customer's registration, the invoice and the payment.
    assert value(gateway_after, "coulisse_inbox_events_applied_total", **group) >= 3
    assert value(gateway_after, "coulisse_inbox_dead_letters_total", **group) == 1
    assert value(gateway_before, "coulisse_inbox_dead_letters_total", **group) == 0
    assert value(gateway_after, "coulisse_consumer_committed_offset", **group) > value(
        gateway_before, "coulisse_consumer_committed_offset", **group
    )
    assert value(gateway_after, "coulisse_scrape_source_up", source="kafka") == 1
    assert value(gateway_after, "coulisse_scrape_source_up", source="database") == 1


# -- a customer request, then the refund it asked for -------------------------------------------


async def test_a_refund_made_for_a_customer_request_joins_the_requests_trace(
    system: System, web_shop: dict[str, str], accountant: dict[str, str]
) -> None:
    """The call-center tool opens the customer's refund request, then issues the refund from it,
    sending the request's `traceresponse` as its `traceparent`: one trace from the request to
    the refund's journal entry, across the customer service, billing and the gateway."""
    async with contextlib.AsyncExitStack() as stack:
        customers = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.customer, headers=web_shop, timeout=15)
        )
        billing = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.billing, headers=web_shop, timeout=15)
        )
        books = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.gateway, headers=accountant, timeout=15)
        )
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Menuiserie Garnier",
                    "email": "compta@menuiserie-garnier.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                },
            )
        )

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer['id']}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        # Paid twice over: 30.00 to give back.
        created(
            await billing.post(
                "/v1/payments",
                json={
                    "customer_id": customer["id"],
                    "currency": "EUR",
                    "method": "transfer",
                    "amount": "30.00",
                    "received_on": "2026-03-02",
                    "external_ref": "VIR-OBS-DOUBLE",
                },
            )
        )
        response = await customers.post(
            f"/v1/customers/{customer['id']}/requests",
            json={"category": "refund", "subject": "Virement reçu deux fois"},
        )
        request = created(response)
        request_trace = response.headers["x-trace-id"]
        traceresponse = response.headers["traceresponse"]
        assert traceresponse.split("-")[1] == request_trace
        response = await billing.post(
            "/v1/refunds",
            json={
                "customer_id": customer["id"],
                "amount": "30.00",
                "currency": "EUR",
                "method": "transfer",
                "reason": "overpayment",
                "request_id": request["id"],
            },
            headers={"traceparent": traceresponse},
        )
        created(response)
        assert response.headers["x-trace-id"] == request_trace

        async def refund_booked() -> bool:
            found = (await books.get("/v1/journal-entries", params={"limit": 500})).json()
            return any(entry["trace_id"] == request_trace for entry in found["items"])

        await testing.eventually(refund_booked, what="the refund booked")

    trace = await fetch_trace(system.zipkin, request_trace, until=f"send {ACCOUNTING_EVENTS}")
    [root] = [span for span in trace.spans if "parentId" not in span]
    assert (root["localEndpoint"]["serviceName"], root["kind"]) == (CUSTOMER, "SERVER")
    assert trace.one(CUSTOMER, f"send {CUSTOMER_EVENTS}", "PRODUCER")
    refund = [span for span in trace.of(BILLING, "POST /v1/refunds") if span["kind"] == "SERVER"]
    assert len(refund) == 1, trace.summary()
    assert refund[0]["parentId"] == root["id"]
    send = trace.one(BILLING, f"send {BILLING_EVENTS}", "PRODUCER")
    assert refund[0] in ancestors(trace, send)
    process = trace.one(GATEWAY, f"process {BILLING_EVENTS}", "CONSUMER")
    assert process["parentId"] == send["id"]
    published = trace.one(GATEWAY, f"send {ACCOUNTING_EVENTS}", "PRODUCER")
    assert process in ancestors(trace, published)


# -- a dunning run ------------------------------------------------------------------------------


@dataclass
class Dunning:
    customer: str
    billing: str
    collections: str
    gateway: str
    groups: dict[str, str]
    zipkin: str


@pytest.fixture
async def dunning(
    services: ServiceProcesses, kafka_bootstrap: str, zipkin: str
) -> AsyncIterator[Dunning]:
    groups = {
        "billing": await group_at_end(
            kafka_bootstrap, "billing", [CUSTOMER_EVENTS, COLLECTIONS_EVENTS]
        ),
        "collections": await group_at_end(
            kafka_bootstrap, "collections", [BILLING_EVENTS, CUSTOMER_EVENTS]
        ),
        "accounting-gateway": await group_at_end(kafka_bootstrap, "accounting-gateway", CONSUMED),
    }
    spans = tracing(zipkin)

    async def start(service: str) -> str:
        group = groups.get(service)
        extra = {"COULISSE_CONSUMER_GROUP": group} if group else {}
        return str(await services.start(service, **extra, **spans))

    found = Dunning(
        customer=await start("customer"),
        billing=await start("billing"),
        collections=await start("collections"),
        gateway=await start("accounting-gateway"),
        groups=groups,
        zipkin=zipkin,
    )
    await services.ready()
    yield found


def ancestors(trace: Trace, span: dict[str, Any]) -> list[dict[str, Any]]:
    by_id, chain = trace.by_id(), []
    while "parentId" in span:
        span = by_id[span["parentId"]]
        chain.append(span)
    return chain


@pytest.mark.slow
async def test_a_dunning_run_is_one_trace_down_to_the_fee_entries(
    dunning: Dunning, web_shop: dict[str, str], accountant: dict[str, str]
) -> None:
    async with contextlib.AsyncExitStack() as stack:

        async def client(url: str, headers: dict[str, str]) -> httpx.AsyncClient:
            return await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, timeout=30)
            )

        customers = await client(dunning.customer, web_shop)
        billing = await client(dunning.billing, web_shop)
        collections = await client(dunning.collections, COLLECTOR)
        books = await client(dunning.gateway, accountant)
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Charpente Roussel",
                    "email": "compta@charpente-roussel.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                    "payment_terms_days": 14,
                },
            )
        )

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer['id']}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        invoice = created(
            await billing.post(
                "/v1/invoices",
                json={
                    "customer_id": customer["id"],
                    "issue_date": "2026-01-02",
                    "lines": [
                        {
                            "description": "Charpente",
                            "quantity": "1",
                            "unit_price": "1000.00",
                            "vat_rate": "20.0",
                        }
                    ],
                },
            )
        )
        assert invoice["due_date"] == "2026-01-16"

        async def collections_knows() -> bool:
            found = await collections.get(f"/v1/customers/{customer['id']}/collections")
            return found.status_code == 200 and len(found.json()["receivables"]) == 1

        await testing.eventually(collections_knows, what="collections reads the invoice")
        for day in RUNS:
            response = await collections.post("/v1/dunning/runs", json={"as_of": day.isoformat()})
            run = created(response)
        kinds = sorted(fee["kind"] for fee in run["fees"])
        assert kinds == ["late_interest", "recovery_indemnity"]
        run_trace = response.headers["x-trace-id"]

        async def fees_booked() -> bool:
            found = await books.get("/v1/journal-entries", params={"account": "7631"})
            return len(found.json()["items"]) == 2

        await testing.eventually(fees_booked, what="the gateway books both fee invoices")

    trace = await fetch_trace(dunning.zipkin, run_trace, until=f"send {ACCOUNTING_EVENTS}", count=2)
    by_id = trace.by_id()
    roots = [span for span in trace.spans if "parentId" not in span]
    assert len(roots) == 1, trace.summary()
    [root] = roots
    assert (root["localEndpoint"]["serviceName"], root["kind"]) == (COLLECTIONS, "SERVER")
    assert all(span["parentId"] in by_id for span in trace.spans if "parentId" in span)
    assert {BILLING, COLLECTIONS, GATEWAY} <= {
        span["localEndpoint"]["serviceName"] for span in trace.spans
    }
    # Collections' charges, consumed by billing's group, become fee invoices...
    charged = trace.of(BILLING, f"process {COLLECTIONS_EVENTS}", "CONSUMER")
    assert charged and {s["tags"]["messaging.consumer.group.name"] for s in charged} == {
        dunning.groups["billing"]
    }
    # ...each booked by the gateway and published as an entry, in the run's trace.
    entries = trace.of(GATEWAY, f"send {ACCOUNTING_EVENTS}", "PRODUCER")
    assert len(entries) == 2
    for entry in entries:
        path = [
            (span["localEndpoint"]["serviceName"], span.get("kind"), span.get("name"))
            for span in ancestors(trace, entry)
        ]
        assert (GATEWAY, "CONSUMER", f"process {BILLING_EVENTS}") in path
        assert (BILLING, "PRODUCER", f"send {BILLING_EVENTS}") in path
        assert (BILLING, "CONSUMER", f"process {COLLECTIONS_EVENTS}") in path
        assert (COLLECTIONS, "PRODUCER", f"send {COLLECTIONS_EVENTS}") in path
        assert path[-1] == (COLLECTIONS, "SERVER", "post /v1/dunning/runs")
