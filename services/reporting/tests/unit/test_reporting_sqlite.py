"""The service on SQLite, the quick local run's database: the read model and its routes work
(rebuilding needs PostgreSQL). Amounts come back to the cent."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from reporting_harness import ADMIN, READER, invoice, payment, registration, running_reporting

from coulisse.contracts.customer import CustomerErased


async def test_the_360_view_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.sqlite'}"
    async with running_reporting(url) as reporting:
        customer_id = uuid4()
        issued = invoice(customer_id, "1234.56")
        await reporting.deliver(payment(customer_id, issued, "234.55"))
        await reporting.deliver(issued)
        await reporting.deliver(registration(customer_id))
        await reporting.deliver(CustomerErased(customer_id=customer_id, account_number="C1"))
        view = await reporting.view(customer_id)
        assert view["balance"]["balance"] == "1000.01"
        assert [i["outstanding"] for i in view["open_invoices"]] == ["1000.01"]
        assert view["profile"]["display_name"] == "Erased customer C1"
        page = await reporting.client.get(
            f"/v1/customers/{customer_id}/timeline", params={"limit": 2}, headers=READER
        )
        assert page.status_code == 200 and page.json()["next_cursor"]
        requested = await reporting.client.post("/v1/admin/rebuild", headers=ADMIN)
        assert requested.status_code == 202
