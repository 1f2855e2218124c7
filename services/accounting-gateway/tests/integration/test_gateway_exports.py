"""The books read by tools we did not write: the FEC's format, and hledger on the plain-text journal."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import gateway_samples as samples
import pytest
import sqlalchemy as sa
from gateway_harness import SIREN, Gateway, running_gateway
from gateway_scenario import CUSTOMERS, scenario
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES, load_rulebook
from coulisse.accounting_gateway.adapters.tables import auxiliary_accounts
from coulisse.accounting_gateway.application.exports import (
    fec_export_formatted_by_database,
    fec_export_formatted_in_python,
)
from coulisse.accounting_gateway.domain.chart import Journals
from coulisse.accounting_gateway.domain.fec import FEC_COLUMNS
from coulisse.platform.db import create_engine

pytestmark = pytest.mark.integration

DATE = re.compile(r"^20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$")
AMOUNT = re.compile(r"^[0-9]+,[0-9]{2}$")


def hledger() -> str:
    """hledger on PATH; `make install` installs it from the distribution's packages."""
    found = shutil.which("hledger")
    if found is None:
        pytest.fail(
            "hledger is not on PATH: run `make install` as root or with a password-less sudo "
            "(it installs the Debian package), or `sudo apt-get install hledger`"
        )
    return found


async def booked_scenario(gateway: Gateway) -> int:
    events = scenario()
    await samples.publish(gateway.bootstrap, events)
    await gateway.caught_up()
    manual = {
        "entry_date": "2026-02-27",
        "label": "Frais bancaires février",
        "lines": [{"account": "658", "debit": "3.20"}, {"account": "512", "credit": "3.20"}],
    }
    created = await gateway.client.post("/v1/journal-entries", json=manual)
    assert created.status_code == 201
    reversal = await gateway.client.post(
        f"/v1/journal-entries/{created.json()['id']}/reversal", json={"entry_date": "2026-02-28"}
    )
    assert reversal.status_code == 201
    return len(events) - len(CUSTOMERS) + 2


async def test_fec_and_plain_text_journal(
    make_database: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    tool = hledger()
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        entry_count = await booked_scenario(gateway)

        response = await gateway.client.get("/v1/exports/fec", params={"fiscal_year": 2026})
        assert response.status_code == 200
        assert f'filename="{SIREN}FEC20261231.txt"' in response.headers["content-disposition"]
        check_fec(response.content.decode("utf-8"), entry_count)

        journal = tmp_path / "export.journal"
        exported = await gateway.client.get("/v1/exports/ledger")
        assert exported.status_code == 200
        journal.write_bytes(exported.content)
        checked = await run(
            tool, "-f", str(journal), "check", "accounts", "commodities", "ordereddates"
        )
        assert checked.returncode == 0, checked.stderr
        balance = await run(
            tool, "-f", str(journal), "balance", "--depth", "1", "--output-format", "csv"
        )
        assert balance.returncode == 0, balance.stderr
        by_account = {row[0]: row[1] for row in csv.reader(io.StringIO(balance.stdout)) if row}
        total = by_account.pop("total")
        by_account.pop("account")
        assert amount(total) == 0
        trial = await gateway.get("/v1/trial-balance", as_of="2026-12-31")
        expected = {a["account"]: Decimal(a["balance"]) for a in trial["accounts"]}
        assert {k: amount(v) for k, v in by_account.items()} == {
            k: v for k, v in expected.items() if v != 0
        }
        assert trial["totals"]["debit"] == trial["totals"]["credit"]


async def run(*command: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)


def amount(text: str) -> Decimal:
    """hledger's `120.00 EUR`, or `0` for nothing."""
    value = text.replace("EUR", "").strip()
    return Decimal(value or "0")


def check_fec(text: str, entry_count: int) -> None:
    assert text.endswith("\r\n")
    lines = text.removesuffix("\r\n").split("\r\n")
    header, rows = lines[0].split("\t"), [line.split("\t") for line in lines[1:]]
    assert tuple(header) == FEC_COLUMNS
    assert all(len(row) == 18 for row in rows)
    records = [dict(zip(FEC_COLUMNS, row, strict=True)) for row in rows]
    numbers: dict[str, list[int]] = defaultdict(list)
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for record in records:
        assert DATE.match(record["EcritureDate"]) and DATE.match(record["PieceDate"])
        assert DATE.match(record["ValidDate"])
        assert AMOUNT.match(record["Debit"]) and AMOUNT.match(record["Credit"])
        assert re.match(r"^[0-9]{3}", record["CompteNum"]) and record["CompteLib"]
        assert record["PieceRef"] and record["EcritureLib"] and record["JournalLib"]
        assert record["Montantdevise"] == record["Idevise"] == ""
        if record["CompteNum"] in ("411", "416"):
            assert record["CompAuxLib"] == CUSTOMERS[record["CompAuxNum"]]
        else:
            assert record["CompAuxNum"] == record["CompAuxLib"] == ""
        assert bool(record["EcritureLet"]) == bool(record["DateLet"])
        if record["DateLet"]:
            assert DATE.match(record["DateLet"])
        journal, year, sequence = record["EcritureNum"].split("-")
        assert journal == record["JournalCode"] and year == "2026"
        if not numbers[journal] or numbers[journal][-1] != int(sequence):
            numbers[journal].append(int(sequence))
        debit, credit = (Decimal(record[k].replace(",", ".")) for k in ("Debit", "Credit"))
        totals[record["EcritureNum"]][0] += debit
        totals[record["EcritureNum"]][1] += credit
    for taken in numbers.values():
        assert taken == list(range(1, len(taken) + 1))  # continuous, in validation order
    assert len(totals) == entry_count
    assert all(debit == credit > 0 for debit, credit in totals.values())
    lettered = [r for r in records if r["EcritureLet"]]
    assert {r["CompteNum"] for r in lettered} == {"411", "416"}


# Labels as people type them: tabs, line breaks, non-breaking and ideographic spaces, runs of
# spaces, spaces at the ends, a text that is only whitespace.
AWKWARD = ("  Frais\tde  dossier\r\nclient\xa0X\u3000 ", "Régul.\x1c\u2009n°\u202f12", " \t ")
ONLY_WHITESPACE = AWKWARD[2]


async def exported(
    export: Callable[..., AsyncIterator[str]], engine: AsyncEngine, journals: Journals
) -> str:
    return "".join([chunk async for chunk in export(engine, fiscal_year=2026, journals=journals)])


async def test_the_fec_formatted_by_postgresql_is_the_fec_formatted_in_python(
    make_database: Any, kafka_bootstrap: str
) -> None:
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        await booked_scenario(gateway)
        for number, text in enumerate(AWKWARD[:2]):
            created = await gateway.client.post(
                "/v1/journal-entries",
                json={
                    "entry_date": "2026-03-02",
                    "label": text,
                    "piece_ref": f"{text}{number}",
                    "lines": [
                        {"account": "658", "debit": "1234567.05", "label": text},
                        {"account": "512", "credit": "1234567.05"},
                    ],
                },
            )
            assert created.status_code == 201, created.text
        engine = create_engine(gateway.database_url)
        try:
            # The customers' labels in the books, as awkward, one of them only whitespace.
            async with engine.begin() as connection:
                await connection.execute(
                    sa.update(auxiliary_accounts).values(
                        label=sa.func.concat(AWKWARD[0], auxiliary_accounts.c.account_number)
                    )
                )
                first = await connection.scalar(
                    sa.select(sa.func.min(auxiliary_accounts.c.account_number))
                )
                await connection.execute(
                    sa.update(auxiliary_accounts)
                    .where(auxiliary_accounts.c.account_number == first)
                    .values(label=ONLY_WHITESPACE)
                )
            journals = load_rulebook(DEFAULT_RULES).journals
            by_database = await exported(fec_export_formatted_by_database, engine, journals)
            in_python = await exported(fec_export_formatted_in_python, engine, journals)
            # In slices of three positions: many slices, some empty, made two at a time.
            sliced = await exported(
                functools.partial(fec_export_formatted_by_database, slice_positions=3),
                engine,
                journals,
            )
        finally:
            await engine.dispose()
        assert by_database == in_python
        assert sliced == in_python
        assert "\tFrais de dossier client X\t" in by_database
        assert "\t1234567,05\t0,00\t" in by_database
        assert f"\t{first}\t\t" in by_database
