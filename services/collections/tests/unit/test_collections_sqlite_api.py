"""The service on SQLite, the quick local run's database: no broker, no PostgreSQL needed.
Consumed events go straight to the inbox consumer; amounts come back to the cent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from collections_harness import AGENT, running_collections


async def test_receivables_runs_and_write_offs_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'collections.sqlite'}"
    async with running_collections(url) as collections:
        customer_id = await collections.register()
        issued = await collections.invoice(
            customer_id, "1234.56", vat="205.76", due_date=date(2026, 1, 16)
        )
        await collections.pay(customer_id, date(2026, 1, 20), (issued.invoice_id, "234.55"))
        for day in (date(2026, 1, 13), date(2026, 1, 23), date(2026, 1, 31), date(2026, 2, 15)):
            collections.on(day)
            response = await collections.run(day)
            assert response.status_code == 201, response.text
        formal = response.json()
        assert [n["amount_due"] for n in formal["notices"]] == ["1000.01"]
        assert {f["kind"]: f["amount"] for f in formal["fees"]} == {
            "recovery_indemnity": "40.00",
            "late_interest": "9.99",
        }
        earlier = await collections.run(date(2026, 2, 1))
        assert earlier.status_code == 409

        collections.on(date(2026, 3, 2))
        written = await collections.client.post(
            "/v1/write-offs",
            json={"invoice_id": str(issued.invoice_id), "reason": "enforcement_failed"},
            headers=AGENT,
        )
        assert written.status_code == 201, written.text
        # 1 000.01 × 205.76 / 1 234.56 = 166.668… → 166.67 of VAT, the net takes the rest.
        assert (written.json()["amount_vat"], written.json()["amount_net"]) == ("166.67", "833.34")
        view = await collections.collections_of(customer_id)
        assert view["amount_due"] == "0.00" and view["receivables"] == []
        counts = await collections.counts()
        assert (counts["notices"], counts["fees"], counts["write_offs"]) == (4, 2, 1)
        assert counts["outbox"] == 4 + 2 + 1
