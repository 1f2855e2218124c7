"""Disputes, promises to pay and payment plans over HTTP: each holds dunning the way the rules
say, publishes its events, and a wrong request changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from collections_harness import AGENT, Collections, credit_note, problem_fields

pytestmark = pytest.mark.integration

DUE = date(2026, 1, 16)


async def post(collections: Collections, path: str, body: dict[str, Any]) -> Any:
    return await collections.client.post(path, json=body, headers=AGENT)


async def held_on(collections: Collections, day: date) -> list[tuple[int, str]]:
    collections.on(day)
    response = await collections.run(day)
    assert response.status_code == 201, response.text
    assert response.json()["notices"] == []
    return [(h["level"], h["reason"]) for h in response.json()["held"]]


async def test_a_dispute_holds_its_invoice_until_resolved(collections: Collections) -> None:
    customer_id = await collections.register()
    disputed = await collections.invoice(customer_id, "600.00", due_date=DUE)
    collections.on(date(2026, 1, 10))
    opened = await post(
        collections,
        "/v1/disputes",
        {"invoice_id": str(disputed.invoice_id), "reason": "Parquet rayé à la livraison"},
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert (dispute["status"], dispute["opened_on"]) == ("open", "2026-01-10")

    twice = await post(
        collections, "/v1/disputes", {"invoice_id": str(disputed.invoice_id), "reason": "Again"}
    )
    assert twice.status_code == 409 and problem_fields(twice) == ["invoice_id"]
    assert await held_on(collections, date(2026, 1, 20)) == [(1, "dispute")]
    before = await collections.counts()
    refused = await post(
        collections,
        "/v1/write-offs",
        {"invoice_id": str(disputed.invoice_id), "reason": "commercial"},
    )
    assert refused.status_code == 409 and problem_fields(refused) == ["invoice_id"]
    assert await collections.counts() == before

    collections.on(date(2026, 1, 25))
    resolved = await post(
        collections, f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "rejected"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolved_on"]) == ("resolved", "2026-01-25")
    again = await post(collections, f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "upheld"})
    assert again.status_code == 409 and problem_fields(again) == ["outcome"]
    # Dunning resumes at the level it waited for.
    collections.on(date(2026, 1, 25))
    resumed = await collections.run(date(2026, 1, 25))
    assert [n["level"] for n in resumed.json()["notices"]] == [1]

    events = await collections.published(customer_id, 3)
    assert [e["type"] for e in events] == [
        "collections.dispute.opened.v1",
        "collections.dispute.resolved.v1",
        "collections.dunning.notice_sent.v1",
    ]
    assert events[0]["data"]["reason"] == "Parquet rayé à la livraison"
    assert events[1]["data"]["outcome"] == "rejected"


async def test_a_settled_or_unknown_invoice_cannot_be_disputed(collections: Collections) -> None:
    customer_id = await collections.register()
    settled = await collections.invoice(customer_id, "50.00", due_date=DUE)
    await collections.pay(customer_id, date(2026, 1, 2), (settled.invoice_id, "50.00"))
    before = await collections.counts()
    refused = await post(
        collections, "/v1/disputes", {"invoice_id": str(settled.invoice_id), "reason": "Too dear"}
    )
    assert refused.status_code == 409 and problem_fields(refused) == ["invoice_id"]
    unknown = await post(collections, "/v1/disputes", {"invoice_id": str(uuid4()), "reason": "?"})
    assert unknown.status_code == 404 and problem_fields(unknown) == ["invoice_id"]
    blank = await post(
        collections, "/v1/disputes", {"invoice_id": str(settled.invoice_id), "reason": "  "}
    )
    assert blank.status_code == 422 and problem_fields(blank) == ["reason"]
    assert await collections.counts() == before


async def test_a_promise_holds_overdue_invoices_and_is_kept_by_the_payment(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    late = await collections.invoice(customer_id, "700.00", due_date=DUE)
    collections.on(date(2026, 1, 20))
    before = await collections.counts()
    past = await post(
        collections,
        "/v1/promises",
        {"customer_id": str(customer_id), "amount": "700.00", "promised_on": "2026-01-19"},
    )
    assert past.status_code == 422 and problem_fields(past) == ["promised_on"]
    zero = await post(
        collections,
        "/v1/promises",
        {"customer_id": str(customer_id), "amount": "0.00", "promised_on": "2026-01-30"},
    )
    assert zero.status_code == 422 and problem_fields(zero) == ["amount"]
    float_amount = await post(
        collections,
        "/v1/promises",
        {"customer_id": str(customer_id), "amount": 700, "promised_on": "2026-01-30"},
    )
    assert float_amount.status_code == 422 and problem_fields(float_amount) == ["body.amount"]
    assert await collections.counts() == before

    recorded = await post(
        collections,
        "/v1/promises",
        {"customer_id": str(customer_id), "amount": "700.00", "promised_on": "2026-01-28"},
    )
    assert recorded.status_code == 201, recorded.text
    promise = recorded.json()
    assert (promise["status"], promise["deadline"], promise["recorded_on"]) == (
        "pending",
        "2026-01-31",
        "2026-01-20",
    )
    assert await held_on(collections, date(2026, 1, 23)) == [(1, "promise_to_pay")]

    await collections.pay(customer_id, date(2026, 1, 27), (late.invoice_id, "700.00"))
    kept = await collections.client.get(f"/v1/promises/{promise['id']}", headers=AGENT)
    assert (kept.json()["status"], kept.json()["paid"]) == ("kept", "700.00")

    events = await collections.published(customer_id, 2)
    assert [e["type"] for e in events] == [
        "collections.promise.recorded.v1",
        "collections.promise.kept.v1",
    ]
    assert events[1]["data"]["paid"] == "700.00"


async def test_a_broken_promise_lets_dunning_resume_and_puts_the_customer_on_the_worklist(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "900.00", due_date=DUE)
    collections.on(date(2026, 1, 20))
    recorded = await post(
        collections,
        "/v1/promises",
        {
            "customer_id": str(customer_id),
            "amount": "900.00",
            "promised_on": "2026-01-22",
            "grace_days": 0,
        },
    )
    assert recorded.status_code == 201, recorded.text
    assert await held_on(collections, date(2026, 1, 21)) == [(1, "promise_to_pay")]
    collections.on(date(2026, 1, 23))
    resumed = await collections.run(date(2026, 1, 23))
    assert [n["level"] for n in resumed.json()["notices"]] == [1]
    promise = await collections.client.get(f"/v1/promises/{recorded.json()['id']}", headers=AGENT)
    assert (promise.json()["status"], promise.json()["closed_on"]) == ("broken", "2026-01-23")

    worklist = await collections.client.get(
        "/v1/worklist", params={"as_of": "2026-01-23"}, headers=AGENT
    )
    [item] = worklist.json()["items"]
    assert item["customer_id"] == str(customer_id) and item["reasons"] == ["promise_broken"]
    assert item["amount_overdue"] == "900.00"

    events = await collections.published(customer_id, 3)
    assert [e["type"] for e in events] == [
        "collections.promise.recorded.v1",
        "collections.promise.broken.v1",
        "collections.dunning.notice_sent.v1",
    ]


async def test_a_payment_plan_must_cover_what_remains_due_and_holds_its_invoices(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    first = await collections.invoice(customer_id, "600.00", due_date=DUE)
    second = await collections.invoice(customer_id, "400.00", due_date=DUE)
    await collections.deliver(credit_note(customer_id, second, "100.00", date(2026, 1, 8)))
    collections.on(date(2026, 1, 20))
    invoice_ids = [str(first.invoice_id), str(second.invoice_id)]
    before = await collections.counts()

    short = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": invoice_ids,
            "installments": [
                {"due_date": "2026-02-01", "amount": "500.00"},
                {"due_date": "2026-03-01", "amount": "300.00"},
            ],
        },
    )
    assert short.status_code == 422 and problem_fields(short) == ["installments"]
    assert short.json()["amount_due"] == "900.00"
    disorder = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": invoice_ids,
            "installments": [
                {"due_date": "2026-03-01", "amount": "450.00"},
                {"due_date": "2026-02-01", "amount": "450.00"},
            ],
        },
    )
    assert disorder.status_code == 422
    assert problem_fields(disorder) == ["installments.1.due_date"]
    unknown = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": [str(uuid4())],
            "installments": [{"due_date": "2026-02-01", "amount": "900.00"}],
        },
    )
    assert unknown.status_code == 409 and problem_fields(unknown) == ["invoice_ids.0"]
    assert await collections.counts() == before

    agreed = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": invoice_ids,
            "installments": [
                {"due_date": "2026-02-01", "amount": "450.00"},
                {"due_date": "2026-03-01", "amount": "450.00"},
            ],
        },
    )
    assert agreed.status_code == 201, agreed.text
    plan = agreed.json()
    assert (plan["status"], plan["total"], plan["agreed_on"]) == ("active", "900.00", "2026-01-20")
    assert await held_on(collections, date(2026, 1, 20)) == [
        (1, "payment_plan"),
        (1, "payment_plan"),
    ]
    taken = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": [str(first.invoice_id)],
            "installments": [{"due_date": "2026-02-01", "amount": "600.00"}],
        },
    )
    assert taken.status_code == 409 and problem_fields(taken) == ["invoice_ids.0"]

    await collections.pay(customer_id, date(2026, 1, 30), (first.invoice_id, "450.00"))
    await collections.pay(
        customer_id, date(2026, 2, 27), (first.invoice_id, "150.00"), (second.invoice_id, "300.00")
    )
    done = await collections.client.get(f"/v1/payment-plans/{plan['id']}", headers=AGENT)
    assert (done.json()["status"], done.json()["paid"], done.json()["closed_on"]) == (
        "completed",
        "900.00",
        "2026-02-27",
    )
    events = await collections.published(customer_id, 2)
    assert [e["type"] for e in events] == [
        "collections.payment_plan.agreed.v1",
        "collections.payment_plan.completed.v1",
    ]
    assert [i["amount"] for i in events[0]["data"]["installments"]] == ["450.00", "450.00"]


async def test_a_missed_instalment_breaches_the_plan_and_dunning_resumes(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    late = await collections.invoice(customer_id, "1000.00", due_date=DUE)
    collections.on(date(2026, 1, 20))
    agreed = await post(
        collections,
        "/v1/payment-plans",
        {
            "customer_id": str(customer_id),
            "invoice_ids": [str(late.invoice_id)],
            "installments": [
                {"due_date": "2026-01-25", "amount": "500.00"},
                {"due_date": "2026-02-25", "amount": "500.00"},
            ],
            "grace_days": 0,
        },
    )
    assert agreed.status_code == 201, agreed.text
    await collections.pay(customer_id, date(2026, 1, 24), (late.invoice_id, "200.00"))
    collections.on(date(2026, 1, 26))
    resumed = await collections.run(date(2026, 1, 26))
    assert [(n["level"], n["amount_due"]) for n in resumed.json()["notices"]] == [(1, "800.00")]
    plan = await collections.client.get(f"/v1/payment-plans/{agreed.json()['id']}", headers=AGENT)
    assert (plan.json()["status"], plan.json()["missed_installment_due_date"]) == (
        "breached",
        "2026-01-25",
    )
    worklist = await collections.client.get(
        "/v1/worklist", params={"as_of": "2026-01-26"}, headers=AGENT
    )
    assert [i["reasons"] for i in worklist.json()["items"]] == [["plan_breached"]]
    events = await collections.published(customer_id, 3)
    assert [e["type"] for e in events] == [
        "collections.payment_plan.agreed.v1",
        "collections.payment_plan.breached.v1",
        "collections.dunning.notice_sent.v1",
    ]
