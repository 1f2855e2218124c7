"""The bare reference for billing's `POST /v1/invoices`: FastAPI and asyncpg, nothing else.

It takes the same invoice JSON and writes the same rows as billing does for it, in one
transaction: the stored `Idempotency-Key` looked up, the customer read, the numbering counter
advanced (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, then its last issue date), the invoice,
its lines, the outbox row of `billing.invoice.issued.v1` with its `pg_notify`, and the key's
stored answer. No authentication, no domain objects, no ORM, no spans: what is left is what any
implementation of the route must pay. It runs in a uvicorn process of its own with the services'
uvicorn settings (`coulisse.platform.service.main`), against a database of its own on the same
server (hence the same server settings) with the tables of billing's migrations.

    python -m coulisse.ops.bench.bare --port 18080 --dsn postgresql://…
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import asyncpg
import uvicorn
from fastapi import FastAPI, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from coulisse.platform.clock import default_clock

CENT = Decimal("0.01")
PARIS = ZoneInfo("Europe/Paris")
TABLES = ("customers", "number_counters", "invoices", "invoice_lines", "outbox", "idempotency_keys")

# Billing's tables for this route, as its migrations create them (checked against billing's
# database by `database.schema_differences` before every measurement).
SCHEMA = """
DROP TABLE IF EXISTS invoice_lines, invoices, number_counters, customers, outbox,
    idempotency_keys CASCADE;
CREATE TABLE customers (
    id uuid PRIMARY KEY,
    status varchar(10) NOT NULL,
    account_number varchar(20),
    display_name varchar(200),
    email varchar(320),
    payment_terms_days integer,
    credit_available numeric(18, 2) NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE number_counters (
    series varchar(5) NOT NULL,
    year integer NOT NULL,
    value bigint NOT NULL,
    last_issue_date date,
    PRIMARY KEY (series, year)
);
CREATE TABLE invoices (
    id uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id),
    account_number varchar(20) NOT NULL,
    kind varchar(10) NOT NULL,
    status varchar(20) NOT NULL,
    number varchar(20) UNIQUE,
    currency varchar(3) NOT NULL,
    issue_date date,
    due_date date,
    total_net numeric(18, 2) NOT NULL,
    total_vat numeric(18, 2) NOT NULL,
    total_gross numeric(18, 2) NOT NULL,
    amount_paid numeric(18, 2) NOT NULL,
    amount_credited numeric(18, 2) NOT NULL,
    credited_by_rate json NOT NULL,
    credit_applied numeric(18, 2) NOT NULL,
    amount_written_off numeric(18, 2) NOT NULL,
    amount_due numeric(18, 2) NOT NULL,
    written_off_on date,
    source_fee_id uuid UNIQUE,
    created_at timestamptz NOT NULL,
    issued_at timestamptz,
    version integer NOT NULL
);
CREATE INDEX ix_invoices_customer ON invoices (customer_id, created_at);
CREATE INDEX ix_invoices_status ON invoices (status, created_at);
CREATE TABLE invoice_lines (
    invoice_id uuid NOT NULL REFERENCES invoices (id),
    position integer NOT NULL,
    description varchar(500) NOT NULL,
    quantity varchar(20) NOT NULL,
    unit_price numeric(18, 2) NOT NULL,
    vat_rate varchar(5) NOT NULL,
    net numeric(18, 2) NOT NULL,
    vat numeric(18, 2) NOT NULL,
    revenue_account varchar(10),
    PRIMARY KEY (invoice_id, position)
);
CREATE TABLE outbox (
    position bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    topic varchar(200) NOT NULL,
    key varchar(200) NOT NULL,
    event_type varchar(200) NOT NULL,
    value bytea NOT NULL,
    traceparent varchar(100),
    created_at timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_pending ON outbox (position) WHERE published_at IS NULL;
CREATE TABLE idempotency_keys (
    key varchar(200) PRIMARY KEY,
    request_hash varchar(64) NOT NULL,
    status_code integer NOT NULL,
    response_body bytea NOT NULL,
    created_at timestamptz NOT NULL
);
"""


async def create_schema(connection: asyncpg.Connection) -> None:
    await connection.execute(SCHEMA)


async def copy_customers(billing: asyncpg.Connection, bare: asyncpg.Connection) -> int:
    rows = await billing.fetch(
        "SELECT id, status, account_number, display_name, email, payment_terms_days, "
        "credit_available, updated_at FROM customers"
    )
    await bare.executemany(
        "INSERT INTO customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", [tuple(r) for r in rows]
    )
    return len(rows)


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    quantity: str
    unit_price: str
    vat_rate: str
    revenue_account: str | None = None


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: uuid.UUID
    currency: str
    lines: list[Line]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def create_app(dsn: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        # Billing's pool: 10 connections and as many again under load.
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/invoices", status_code=201)
    async def create_invoice(
        body: InvoiceIn,
        request: Request,
        idempotency_key: str = Header(alias="Idempotency-Key"),
    ) -> Response:
        assert pool is not None
        clock_now = default_clock().now()
        issue_date = clock_now.astimezone(PARIS).date()
        priced = []
        for position, line in enumerate(body.lines, start=1):
            net = _cents(Decimal(line.quantity) * Decimal(line.unit_price))
            vat = _cents(net * Decimal(line.vat_rate) / 100)
            priced.append((position, line, net, vat))
        total_net = sum((p[2] for p in priced), Decimal(0))
        total_vat = sum((p[3] for p in priced), Decimal(0))
        invoice_id, event_id = uuid.uuid4(), uuid.uuid4()
        async with pool.acquire() as connection, connection.transaction():
            stored = await connection.fetchrow(
                "SELECT status_code, response_body FROM idempotency_keys WHERE key = $1",
                idempotency_key,
            )
            if stored is not None:
                return Response(bytes(stored["response_body"]), stored["status_code"])
            customer = await connection.fetchrow(
                "SELECT account_number, payment_terms_days FROM customers WHERE id = $1",
                body.customer_id,
            )
            if customer is None:
                return Response(b'{"detail":"unknown customer"}', 422)
            counter = await connection.fetchrow(
                "INSERT INTO number_counters (series, year, value) VALUES ('F', $1, 1) "
                "ON CONFLICT (series, year) DO UPDATE SET value = number_counters.value + 1 "
                "RETURNING value",
                issue_date.year,
            )
            await connection.execute(
                "UPDATE number_counters SET last_issue_date = $2 WHERE series = 'F' AND year = $1",
                issue_date.year,
                issue_date,
            )
            number = f"F{issue_date.year}-{counter['value']:06d}"
            due_date = issue_date + timedelta(days=customer["payment_terms_days"] or 30)
            gross = total_net + total_vat
            await connection.execute(
                "INSERT INTO invoices VALUES ($1, $2, $3, 'standard', 'issued', $4, $5, $6, $7, "
                "$8, $9, $10, 0, 0, '{}', 0, 0, $10, NULL, NULL, $11, $11, 1)",
                invoice_id,
                body.customer_id,
                customer["account_number"],
                number,
                body.currency,
                issue_date,
                due_date,
                total_net,
                total_vat,
                gross,
                clock_now,
            )
            await connection.executemany(
                "INSERT INTO invoice_lines VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                [
                    (
                        invoice_id,
                        position,
                        line.description,
                        line.quantity,
                        Decimal(line.unit_price),
                        line.vat_rate,
                        net,
                        vat,
                        line.revenue_account,
                    )
                    for position, line, net, vat in priced
                ],
            )
            answer = {
                "id": str(invoice_id),
                "number": number,
                "customer_id": str(body.customer_id),
                "account_number": customer["account_number"],
                "issue_date": issue_date.isoformat(),
                "due_date": due_date.isoformat(),
                "total_net": f"{total_net:.2f}",
                "total_vat": f"{total_vat:.2f}",
                "total_gross": f"{gross:.2f}",
                "status": "issued",
            }
            event = {
                "specversion": "1.0",
                "id": str(event_id),
                "source": "coulisse/billing",
                "type": "billing.invoice.issued.v1",
                "subject": str(invoice_id),
                "time": clock_now.isoformat(),
                "datacontenttype": "application/json",
                "data": {
                    **answer,
                    "invoice_id": str(invoice_id),
                    "lines": [line.model_dump() for line in body.lines],
                },
            }
            await connection.execute(
                "INSERT INTO outbox (event_id, topic, key, event_type, value, created_at) "
                "VALUES ($1, 'billing.events', $2, 'billing.invoice.issued.v1', $3, $4)",
                event_id,
                str(body.customer_id),
                json.dumps(event).encode(),
                clock_now,
            )
            await connection.execute("SELECT pg_notify('outbox_bench_bare', '')")
            response_body = json.dumps(answer).encode()
            await connection.execute(
                "INSERT INTO idempotency_keys VALUES ($1, $2, 201, $3, $4)",
                idempotency_key,
                request.method + request.url.path,
                response_body,
                clock_now,
            )
        return Response(response_body, 201, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="The bench's bare invoice endpoint.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    arguments = parser.parse_args()
    # The services' uvicorn settings (coulisse.platform.service.main).
    uvicorn.run(
        create_app(arguments.dsn),
        host="127.0.0.1",
        port=arguments.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
