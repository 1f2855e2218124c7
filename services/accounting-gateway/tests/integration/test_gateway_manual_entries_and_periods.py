"""Manual entries, reversals, periods, and the database refusing to change posted lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import gateway_samples as samples
import pytest
import sqlalchemy as sa
from gateway_harness import running_gateway
from sqlalchemy.exc import DBAPIError

from coulisse.contracts.topics import ACCOUNTING_EVENTS
from coulisse.platform import testing
from coulisse.platform.clock import today
from coulisse.platform.db import create_engine

pytestmark = pytest.mark.integration
D = Decimal
# The gateway's clock in these tests: March and April 2026 have begun and may close, 2027 has not.
NOVEMBER_2026 = datetime(2026, 11, 16, 9, tzinfo=UTC)

ENTRY = {
    "journal_code": "OD",
    "entry_date": "2026-10-31",
    "label": "Régularisation frais bancaires",
    "lines": [
        {"account": "658", "debit": "12.40"},
        {"account": "512", "credit": "12.40", "label": "Frais octobre"},
    ],
}


async def test_manual_entry_and_reversal(make_database: Any, kafka_bootstrap: str) -> None:
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        client = gateway.client
        key = {"Idempotency-Key": str(uuid4())}
        created = await client.post("/v1/journal-entries", json=ENTRY, headers=key)
        assert created.status_code == 201, created.text
        entry = created.json()
        assert entry["manual"] and entry["entry_number"] == "OD-2026-000001"
        assert entry["actor"] == "test-agent" and entry["source_event_id"] is None
        assert entry["lines"][0]["label"] == ENTRY["label"]
        assert entry["lines"][1]["account_label"] == "Banque"
        replay = await client.post("/v1/journal-entries", json=ENTRY, headers=key)
        assert replay.status_code == 201 and replay.json()["id"] == entry["id"]
        assert replay.headers["idempotent-replayed"] == "true"

        refusals = [
            (
                {
                    **ENTRY,
                    "lines": [
                        {"account": "658", "debit": "12.40"},
                        {"account": "512", "credit": "12.39"},
                    ],
                },
                422,
            ),
            (
                {
                    **ENTRY,
                    "lines": [
                        {"account": "999", "debit": "1.00"},
                        {"account": "512", "credit": "1.00"},
                    ],
                },
                422,
            ),
            (
                {
                    **ENTRY,
                    "lines": [
                        {"account": "658", "debit": 1.0},
                        {"account": "512", "credit": "1.00"},
                    ],
                },
                422,
            ),
            ({**ENTRY, "journal_code": "ZZ"}, 422),
            ({**ENTRY, "surprise": True}, 422),
        ]
        for body, status in refusals:
            response = await client.post("/v1/journal-entries", json=body)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"

        reversal = await client.post(
            f"/v1/journal-entries/{entry['id']}/reversal", json={"entry_date": "2026-11-02"}
        )
        assert reversal.status_code == 201, reversal.text
        mirror = reversal.json()
        assert mirror["reverses_id"] == entry["id"] and mirror["entry_number"] == "OD-2026-000002"
        assert [(ln["account"], ln["debit"], ln["credit"]) for ln in mirror["lines"]] == [
            ("658", "0.00", "12.40"),
            ("512", "12.40", "0.00"),
        ]
        twice = await client.post(f"/v1/journal-entries/{entry['id']}/reversal")
        assert twice.status_code == 409
        missing = await client.post(f"/v1/journal-entries/{uuid4()}/reversal")
        assert missing.status_code == 404

        trial = await gateway.get("/v1/trial-balance", as_of="2026-12-31")
        assert trial["totals"] == {"debit": "24.80", "credit": "24.80"}
        assert {a["account"]: a["balance"] for a in trial["accounts"]} == {
            "512": "0.00",
            "658": "0.00",
        }
        before = await gateway.get("/v1/trial-balance", as_of="2026-10-31")
        assert {a["account"]: a["balance"] for a in before["accounts"]} == {
            "512": "-12.40",
            "658": "12.40",
        }
        listed = await gateway.get("/v1/journal-entries", account="65")
        assert len(listed["items"]) == 2
        page = await gateway.get("/v1/journal-entries", limit=1)
        assert len(page["items"]) == 1 and page["next_cursor"]
        rest = await gateway.get("/v1/journal-entries", limit=1, cursor=page["next_cursor"])
        assert rest["items"][0]["id"] == mirror["id"] and rest["next_cursor"] is None

        reader = testing.auth_headers(["accounting:read"])
        forbidden = await client.post("/v1/journal-entries", json=ENTRY, headers=reader)
        assert forbidden.status_code == 403
        anonymous = await client.get("/v1/journal-entries", headers={"Authorization": ""})
        assert anonymous.status_code == 401


async def test_nothing_is_dated_in_a_closed_period(
    make_database: Any, kafka_bootstrap: str
) -> None:
    async with running_gateway(
        make_database, kafka_bootstrap, clock_start=NOVEMBER_2026
    ) as gateway:
        client = gateway.client
        customer, aux = uuid4(), "C000003"
        march = samples.invoice(
            customer_id=customer,
            account_number=aux,
            issue_date=date(2026, 3, 31),
            lines=[(D("10.00"), D("0.0"), None)],
        )
        await samples.publish(gateway.bootstrap, [samples.envelope(march)])
        await gateway.caught_up()

        early = await client.post("/v1/periods/2026-04/close")
        assert early.status_code == 409 and early.json()["open_periods"] == ["2026-03"]
        assert (await client.post("/v1/periods/2027-01/close")).status_code == 409
        assert (await client.post("/v1/periods/2026-13/close")).status_code == 422
        for month in ("2026-03", "2026-04"):
            closed = await client.post(f"/v1/periods/{month}/close")
            assert closed.status_code == 200, closed.text
        assert (await client.post("/v1/periods/2026-04/close")).status_code == 409
        periods = {p["period"]: p for p in (await gateway.get("/v1/periods"))["items"]}
        assert periods["2026-03"]["status"] == "closed" and periods["2026-03"]["entry_count"] == 1
        # The current month (by the gateway's clock) is listed, open, though nothing is in it.
        current = today(gateway.clock).strftime("%Y-%m")
        assert current == "2026-11" and periods[current]["status"] == "open"

        late = samples.invoice(
            customer_id=customer,
            account_number=aux,
            issue_date=date(2026, 3, 15),
            lines=[(D("20.00"), D("0.0"), None)],
            number="F2026-000002",
        )
        envelope = samples.envelope(late)
        await samples.publish(gateway.bootstrap, [envelope])
        await gateway.caught_up()
        [moved] = (
            await gateway.get("/v1/journal-entries", source_event_id=str(envelope.event_id))
        )["items"]
        assert moved["entry_date"] == "2026-05-01" and moved["piece_date"] == "2026-03-15"

        dated_closed = await client.post(
            "/v1/journal-entries", json={**ENTRY, "entry_date": "2026-04-30"}
        )
        assert dated_closed.status_code == 409

        records = await testing.read_topic(
            gateway.bootstrap,
            ACCOUNTING_EVENTS,
            keep=lambda r: (
                testing.event_json(r)["type"] == "accounting.period.closed.v1" and r.timestamp >= 0
            ),
            until=lambda found: (
                {testing.event_json(r)["data"]["period"] for r in found} >= {"2026-03", "2026-04"}
            ),
        )
        assert {testing.event_json(r)["data"]["period"] for r in records} >= {"2026-03", "2026-04"}


async def test_the_database_refuses_to_change_posted_lines(
    make_database: Any, kafka_bootstrap: str
) -> None:
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        created = await gateway.client.post("/v1/journal-entries", json=ENTRY)
        assert created.status_code == 201
        engine = create_engine(gateway.database_url)
        try:
            for statement in (
                "UPDATE journal_lines SET debit = debit + 1",
                "DELETE FROM journal_lines",
                "UPDATE journal_entries SET entry_date = entry_date - 1",
                "DELETE FROM journal_entries",
                "TRUNCATE journal_lines CASCADE",
            ):
                async with engine.begin() as connection:
                    with pytest.raises(DBAPIError, match="immutable"):
                        await connection.execute(sa.text(statement))
        finally:
            await engine.dispose()

        async def unchanged() -> bool:
            entry = await gateway.get(f"/v1/journal-entries/{created.json()['id']}")
            return bool(entry["lines"][0]["debit"] == "12.40")

        await testing.eventually(unchanged, what="the posted line still reads 12.40", timeout=5)
