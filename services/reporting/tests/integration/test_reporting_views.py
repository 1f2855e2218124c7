"""A customer's 360° view and timeline over HTTP, from events read in any order, once each."""

from __future__ import annotations

from uuid import uuid4

import pytest
import reports_harness as reports
from reporting_harness import READER, Reporting, account_of, invoice, payment, registration

from coulisse.contracts.collections import DisputeOpened, PromiseRecorded
from coulisse.contracts.customer import CustomerErased, RequestOpened
from coulisse.platform import testing

pytestmark = pytest.mark.integration


async def test_the_360_view_gathers_every_service_s_facts(reporting: Reporting) -> None:
    customer_id = uuid4()
    first, second = invoice(customer_id, "1200.00"), invoice(customer_id, "300.00")
    # Billing's facts before the registration: topics have no order between them.
    await reporting.deliver(payment(customer_id, first, "200.00"))
    await reporting.deliver(first)
    await reporting.deliver(second)
    await reporting.deliver(registration(customer_id))
    await reporting.deliver(
        DisputeOpened(
            dispute_id=uuid4(), customer_id=customer_id, invoice_id=second.invoice_id, reason="x"
        )
    )
    await reporting.deliver(
        PromiseRecorded(
            promise_id=uuid4(),
            customer_id=customer_id,
            amount=first.total_gross,
            promised_on=first.due_date,
        )
    )
    opened = RequestOpened.model_validate(
        {
            "request_id": str(uuid4()),
            "customer_id": str(customer_id),
            "category": "billing_question",
            "subject": "Question sur la facture",
            "opened_at": "2026-11-16T09:00:00Z",
            "due_at": "2026-11-18T09:00:00Z",
        }
    )
    await reporting.deliver(opened)

    view = await reporting.view(customer_id)

    assert view["profile"]["display_name"] == "Menuiserie Lefèvre SARL"
    assert view["profile"]["account_number"] == account_of(customer_id)
    assert view["balance"]["balance"] == "1300.00"
    assert [i["number"] for i in view["open_invoices"]] == [first.number, second.number]
    assert [i["outstanding"] for i in view["open_invoices"]] == ["1000.00", "300.00"]
    assert [i["disputed"] for i in view["open_invoices"]] == [False, True]
    assert [p["status"] for p in view["collections"]["promises"]] == ["standing"]
    assert [d["status"] for d in view["collections"]["disputes"]] == ["open"]
    assert [r["category"] for r in view["open_requests"]] == ["billing_question"]
    timeline = view["timeline"]["items"]
    assert len(timeline) == 7
    assert timeline[0]["summary"].startswith("Request opened")
    assert {entry["actor"] for entry in timeline} == {"test"}


async def test_an_event_delivered_twice_counts_once(reporting: Reporting) -> None:
    customer_id = uuid4()
    issued = invoice(customer_id, "500.00")
    event_id = await reporting.deliver(issued)
    await reporting.deliver(issued, event_id=event_id)
    view = await reporting.view(customer_id)
    assert view["balance"]["invoiced"] == "500.00"
    assert len(view["timeline"]["items"]) == 1


async def test_the_timeline_pages_newest_first_without_gaps(reporting: Reporting) -> None:
    customer_id = uuid4()
    for _ in range(7):
        await reporting.deliver(invoice(customer_id, "10.00"))
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await reporting.client.get(
            f"/v1/customers/{customer_id}/timeline", params=params, headers=READER
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(item["position"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # same instant: the later position first


async def test_an_unknown_customer_is_a_problem_404(reporting: Reporting) -> None:
    for path in ("360", "timeline", "events/stream"):
        response = await reporting.client.get(f"/v1/customers/{uuid4()}/{path}", headers=READER)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_routes_need_the_reports_read_scope(reporting: Reporting) -> None:
    customer_id = uuid4()
    await reporting.deliver(invoice(customer_id, "10.00"))
    path = f"/v1/customers/{customer_id}/360"
    assert (await reporting.client.get(path)).status_code == 401
    other = testing.auth_headers(["billing:read"])
    assert (await reporting.client.get(path, headers=other)).status_code == 403
    admin = await reporting.client.post("/v1/admin/rebuild", headers=READER)
    assert admin.status_code == 403


async def test_an_erased_customer_is_shown_under_a_pseudonym(reporting: Reporting) -> None:
    customer_id = uuid4()
    await reporting.deliver(registration(customer_id))
    await reporting.deliver(
        CustomerErased(customer_id=customer_id, account_number=account_of(customer_id))
    )
    view = await reporting.view(customer_id)
    assert view["erased"] is True
    assert view["profile"]["display_name"] == f"Erased customer {account_of(customer_id)}"
    assert view["profile"]["email"] is None
    assert all("Lefèvre" not in e["summary"] for e in view["timeline"]["items"])


async def test_a_registration_read_after_the_erasure_brings_nothing_back(
    reporting: Reporting,
) -> None:
    customer_id = uuid4()
    await reporting.deliver(
        CustomerErased(customer_id=customer_id, account_number=account_of(customer_id))
    )
    await reporting.deliver(registration(customer_id))
    profile = (await reporting.view(customer_id))["profile"]
    assert profile["display_name"] == f"Erased customer {account_of(customer_id)}"
    assert profile["email"] is None
    assert profile["payment_terms_days"] == 30


async def test_journal_entries_join_the_timeline_of_the_customer_whose_account_they_name(
    reporting: Reporting,
) -> None:
    """An entry names its customer only by the account of its 411 lines: it joins their
    timeline whether the entry or the account is read first, and no one else's."""
    customer_id, other_id = uuid4(), uuid4()
    issued = invoice(customer_id, "120.00")
    sent = testing.envelope(issued)
    booked = reports.journaled(sent, issued)
    # The books' topic is read ahead of billing's: the account is not known yet.
    entry_event = await reporting.deliver(booked)
    await reporting.deliver(invoice(other_id, "10.00"))
    await reporting.deliver(issued, event_id=sent.event_id)
    by_hand = reports.entry(
        "OD",
        issued.issue_date,
        [
            reports.line("411", credit="5.00", aux=account_of(customer_id)),
            reports.line("658", debit="5.00"),
        ],
    )
    by_hand_event = await reporting.deliver(by_hand)
    await reporting.deliver(booked, event_id=entry_event)  # delivered twice: once on the timeline

    items = (await reporting.view(customer_id))["timeline"]["items"]
    assert [i["event_id"] for i in items] == [
        str(by_hand_event),
        str(sent.event_id),
        str(entry_event),
    ]
    assert [i["type"] for i in items] == [
        "accounting.entry.posted.v1",
        "billing.invoice.issued.v1",
        "accounting.entry.posted.v1",
    ]
    assert items[0]["summary"] == f"Entry {by_hand.entry_number} posted in journal OD"
    assert {i["customer_id"] for i in items} == {str(customer_id)}
    others = (await reporting.view(other_id))["timeline"]["items"]
    assert [i["type"] for i in others] == ["billing.invoice.issued.v1"]
