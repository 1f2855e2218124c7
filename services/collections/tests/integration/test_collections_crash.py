"""kill -9 of the collections process in the middle of a run, then between sending a notice's
e-mail and recording it: nothing is lost, nothing recorded twice.

The run is recorded in one transaction with its notices, fees and events; a crash after all is
written but before the commit leaves nothing behind, and the same run made again after the
restart records each notice once and publishes it once. The e-mail is delivered at least once: a
crash after the SMTP server accepted it and before the notice was marked sent sends it again at
the restart, with the same Message-ID, so a mail system can drop the copy.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import jsonschema
import pytest
import sqlalchemy as sa
from collections_harness import AGENT, invoice_issued, registration

from coulisse.collections.adapters import tables
from coulisse.contracts.asyncapi import asyncapi_document
from coulisse.contracts.topics import BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS
from coulisse.ops.procs import free_port
from coulisse.ops.testing import DatabaseFactory, SmtpServer
from coulisse.platform import testing
from coulisse.platform.db import create_engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODULE = "coulisse.collections"
CLOCK_START = datetime(2026, 1, 13, 11, tzinfo=UTC)  # noon in Paris, three days before the due date
RUN = {"as_of": "2026-01-13"}


async def count(database_url: str, table: Any, *where: Any) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = sa.select(sa.func.count()).select_from(table)
            for clause in where:
                query = query.where(clause)
            return int(await connection.scalar(query) or 0)
    finally:
        await engine.dispose()


async def test_kill_9_during_a_run_and_a_delivery_loses_and_doubles_nothing(
    make_database: DatabaseFactory, kafka_bootstrap: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    database_url = await make_database("collections")
    port = free_port()
    # A group that reads only this test's events: the runs then concern this test's invoices.
    group = f"collections-crash-{uuid4().hex[:8]}"
    await testing.start_group_at_end(kafka_bootstrap, group, [BILLING_EVENTS, CUSTOMER_EVENTS])
    env = testing.service_env(
        "collections",
        database_url=database_url,
        bootstrap=kafka_bootstrap,
        port=port,
        extra={
            "COULISSE_CONSUMER_GROUP": group,
            "COULISSE_NOTICE_POLL_SECONDS": "0.1",
            **smtp_server.environment(),
        },
        clock_start=CLOCK_START,
    )
    await asyncio.to_thread(testing.migrate, MODULE, env)
    customer_id = uuid4()
    issued = invoice_issued(customer_id, "1200.00", vat="200.00")
    await testing.publish(
        kafka_bootstrap, [testing.envelope(registration(customer_id)), testing.envelope(issued)]
    )
    base_url = f"http://127.0.0.1:{port}"

    async def knows_the_invoice(client: httpx.AsyncClient) -> None:
        async def known() -> bool:
            found = await client.get(f"/v1/customers/{customer_id}/collections")
            return found.status_code == 200 and len(found.json()["receivables"]) == 1

        await testing.eventually(known, what="collections reads the invoice from Kafka")

    # 1. The run is written, then the process dies before the commit.
    armed = {**env, "COULISSE_FAILPOINTS": "collections.run.recorded"}
    process = testing.start_service(MODULE, armed, tmp_path / "collections.log")
    try:
        await testing.wait_ready(base_url, process)
        async with httpx.AsyncClient(base_url=base_url, headers=AGENT, timeout=30) as client:
            await knows_the_invoice(client)
            with pytest.raises(httpx.HTTPError):
                await client.post("/v1/dunning/runs", json=RUN)
        await asyncio.to_thread(process.wait, 30)
    finally:
        testing.stop(process)
    assert process.returncode == -signal.SIGKILL
    assert await count(database_url, tables.dunning_runs) == 0
    assert await count(database_url, tables.notices) == 0

    assert smtp_server.mails() == []

    # 2. Restarted, the same run is made once: one notice, one event; again, nothing more. Its
    # e-mail goes out, and the process dies before recording that it did. The mail server holds
    # its answer until both requests are answered: the death then comes after them, not during.
    mail_armed = {**env, "COULISSE_FAILPOINTS": "collections.notice.sent"}
    process = testing.start_service(MODULE, mail_armed, tmp_path / "collections.log")
    smtp_server.hold()
    try:
        await testing.wait_ready(base_url, process)
        async with httpx.AsyncClient(base_url=base_url, headers=AGENT, timeout=30) as client:
            first = await client.post("/v1/dunning/runs", json=RUN)
            assert first.status_code == 201, first.text
            assert [(n["level"], n["invoice_ids"]) for n in first.json()["notices"]] == [
                (1, [str(issued.invoice_id)])
            ]
            again = await client.post("/v1/dunning/runs", json=RUN)
            assert again.status_code == 201 and again.json()["repeated"] is True
            notice_id = first.json()["notices"][0]["id"]
        smtp_server.release()
        await asyncio.to_thread(process.wait, 30)
    finally:
        smtp_server.release()
        testing.stop(process)
    assert process.returncode == -signal.SIGKILL
    [sent_once] = smtp_server.mails()

    # 3. Restarted, the sender sends it again, with the same Message-ID, and records it.
    process = testing.start_service(MODULE, env, tmp_path / "collections.log")
    try:
        await testing.wait_ready(base_url, process)
        async with httpx.AsyncClient(base_url=base_url, headers=AGENT, timeout=30) as client:

            async def recorded_sent() -> bool:
                found = (await client.get(f"/v1/notices/{notice_id}")).json()
                return bool(found["delivery_status"] == "sent")

            await testing.eventually(recorded_sent, what="the notice recorded as sent")
            notice = (await client.get(f"/v1/notices/{notice_id}")).json()
    finally:
        testing.stop(process)
    mails = smtp_server.mails()
    assert len(mails) == 2
    message_ids = {str(mail.message["Message-ID"]).strip() for mail in mails}
    assert message_ids == {notice["message_id"]}
    # The copy is made again (a new MIME boundary), saying the same thing to the same person.
    first_copy, second_copy = sent_once.message, mails[1].message
    for header in ("To", "From", "Subject"):
        assert first_copy[header] == second_copy[header]
    bodies = [m.get_body(preferencelist=("plain",)) for m in (first_copy, second_copy)]
    assert bodies[0] is not None and bodies[1] is not None
    assert bodies[0].get_content() == bodies[1].get_content()
    assert issued.number in bodies[0].get_content()
    assert (
        await count(
            database_url, tables.notice_lines, tables.notice_lines.c.invoice_id == issued.invoice_id
        )
        == 1
    )
    assert await count(database_url, tables.dunning_runs) == 1
    # Everything published for the customer, read until nothing more comes: one notice.
    published = await testing.read_topic(
        kafka_bootstrap,
        COLLECTIONS_EVENTS,
        keep=lambda r: r.key == str(customer_id).encode(),
        until=lambda found: False,
        timeout=5,
    )
    # Each record carries the headers the AsyncAPI document promises.
    headers_schema = asyncapi_document()["components"]["schemas"]["RecordHeaders"]
    for record in published:
        headers = {name: value.decode() for name, value in record.headers}
        jsonschema.validate(headers, headers_schema)
        assert headers["ce_id"] == testing.event_json(record)["id"]
    notices_sent = [
        e for e in map(testing.event_json, published) if e["type"].endswith("notice_sent.v1")
    ]
    assert len(notices_sent) == 1
    assert date.fromisoformat(notices_sent[0]["data"]["sent_on"]) == date(2026, 1, 13)
