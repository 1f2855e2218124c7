"""Rebuilding the read model from the topics while the service keeps answering: the same
answers afterwards (every report byte for byte), the same stream positions."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import reports_harness as reports
import sqlalchemy as sa
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from reporting_harness import (
    ADMIN,
    CLOCK_START,
    Reporting,
    account_of,
    invoice,
    payment,
    registration,
    running_reporting,
    serving,
)

from coulisse.contracts.accounting import EventSuspended
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import BillingOutOfBandWrite
from coulisse.contracts.collections import DisputeOpened, PromiseRecorded
from coulisse.contracts.customer import CustomerErased, RequestOpened
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.envelope import OutgoingEvent
from coulisse.reporting.adapters.rebuild import REBUILD_LOCK

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def record_of(event: OutgoingEvent) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=event.topic,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=event.key.encode(),
        value=event.value,
        checksum=None,
        serialized_key_size=len(event.key),
        serialized_value_size=len(event.value),
        headers=(),
    )


async def happened(reporting: Reporting, payloads: list[EventPayload]) -> None:
    """Published on the topics (what a rebuild reads) and applied by the live consumer."""
    events = [
        testing.envelope(
            p,
            actor="agent-7",
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        for p in payloads
    ]
    await published(reporting, events)


async def published(reporting: Reporting, events: list[OutgoingEvent]) -> None:
    """`happened`, for events already enveloped, applied in one batch."""
    await testing.publish(reporting.kafka_bootstrap, events)
    await reporting.consumer.process([record_of(event) for event in events])


def books_and_business(customer_id: UUID) -> list[OutgoingEvent]:
    """Something for every report: invoices late and not due, a payment, a credit note the books
    suspended, a dispute, a refund request refunded and one still open, a refund booked by hand
    in the books and an out-of-band write."""
    late = reports.invoice(customer_id, "300.00", date(2026, 9, 1), date(2026, 10, 1))
    fresh = reports.invoice(customer_id, "120.00", date(2026, 11, 10), date(2026, 12, 10))
    paid = reports.payment(customer_id, date(2026, 10, 20), (late, "100.00"), unallocated="20.00")
    credited = reports.credit_note(fresh, "20.00", date(2026, 11, 12))
    asked, waiting = (
        RequestOpened.model_validate(
            {
                "request_id": str(uuid4()),
                "customer_id": str(customer_id),
                "category": "refund",
                "subject": "Trop-perçu",
                "opened_at": opened,
                "due_at": "2026-11-20T09:00:00Z",
            }
        )
        for opened in ("2026-11-13T09:00:00Z", "2026-11-14T09:00:00Z")
    )
    refunded = reports.refund(customer_id, "20.00", date(2026, 11, 15), asked.request_id)
    payloads: list[EventPayload] = [late, fresh, paid, credited, refunded]
    documents = [testing.envelope(p) for p in payloads]
    aux = account_of(customer_id)
    by_hand = reports.entry(
        "BQ",
        date(2026, 11, 15),
        [reports.line("411", "15.00", aux=aux), reports.line("512", credit="15.00")],
    )
    return [
        *documents,
        *(
            testing.envelope(reports.journaled(e, p))
            for e, p in zip(documents, payloads, strict=True)
            if p is not credited  # the books suspended it
        ),
        testing.envelope(
            EventSuspended(
                source_event_id=documents[3].event_id,
                source_event_type=documents[3].event_type,
                error="no rule",
            )
        ),
        testing.envelope(
            DisputeOpened(
                dispute_id=uuid4(), customer_id=customer_id, invoice_id=late.invoice_id, reason="x"
            )
        ),
        testing.envelope(asked),
        testing.envelope(waiting),
        testing.envelope(by_hand),
        testing.envelope(
            BillingOutOfBandWrite(
                table="payments",
                operation="DELETE",
                row_key=str(paid.payment_id),
                db_role="dba_jean",
                at=datetime(2026, 11, 15, 10, tzinfo=UTC),
                customer_id=customer_id,
            )
        ),
    ]


REPORTS = (
    "/v1/reports/aged-receivables",
    "/v1/reports/aged-receivables?basis=invoice_date&buckets=10,20,40&as_of=2026-12-31",
    "/v1/reports/dso?as_of=2026-12-31&days=60",
    "/v1/reports/reconciliation",
    "/v1/reports/refund-lead-time",
    "/v1/reports/pulse",
    "/v1/reports/manual-entries?days=3650",
    "/v1/reports/out-of-band-writes?days=3650",
    "/v1/reports/corrections?days=3650",
    "/v1/reports/suspense",
    "/v1/reports/requests",
)


async def answers(reporting: Reporting, customer_id: UUID) -> dict[str, bytes]:
    """Every report's answer and the customer's 360° view and timeline, byte for byte."""
    found: dict[str, bytes] = {}
    views = (f"/v1/customers/{customer_id}/360", f"/v1/customers/{customer_id}/timeline?limit=100")
    for path in (*REPORTS, *views):
        response = await reporting.client.get(path, headers=ADMIN)
        assert response.status_code == 200, (path, response.text)
        found[path] = response.content
    return found


async def rebuilt(reporting: Reporting) -> dict[str, object]:
    response = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
    assert response.status_code == 202, response.text
    rebuild_id = UUID(response.json()["id"])
    found: dict[str, object] = {}

    async def done() -> bool:
        nonlocal found
        answer = await reporting.client.get(f"/v1/admin/rebuilds/{rebuild_id}", headers=ADMIN)
        found = answer.json()
        assert found["state"] != "failed", found
        return found["state"] == "done"

    await testing.eventually(done, what="the rebuild", timeout=120)
    return found


async def test_a_rebuild_gives_the_same_answers(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    url = await make_database("reporting_rebuild")
    async with running_reporting(
        url,
        kafka_bootstrap=kafka_bootstrap,
        roles="api,workers",
        env={"COULISSE_REBUILD_POLL_SECONDS": "0.2"},
    ) as reporting:
        customer_id, erased_id, reports_id = uuid4(), uuid4(), uuid4()
        first, second = invoice(customer_id, "1200.00"), invoice(customer_id, "80.00")
        await happened(
            reporting,
            [
                registration(customer_id),
                first,
                second,
                payment(customer_id, first, "400.00"),
                PromiseRecorded(
                    promise_id=uuid4(),
                    customer_id=customer_id,
                    amount=first.total_gross,
                    promised_on=first.due_date,
                ),
                registration(erased_id),
                CustomerErased(customer_id=erased_id, account_number=account_of(erased_id)),
            ],
        )
        before = [await reporting.view(customer_id), await reporting.view(erased_id)]

        found = await rebuilt(reporting)

        after = [await reporting.view(customer_id), await reporting.view(erased_id)]
        assert after == before
        assert isinstance(found["events"], int) and found["events"] >= 7
        # While nothing was rebuilding, a second request is taken again. The read model now
        # holds everything on the topics: the reports must answer the same bytes once rebuilt.
        await happened(reporting, [invoice(customer_id, "5.00")])
        await published(reporting, books_and_business(reports_id))
        reported = await answers(reporting, reports_id)
        timeline = json.loads(reported[f"/v1/customers/{reports_id}/timeline?limit=100"])
        # The books' entries on the customer's account are on their timeline: four journaled
        # documents (the credit note was suspended) and the refund booked by hand.
        assert [i["type"] for i in timeline["items"]].count("accounting.entry.posted.v1") == 5
        pulse = json.loads(reported["/v1/reports/pulse"])
        assert pulse["status"] == "red"
        assert pulse["manual_entries"]["count"] >= 1
        assert pulse["out_of_band_writes"]["count"] >= 1
        assert pulse["suspense"]["count"] >= 1
        assert pulse["drift"]["drifting_customers"] >= 1
        await rebuilt(reporting)
        assert await answers(reporting, reports_id) == reported
        again = await reporting.view(customer_id)
        assert again["balance"]["balance"] == "885.00"
        # Positions handed out before the rebuilds are kept: streams resume where they were.
        assert again["timeline"]["items"][1:] == before[0]["timeline"]["items"]


async def test_a_second_rebuild_waits_for_the_first(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("reporting_rebuild_twice")
    async with running_reporting(url) as reporting:  # no workers: requests stay requested
        first = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
        assert first.status_code == 202
        assert first.json()["state"] == "requested"
        second = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
        assert second.status_code == 409
        unknown = await reporting.client.get(f"/v1/admin/rebuilds/{uuid4()}", headers=ADMIN)
        assert unknown.status_code == 404


async def test_the_rebuild_command_rebuilds_in_its_own_process(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    url = await make_database("reporting_rebuild_cli")
    gone = FastAPI()  # a customer service for which every customer was erased

    @gone.get("/v1/customers/{customer_id}/personal-data-key")
    async def key(customer_id: UUID) -> JSONResponse:
        return JSONResponse({"title": "Gone"}, status_code=410)

    async with (
        serving(gone) as key_url,
        running_reporting(url, kafka_bootstrap=kafka_bootstrap) as reporting,
    ):
        customer_id = uuid4()
        await happened(reporting, [registration(customer_id), invoice(customer_id, "42.00")])
        before = await reporting.view(customer_id)
        env = testing.service_env(
            "reporting",
            database_url=url,
            bootstrap=kafka_bootstrap,
            port=1,
            extra={"COULISSE_CUSTOMER_URL": key_url, "COULISSE_REBUILD_TIMEOUT_SECONDS": "120"},
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "coulisse.reporting",
            "rebuild",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        async with asyncio.timeout(180):
            output, _ = await process.communicate()
        assert process.returncode == 0, output.decode()
        assert b"read model rebuilt" in output
        assert await reporting.view(customer_id) == before


async def test_a_rebuild_interrupted_long_ago_no_longer_blocks(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("reporting_rebuild_stale")
    async with running_reporting(url) as reporting:
        stale = uuid4()
        async with reporting.service.runtime.uow_factory() as uow:
            long_ago = CLOCK_START - timedelta(hours=2)
            await uow.rebuilds.add(stale, "admin-1", long_ago, running=True)
            await uow.commit()
        response = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
        assert response.status_code == 202, response.text
        found = await reporting.client.get(f"/v1/admin/rebuilds/{stale}", headers=ADMIN)
        assert found.json()["state"] == "failed"
        assert found.json()["error"].startswith("interrupted")


async def test_one_rebuild_at_a_time_whichever_process_runs_it(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("reporting_rebuild_lock")
    async with running_reporting(
        url, roles="api,workers", env={"COULISSE_REBUILD_POLL_SECONDS": "0.1"}
    ) as reporting:
        engine = reporting.service.runtime.engine
        async with engine.connect() as other:  # another process, rebuilding
            await other.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": REBUILD_LOCK})
            response = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
            assert response.status_code == 202
            rebuild_id = response.json()["id"]
            found: dict[str, Any] = {}

            async def ended() -> bool:
                nonlocal found
                answer = await reporting.client.get(
                    f"/v1/admin/rebuilds/{rebuild_id}", headers=ADMIN
                )
                found = answer.json()
                return found["state"] in ("done", "failed")

            await testing.eventually(ended, what="the refused rebuild", timeout=30)
            assert found["state"] == "failed"
            assert "another process is rebuilding" in found["error"]
            await other.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": REBUILD_LOCK})
