"""Server-Sent Events over a real HTTP connection: increasing ids, resuming after a dropped
connection with Last-Event-ID (nothing missed, nothing twice), heartbeats, the retry hint."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
import reports_harness as reports
from reporting_harness import (
    READER,
    EventReader,
    Reporting,
    invoice,
    registration,
    running_reporting,
    serving,
)

from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing

pytestmark = pytest.mark.integration


@pytest.fixture
async def streaming(make_database: DatabaseFactory) -> AsyncIterator[tuple[Reporting, str]]:
    url = await make_database("reporting_streams")
    env = {"COULISSE_STREAM_HEARTBEAT_SECONDS": "0.5"}
    async with running_reporting(url, env=env) as found, serving(found.service.app) as base_url:
        yield found, base_url


async def test_a_dropped_stream_resumes_after_its_last_event_id(
    streaming: tuple[Reporting, str],
) -> None:
    reporting, base_url = streaming
    customer_id = uuid4()
    before = [await reporting.deliver(registration(customer_id))]
    for _ in range(3):
        before.append(await reporting.deliver(invoice(customer_id, "100.00")))
    path = f"/v1/customers/{customer_id}/events/stream"
    received: list[tuple[int, str]] = []
    async with httpx.AsyncClient(base_url=base_url, headers=READER, timeout=30) as client:
        async with client.stream("GET", path, headers={"Last-Event-ID": "0"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for event in await EventReader(response).next(2):
                received.append((int(event.id or 0), json.loads(event.data)["event_id"]))
        # The connection is dropped after two of four; more happens meanwhile.
        after = [await reporting.deliver(invoice(customer_id, "50.00")) for _ in range(2)]
        last = str(received[-1][0])
        async with client.stream("GET", path, headers={"Last-Event-ID": last}) as response:
            assert response.status_code == 200
            reader = EventReader(response)
            for event in await reader.next(4):
                received.append((int(event.id or 0), json.loads(event.data)["event_id"]))
            assert await reader.nothing_within(1.5)  # and nothing twice

    ids = [position for position, _ in received]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 6
    assert [event_id for _, event_id in received] == [str(e) for e in before + after]


async def test_a_stream_without_last_event_id_starts_now_and_says_when_to_retry(
    streaming: tuple[Reporting, str],
) -> None:
    reporting, base_url = streaming
    customer_id = uuid4()
    await reporting.deliver(registration(customer_id))
    async with (
        httpx.AsyncClient(base_url=base_url, headers=READER, timeout=30) as client,
        client.stream("GET", "/v1/events/stream?types=billing.invoice.issued.v1") as response,
    ):
        reader = EventReader(response)
        issued = invoice(customer_id, "75.00")
        await reporting.deliver(registration(uuid4()))  # another type: filtered out
        event_id = await reporting.deliver(issued)
        [event] = await reader.next(1)
        assert event.event == "billing.invoice.issued.v1"
        assert json.loads(event.data)["event_id"] == str(event_id)
        assert "retry: 3000" in reader.fields


async def test_an_idle_stream_gets_heartbeats(streaming: tuple[Reporting, str]) -> None:
    _, base_url = streaming
    async with (
        httpx.AsyncClient(base_url=base_url, headers=READER, timeout=30) as client,
        client.stream("GET", "/v1/events/stream") as response,
    ):
        comments = 0
        async for line in response.aiter_lines():
            if line.startswith(": ping"):
                comments += 1
                if comments == 2:
                    break


async def test_a_stream_needs_a_token(streaming: tuple[Reporting, str]) -> None:
    _, base_url = streaming
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.get("/v1/events/stream")
        assert response.status_code == 401


async def test_the_server_s_shutdown_ends_open_streams(make_database: DatabaseFactory) -> None:
    url = await make_database("reporting_shutdown")
    async with running_reporting(url) as reporting:
        server = serving(reporting.service.app)
        base_url = await server.__aenter__()
        async with (
            httpx.AsyncClient(base_url=base_url, headers=READER, timeout=30) as client,
            client.stream("GET", "/v1/events/stream") as response,
        ):
            lines = aiter(response.aiter_lines())
            assert (await anext(lines)).startswith(": stream open")
            started = time.monotonic()
            stopping = asyncio.create_task(server.__aexit__(None, None, None))
            async with asyncio.timeout(10):
                async for _ in lines:
                    pass  # the stream ends instead of waiting for the client to leave
            await stopping
        # Ended by the server at once, not cut after uvicorn's grace period.
        assert time.monotonic() - started < 4


async def test_a_customer_s_stream_carries_the_entries_on_their_account(
    streaming: tuple[Reporting, str],
) -> None:
    reporting, base_url = streaming
    customer_id = uuid4()
    issued = invoice(customer_id, "100.00")
    sent = testing.envelope(issued)
    await reporting.deliver(registration(customer_id))
    await reporting.deliver(issued, event_id=sent.event_id)
    entry_event = await reporting.deliver(reports.journaled(sent, issued))
    path = f"/v1/customers/{customer_id}/events/stream"
    async with (
        httpx.AsyncClient(base_url=base_url, headers=READER, timeout=30) as client,
        client.stream("GET", path, headers={"Last-Event-ID": "0"}) as response,
    ):
        assert response.status_code == 200
        events = await EventReader(response).next(3)
    assert [e.event for e in events] == [
        "customer.customer.registered.v1",
        "billing.invoice.issued.v1",
        "accounting.entry.posted.v1",
    ]
    entry = json.loads(events[2].data)
    assert (entry["event_id"], entry["customer_id"]) == (str(entry_event), str(customer_id))
