"""Two billing processes on one database, many requests at the same moment.

Numbers stay exactly 1…N (a rolled-back issue gives its number back) and payments never
allocate more than is due.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from billing_calls import AGENT, balance, two_lines
from billing_harness import CLOCK_START, TODAY
from prometheus_client.parser import text_string_to_metric_families

from coulisse.billing.adapters import tables
from coulisse.billing.adapters.uow import BillingUnitOfWork
from coulisse.billing.application import reactions
from coulisse.billing.application.commands import LearnRegistration
from coulisse.ops.procs import free_port
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.db import create_engine, session_factory
from coulisse.platform.tables import outbox_table

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODULE = "coulisse.billing"


class Cluster:
    def __init__(self, database_url: str, urls: list[str]) -> None:
        self.database_url = database_url
        self.urls = urls
        self.engine = create_engine(database_url)

    def client(self, index: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[index % len(self.urls)], headers=AGENT, timeout=60
        )

    async def register_customer(self) -> UUID:
        customer_id = uuid4()
        uow = BillingUnitOfWork(
            session_factory(self.engine), service="billing", clock=SettableClock(CLOCK_START)
        )
        async with uow:
            await reactions.learn_registration(
                LearnRegistration(
                    customer_id, f"C{customer_id.int % 10**8:08d}", "Client", "c@x.fr", 30
                ),
                uow,
            )
            await uow.commit()
        return customer_id

    async def group_commits(self, group: str) -> tuple[float, float]:
        """Commands committed by `group`'s group commits and their transactions, over both
        processes (their Prometheus histogram)."""
        commands = transactions = 0.0
        for url in self.urls:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                text = (await client.get("/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.labels.get("group") != group:
                        continue
                    if sample.name == "coulisse_group_commit_commands_sum":
                        commands += sample.value
                    elif sample.name == "coulisse_group_commit_commands_count":
                        transactions += sample.value
        return commands, transactions

    async def numbers(self, table: sa.Table) -> list[str]:
        async with self.engine.connect() as conn:
            found = await conn.execute(sa.select(table.c.number).where(table.c.number.is_not(None)))
            return sorted(str(n) for n in found.scalars())


@pytest.fixture(scope="module")
async def cluster(
    billing_database: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    logs = tmp_path_factory.mktemp("billing-cluster")
    processes = []
    urls = []
    try:
        for index in range(2):
            port = free_port()
            # Both processes' clocks start at CLOCK_START: "today" is TODAY for the whole test.
            env = testing.service_env(
                "billing",
                database_url=billing_database,
                bootstrap=kafka_bootstrap,
                port=port,
                clock_start=CLOCK_START,
            )
            env["COULISSE_ROLES"] = "api"
            processes.append(testing.start_service(MODULE, env, logs / f"billing-{index}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            await testing.wait_ready(url, process)
        found = Cluster(billing_database, urls)
        yield found
        await found.engine.dispose()
    finally:
        for process in processes:
            testing.stop(process)


async def test_invoices_issued_at_once_by_two_processes_are_numbered_without_gaps(
    cluster: Cluster,
) -> None:
    customers = [await cluster.register_customer() for _ in range(4)]
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    clients = [cluster.client(0), cluster.client(1)]
    gate = asyncio.Semaphore(60)

    async def issue(n: int) -> int:
        body: dict[str, Any] = {"customer_id": str(customers[n % 4]), "lines": two_lines()}
        if n % 5 == 4:
            # Refused by the statement that takes the number (dated before the series' last
            # date), after the invoice's rows were written: the rollback must give it back.
            body["issue_date"] = yesterday
        elif n % 5 == 3:
            # Refused before any number is taken (due before the issue date).
            body["due_date"] = yesterday
        async with gate:
            response = await clients[n % 2].post("/v1/invoices", json=body)
        return response.status_code

    try:
        # The series' last date is today from the first invoice on.
        first = await clients[0].post(
            "/v1/invoices", json={"customer_id": str(customers[0]), "lines": two_lines()}
        )
        assert first.status_code == 201, first.text
        statuses = await asyncio.gather(*(issue(n) for n in range(300)))
    finally:
        for client in clients:
            await client.aclose()
    assert Counter(statuses) == {201: 180, 409: 60, 422: 60}
    # Groups did form: fewer transactions than the invoices they committed (the first invoice
    # alone, the 180 others in the processes' group commits).
    commands, transactions = await cluster.group_commits("invoices")
    assert commands == 181
    assert transactions < commands
    year = TODAY.year
    numbers = await cluster.numbers(tables.invoices)
    assert numbers == [f"F{year}-{n:06d}" for n in range(1, 182)]
    async with cluster.engine.connect() as conn:
        # A refused invoice shared its transaction with others (group commit) and was rolled back
        # to its savepoint: not even its draft rows are left.
        rows = await conn.scalar(sa.select(sa.func.count()).select_from(tables.invoices))
        assert rows == 181

        events = (
            await conn.execute(
                sa.select(outbox_table.c.value).where(
                    outbox_table.c.event_type == "billing.invoice.issued.v1"
                )
            )
        ).scalars()
        published = sorted(re.search(rb'"number":"([^"]+)"', v).group(1).decode() for v in events)  # type: ignore[union-attr]
    assert published == numbers


async def test_concurrent_payments_never_over_allocate(cluster: Cluster) -> None:
    customer_id = await cluster.register_customer()
    clients = [cluster.client(0), cluster.client(1)]
    try:
        invoices = []
        for _ in range(5):
            response = await clients[0].post(
                "/v1/invoices", json={"customer_id": str(customer_id), "lines": two_lines()}
            )
            assert response.status_code == 201
            invoices.append(response.json())
        target = invoices[-1]["id"]

        async def pay(n: int, explicit: bool) -> httpx.Response:
            body: dict[str, Any] = {
                "customer_id": str(customer_id),
                "amount": "100.00" if not explicit else "50.00",
                "method": "transfer",
                "received_on": TODAY.isoformat(),
                "external_ref": f"VIR-{n}",
            }
            if explicit:
                body["allocations"] = [{"invoice_id": target, "amount": "50.00"}]
            return await clients[n % 2].post("/v1/payments", json=body)

        explicit = await asyncio.gather(*(pay(n, True) for n in range(12)))
        explicit_statuses = Counter(r.status_code for r in explicit)
        # 320.12 due: six allocations of 50.00 fit, the seventh would exceed what is due.
        assert explicit_statuses == {201: 6, 409: 6}, [r.text for r in explicit]
        oldest_first = await asyncio.gather(*(pay(n, False) for n in range(100, 130)))
        assert all(r.status_code == 201 for r in oldest_first), [r.text for r in oldest_first]
        duplicates = await asyncio.gather(
            *(
                clients[n % 2].post(
                    "/v1/payments",
                    json={
                        "customer_id": str(customer_id),
                        "amount": "1.00",
                        "method": "card",
                        "received_on": TODAY.isoformat(),
                        "external_ref": "SAME-REF",
                    },
                )
                for n in range(6)
            )
        )
        assert Counter(r.status_code for r in duplicates) == {201: 1, 409: 5}

        allocated: dict[str, Decimal] = Counter()  # type: ignore[assignment]
        received = Decimal(0)
        unallocated = Decimal(0)
        for response in [*explicit, *oldest_first, *duplicates]:
            if response.status_code != 201:
                continue
            payment = response.json()
            received += Decimal(payment["amount"])
            unallocated += Decimal(payment["unallocated"])
            for allocation in payment["allocations"]:
                allocated[allocation["invoice_id"]] += Decimal(allocation["amount"])
        assert all(amount == Decimal("320.12") for amount in allocated.values())
        assert set(allocated) == {i["id"] for i in invoices}
        assert received == Decimal("3301.00")
        assert received - unallocated == sum(allocated.values())
        state = await balance(clients[0], customer_id)
        assert state["open_invoices"] == []
        assert (
            Decimal(state["credit_available"])
            == unallocated
            == Decimal("3301.00") - Decimal("1600.60")
        )
        assert state["balance"] == "-1700.40"
    finally:
        for client in clients:
            await client.aclose()
