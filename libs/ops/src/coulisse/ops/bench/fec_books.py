"""The books the FEC export is timed on: at least 1,000,000 lines in one fiscal year, in a
database of their own (`coulisse_accounting_gateway_p4`, migrated with the gateway's own
migrations), made through the gateway's posting code.

Synthetic billing events (invoices of several lines at two VAT rates, payments allocated to
them, credit notes) are built from the contracts' models as billing would publish them, and
piped as CloudEvents to `python -m coulisse.accounting_gateway post-events`, which posts them
with the rules in force and the gateway's unit of work, thousands of events per transaction.
Neither Kafka, the inbox nor the outbox relay takes part: this makes books, it measures nothing.
Books that already hold the lines are kept from one run to the next.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg

from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    CreditNoteIssued,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    VatSubtotal,
)
from coulisse.ops.bench import database as db
from coulisse.ops.postgres import ensure_service_database
from coulisse.platform.envelope import build_envelope

GATEWAY_MODULE = "coulisse.accounting_gateway"
P4_SERVICE = "accounting_gateway_p4"
"""The database `coulisse_accounting_gateway_p4`, next to the stack's own."""
FISCAL_YEAR = 2025
CUSTOMERS = 2000
PER_COMMIT = 2000
"""Events per posting transaction."""
LINES_PER_CYCLE = 11.3
"""FEC lines a cycle books on average with the shipped rules (pcg-2026.2): a 5-line invoice
(411, 706, 7063, VAT at 20 % and 10 %), a 3-line invoice (411, 706, VAT), the payment of both
(512 and one 411 line per allocation), and a 3-line credit note every tenth cycle. Only sizes
the next round of loading: the count in the database decides when it stops."""

TWO = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(TWO)


def _line(description: str, net: str, rate: str, account: str) -> DocumentLine:
    amount, vat_rate = Decimal(net), Decimal(rate)
    return DocumentLine(
        description=description,
        quantity=Decimal(1),
        unit_price=amount,
        vat_rate=vat_rate,
        net=amount,
        vat=_money(amount * vat_rate / 100),
        revenue_account=account,
    )


def _breakdown(lines: list[DocumentLine]) -> list[VatSubtotal]:
    by_rate: dict[Decimal, list[DocumentLine]] = {}
    for line in lines:
        by_rate.setdefault(line.vat_rate, []).append(line)
    return [
        VatSubtotal(
            vat_rate=rate,
            net=sum((x.net for x in found), Decimal(0)),
            vat=sum((x.vat for x in found), Decimal(0)),
        )
        for rate, found in sorted(by_rate.items())
    ]


def _invoice(
    number: str, customer: int, day: date, lines: list[DocumentLine], seed: str
) -> InvoiceIssued:
    breakdown = _breakdown(lines)
    net = sum((b.net for b in breakdown), Decimal(0))
    vat = sum((b.vat for b in breakdown), Decimal(0))
    return InvoiceIssued(
        invoice_id=uuid5(NAMESPACE_URL, f"p4:invoice:{seed}"),
        number=number,
        kind="standard",
        customer_id=customer_id(customer),
        account_number=account_number(customer),
        issue_date=day,
        due_date=day + timedelta(days=30),
        lines=lines,
        vat_breakdown=breakdown,
        total_net=net,
        total_vat=vat,
        total_gross=net + vat,
    )


def customer_id(customer: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"p4:customer:{customer}")


def account_number(customer: int) -> str:
    return f"P4C{customer:06d}"


def cycle(index: int, year: int = FISCAL_YEAR) -> list[EventPayload]:
    """The events of cycle `index` (deterministic: the same index gives the same ids), dated in
    `year`: two invoices of a customer, their payment, and every tenth cycle a credit note of
    part of the second invoice."""
    customer = index % CUSTOMERS + 1
    day = date(year, 1, 1) + timedelta(days=index % 360)
    first = _invoice(
        f"P4F{year}-{2 * index + 1:08d}",
        customer,
        day,
        [
            _line("Abonnement", "100.00", "20.0", "7063"),
            _line("Mise en service", "40.00", "20.0", "706"),
            _line("Formation", "60.00", "10.0", "706"),
        ],
        f"{year}:{index}:1",
    )
    second = _invoice(
        f"P4F{year}-{2 * index + 2:08d}",
        customer,
        day,
        [
            _line("Assistance", "30.00", "20.0", "706"),
            _line("Assistance, heures en plus", "15.50", "20.0", "706"),
        ],
        f"{year}:{index}:2",
    )
    events: list[EventPayload] = [first, second]
    credit = Decimal(0)
    if index % 10 == 0:
        credited = [_line("Assistance, heures en plus", "15.50", "20.0", "706")]
        breakdown = _breakdown(credited)
        credit = breakdown[0].net + breakdown[0].vat
        events.append(
            CreditNoteIssued(
                credit_note_id=uuid5(NAMESPACE_URL, f"p4:credit:{year}:{index}"),
                number=f"P4A{year}-{index // 10 + 1:08d}",
                invoice_id=second.invoice_id,
                invoice_number=second.number,
                customer_id=second.customer_id,
                account_number=second.account_number,
                issue_date=day,
                reason="heures non dues",
                lines=credited,
                vat_breakdown=breakdown,
                total_net=breakdown[0].net,
                total_vat=breakdown[0].vat,
                total_gross=credit,
            )
        )
    due = [(first, first.total_gross), (second, second.total_gross - credit)]
    events.append(
        PaymentReceived(
            payment_id=uuid5(NAMESPACE_URL, f"p4:payment:{year}:{index}"),
            customer_id=first.customer_id,
            account_number=first.account_number,
            amount=sum((amount for _, amount in due), Decimal(0)),
            method="transfer",
            received_on=min(day + timedelta(days=5), date(year, 12, 31)),
            external_ref=f"P4VIR{year}-{index + 1:08d}",
            allocations=[
                Allocation(invoice_id=i.invoice_id, invoice_number=i.number, amount=amount)
                for i, amount in due
            ],
            unallocated=Decimal("0.00"),
        )
    )
    return events


def cycles_for(missing_lines: int) -> int:
    """Cycles to load for `missing_lines` more lines, with 2 % to spare."""
    return 0 if missing_lines <= 0 else math.ceil(1.02 * missing_lines / LINES_PER_CYCLE)


def envelopes(first: int, count: int, year: int = FISCAL_YEAR) -> Iterator[bytes]:
    """Cycles `first` to `first + count - 1` as billing's relay would write them: one
    CloudEvents JSON envelope a line."""
    for index in range(first, first + count):
        for payload in cycle(index, year):
            event = build_envelope(
                payload, service="billing", actor="bench", correlation_id=None, traceparent=None
            )
            yield event.value + b"\n"


async def fec_lines(connection: asyncpg.Connection, year: int) -> int:
    """The lines the FEC of `year` holds: every journal line of the year's entries."""
    found = await connection.fetchval(
        "SELECT count(*) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "WHERE e.fiscal_year = $1",
        year,
    )
    return int(found)


async def entries(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM journal_entries"))


def gateway_environment(base: Mapping[str, str], database_url: str) -> dict[str, str]:
    """The stack's gateway environment on the P4 database, as an HTTP API only: no relay
    (the posted entries' events stay in its outbox), no consumers."""
    return {
        **os.environ,
        **base,
        "DATABASE_URL": database_url,
        "COULISSE_ROLES": "api",
        "PYTHONUNBUFFERED": "1",
    }


async def _gateway(*arguments: str, environment: Mapping[str, str], **pipes: Any) -> Any:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", GATEWAY_MODULE, *arguments, env=dict(environment), **pipes
    )


async def migrate(environment: Mapping[str, str]) -> None:
    process = await _gateway(
        "migrate",
        environment=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the P4 database's migration failed: {out.decode()[-2000:]}")


async def post(
    environment: Mapping[str, str], first: int, count: int, status: Callable[[str], None]
) -> dict[str, int]:
    """Cycles `first`… piped to `post-events`; returns what it says it posted."""
    process = await _gateway(
        "post-events",
        "--per-commit",
        str(PER_COMMIT),
        environment=environment,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    errors = asyncio.create_task(process.stderr.read())
    answer = asyncio.create_task(process.stdout.read())
    written = 0
    try:
        for line in envelopes(first, count):
            process.stdin.write(line)
            written += 1
            if written % 5000 == 0:
                await process.stdin.drain()
            if written % 50_000 == 0:
                status(f"fec: {written:,} events handed to the gateway's posting")
        await process.stdin.drain()
    finally:
        process.stdin.close()
    await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"post-events failed: {(await errors).decode()[-2000:]}")
    found: dict[str, int] = json.loads((await answer).decode().strip().splitlines()[-1])
    return found


async def ensure_books(
    admin_url: str,
    base_environment: Mapping[str, str],
    minimum_lines: int,
    status: Callable[[str], None],
    year: int = FISCAL_YEAR,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The P4 books holding at least `minimum_lines` FEC lines for `year`, loaded if they do
    not yet; returns how (loaded or reused, seconds, counts) and the gateway's environment on
    them."""
    url = await ensure_service_database(admin_url, P4_SERVICE)
    environment = gateway_environment(base_environment, url)
    await migrate(environment)
    connection = await db.connect_url(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        before = await fec_lines(connection, year)
        found: dict[str, Any] = {
            "database": f"coulisse_{P4_SERVICE}",
            "fiscal_year": year,
            "lines_before": before,
        }
        if before >= minimum_lines:
            status(f"fec: the P4 books hold {before:,} lines for {year}: reused")
            return {**found, "books": "reused", "load_s": 0.0, "lines": before}, environment
        started = time.monotonic()
        posted = {"events": 0, "entries": 0, "transactions": 0}
        lines = before
        while lines < minimum_lines:
            # Cycle ids are deterministic and a cycle makes 3 or 4 entries: starting at the
            # number of entries already there starts past every cycle posted, even after an
            # interrupted load (and the books would skip an event posted twice anyway).
            first = await entries(connection)
            count = cycles_for(minimum_lines - lines)
            status(f"fec: loading {count:,} cycles (about {count * 3.1:,.0f} events)")
            answer = await post(environment, first, count, status)
            for key in posted:
                posted[key] += int(answer.get(key, 0))
            grown, lines = lines, await fec_lines(connection, year)
            if answer.get("entries", 0) == 0 or lines <= grown:
                raise RuntimeError(f"loading posted nothing; the books hold {lines} lines")
        return {
            **found,
            "books": "loaded",
            "load_s": round(time.monotonic() - started, 1),
            "lines": lines,
            "posted": posted,
            "per_commit": PER_COMMIT,
        }, environment
    finally:
        await connection.close()
