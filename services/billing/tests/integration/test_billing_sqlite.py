"""The embedded SQLite default: migrations, exact money (stored in cents), numbering, balance."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from billing_calls import AGENT, balance, create_invoice, pay, two_lines
from billing_harness import Billing, billing_settings

from coulisse.billing.bootstrap import definition
from coulisse.billing.entrypoints.consumers import consumers
from coulisse.platform import testing
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import create_app

pytestmark = pytest.mark.integration


async def test_billing_runs_on_sqlite(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'billing.sqlite'}"
    await asyncio.to_thread(upgrade, definition.alembic_ini, database_url)
    app = create_app(definition, billing_settings(database_url, "127.0.0.1:1", "api"))
    async with testing.InProcessService(app) as client:
        billing = Billing(client, database_url, app.state.runtime, consumers(app.state.runtime)[0])
        customer_id = await billing.register_customer()
        first = await create_invoice(client, customer_id)
        second = await create_invoice(client, customer_id, lines=[two_lines()[1]])
        assert (first["total_gross"], second["total_gross"]) == ("320.12", "32.12")
        assert int(second["number"][-6:]) == int(first["number"][-6:]) + 1
        paid = await pay(client, customer_id, "400.01", "VIR-SQLITE")
        assert paid.status_code == 201 and paid.json()["unallocated"] == "47.77"
        note = await client.post(
            f"/v1/invoices/{second['id']}/credit-notes",
            json={"reason": "Retour", "full": True},
            headers=AGENT,
        )
        assert note.status_code == 201 and note.json()["to_customer_credit"] == "32.12"
        state = await balance(client, customer_id)
        assert (state["balance"], state["credit_available"]) == ("-79.89", "79.89")
        assert (state["invoiced"], state["credited"], state["paid"]) == (
            "352.24",
            "32.12",
            "400.01",
        )
