"""The embedded SQLite default: migrations, exact money (stored in cents), numbering, balance."""

from __future__ import annotations

from pathlib import Path

import pytest
from billing_calls import AGENT, balance, create_invoice, pay, two_lines
from billing_harness import running_billing

pytestmark = pytest.mark.integration


async def test_billing_runs_on_sqlite(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'billing.sqlite'}"
    async with running_billing(database_url) as billing:
        client = billing.client
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
