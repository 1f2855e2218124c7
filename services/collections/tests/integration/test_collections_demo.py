"""The collections demo data (`make up`) tells its story through collections' API, with the
figures worked out by hand, and loads only once."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from collections_harness import AGENT, Collections, invoice_issued, payment, registration

from coulisse.ops.demo_collections import load_collections_demo

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 2)


async def test_the_demo_tells_its_story_once(collections: Collections) -> None:
    # What the billing demo gives collections for Dubois (45 days) and Petit (on receipt).
    dubois, petit = uuid4(), uuid4()
    await collections.deliver(registration(dubois))
    await collections.deliver(registration(petit, kind="person"))
    august, september, october, november = (
        invoice_issued(dubois, "540.00", vat="90.00", issue_date=issued, due_date=due)
        for issued, due in (
            (date(2026, 8, 10), date(2026, 9, 24)),
            (date(2026, 9, 7), date(2026, 10, 22)),
            (date(2026, 10, 6), date(2026, 11, 20)),
            (date(2026, 11, 4), date(2026, 12, 19)),
        )
    )
    for issued in (august, september, october, november):
        await collections.deliver(issued)
    await collections.deliver(
        payment(
            dubois,
            date(2026, 10, 9),
            (august.invoice_id, "540.00"),
            (september.invoice_id, "260.00"),
        )
    )
    petit_october = invoice_issued(
        petit, "154.00", vat="14.00", issue_date=date(2026, 10, 20), due_date=date(2026, 10, 20)
    )
    await collections.deliver(petit_october)
    customers: list[dict[str, Any]] = [
        {"id": str(dubois), "display_name": "Atelier Dubois Menuiserie"},
        {"id": str(petit), "display_name": "Julien Petit"},
    ]
    collections.on(TODAY)

    async with collections.service.client_with(AGENT) as client:
        assert await load_collections_demo(client, customers, today=TODAY) is True
        notices = (await client.get("/v1/notices", params={"limit": 100})).json()["items"]
        by_customer: dict[str, list[tuple[str, int, str]]] = {}
        for notice in sorted(notices, key=lambda n: (n["sent_on"], n["level"])):
            by_customer.setdefault(notice["customer_id"], []).append(
                (notice["sent_on"], notice["level"], notice["channel"])
            )
        assert by_customer[str(dubois)] == [
            ("2026-10-19", 1, "email"),
            ("2026-10-29", 2, "email"),
            ("2026-11-06", 3, "call"),
            ("2026-11-23", 1, "email"),  # October's invoice, first reminder
            ("2026-11-23", 4, "formal_notice"),  # September's
            ("2026-12-02", 2, "email"),  # October's
        ]
        assert by_customer[str(petit)] == [
            ("2026-10-19", 1, "email"),
            ("2026-10-29", 2, "email"),
            ("2026-11-06", 3, "call"),
            ("2026-11-23", 4, "formal_notice"),
        ]
        # The formal notice of 23 November charges Dubois €40 and interest at the contract's
        # 12 % on the 280.00 left of September, 23 October – 23 November (32 days):
        #   280 × 12 × 32 / 36,500 = 2.9457… → 2.95. Petit, a consumer, owes neither.
        view = (await client.get(f"/v1/customers/{dubois}/collections")).json()
        assert view["late_payment_rate"] == "12.00"
        assert [d["invoice_id"] for d in view["disputes"]] == [str(november.invoice_id)]
        assert [(p["amount"], p["promised_on"]) for p in view["promises"]] == [
            ("540.00", "2026-12-09")
        ]
        formal = next(
            n
            for n in notices
            if n["channel"] == "formal_notice" and n["customer_id"] == str(dubois)
        )
        run = (await client.get(f"/v1/dunning/runs/{formal['run_id']}")).json()
        assert sorted((f["kind"], f["amount"]) for f in run["fees"]) == [
            ("late_interest", "2.95"),
            ("recovery_indemnity", "40.00"),
        ]
        plans = (await client.get(f"/v1/customers/{petit}/collections")).json()["payment_plans"]
        assert [[(i["due_date"], i["amount"]) for i in plan["installments"]] for plan in plans] == [
            [("2026-12-16", "77.00"), ("2027-01-15", "77.00")]
        ]

        before = await collections.counts()
        assert await load_collections_demo(client, customers, today=TODAY) is False
        assert await collections.counts() == before
