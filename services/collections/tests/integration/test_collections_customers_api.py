"""A customer's collections over HTTP: the policy in force, exclusions, insolvency, doubtful
receivables and write-offs, the view of what they owe, the worklist, scopes and bad input."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from collections_harness import AGENT, READER, Collections, problem_fields, registration

from coulisse.contracts.customer import CustomerErased, CustomerUpdated

pytestmark = pytest.mark.integration

DUE = date(2026, 1, 16)

LEVELS = [
    {"days": 5, "channel": "letter", "name": "Lettre de relance"},
    {
        "days": 20,
        "channel": "formal_notice",
        "name": "Mise en demeure",
        "min_days_since_previous": 10,
        "assesses": ["recovery_indemnity"],
    },
]


async def test_the_default_policy_is_read_replaced_and_checked(collections: Collections) -> None:
    shipped = await collections.client.get("/v1/dunning/policy", headers=READER)
    assert shipped.status_code == 200 and shipped.json()["shipped"] is True
    assert [level["days"] for level in shipped.json()["levels"]] == [-3, 7, 15, 30]

    bad_order = [{**LEVELS[0], "days": 25}, LEVELS[1]]
    refused = await collections.client.put(
        "/v1/dunning/policy", json={"levels": bad_order}, headers=AGENT
    )
    assert refused.status_code == 422 and problem_fields(refused) == ["levels.1.days"]
    channel = [{**LEVELS[0], "channel": "pigeon"}]
    refused = await collections.client.put(
        "/v1/dunning/policy", json={"levels": channel}, headers=AGENT
    )
    assert refused.status_code == 422 and problem_fields(refused) == ["body.levels.0.channel"]
    early_fee = [{**LEVELS[0], "days": 0, "assesses": ["late_interest"]}]
    refused = await collections.client.put(
        "/v1/dunning/policy", json={"levels": early_fee}, headers=AGENT
    )
    assert refused.status_code == 422 and problem_fields(refused) == ["levels.0.assesses"]
    as_text = [{**LEVELS[0], "days": "5"}]
    refused = await collections.client.put(
        "/v1/dunning/policy", json={"levels": as_text}, headers=AGENT
    )
    assert refused.status_code == 422 and problem_fields(refused) == ["body.levels.0.days"]
    unchanged = await collections.client.get("/v1/dunning/policy", headers=READER)
    assert unchanged.json() == shipped.json()

    forbidden = await collections.client.put(
        "/v1/dunning/policy", json={"levels": LEVELS}, headers=READER
    )
    assert forbidden.status_code == 403
    anonymous = await collections.client.get("/v1/dunning/policy")
    assert anonymous.status_code == 401

    put = await collections.client.put("/v1/dunning/policy", json={"levels": LEVELS}, headers=AGENT)
    assert put.status_code == 200, put.text
    read = await collections.client.get("/v1/dunning/policy", headers=READER)
    assert read.json()["shipped"] is False
    assert [(level["level"], level["channel"]) for level in read.json()["levels"]] == [
        (1, "letter"),
        (2, "formal_notice"),
    ]

    customer_id = await collections.register()
    await collections.invoice(customer_id, "100.00", due_date=DUE)
    collections.on(date(2026, 1, 21))
    run = await collections.run(date(2026, 1, 21))
    assert [(n["level"], n["channel"]) for n in run.json()["notices"]] == [(1, "letter")]


async def test_a_customer_gets_their_own_policy_or_an_exclusion(collections: Collections) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "250.00", due_date=DUE)
    unknown = await collections.client.put(
        f"/v1/customers/{uuid4()}/dunning", json={"policy": {"levels": LEVELS}}, headers=AGENT
    )
    assert unknown.status_code == 404 and problem_fields(unknown) == ["path.customer_id"]
    collections.on(date(2026, 1, 10))
    bad = await collections.client.put(
        f"/v1/customers/{customer_id}/dunning",
        json={"policy": {"levels": [LEVELS[1], LEVELS[0]]}},
        headers=AGENT,
    )
    assert bad.status_code == 422 and problem_fields(bad) == ["policy.levels.1.days"]
    over = await collections.client.put(
        f"/v1/customers/{customer_id}/dunning",
        json={"exclusion": {"reason": "Litige en cours", "until": "2026-01-09"}},
        headers=AGENT,
    )
    assert over.status_code == 422 and problem_fields(over) == ["exclusion.until"]

    own = await collections.client.put(
        f"/v1/customers/{customer_id}/dunning",
        json={
            "policy": {"levels": LEVELS},
            "exclusion": {"reason": "Négociation commerciale", "until": "2026-01-25"},
        },
        headers=AGENT,
    )
    assert own.status_code == 200, own.text
    assert own.json()["exclusion"] == {"reason": "Négociation commerciale", "until": "2026-01-25"}
    assert [level["days"] for level in own.json()["policy"]["levels"]] == [5, 20]

    collections.on(date(2026, 1, 24))
    held = await collections.run(date(2026, 1, 24))
    assert [(h["level"], h["reason"]) for h in held.json()["held"]] == [(1, "exclusion")]
    collections.on(date(2026, 1, 26))
    resumed = await collections.run(date(2026, 1, 26))
    assert [(n["level"], n["channel"]) for n in resumed.json()["notices"]] == [(1, "letter")]

    view = await collections.collections_of(customer_id)
    assert view["own_policy"] is True
    assert view["next_action"]["level"] == 2 and view["next_action"]["on"] == "2026-02-05"

    cleared = await collections.client.put(
        f"/v1/customers/{customer_id}/dunning", json={}, headers=AGENT
    )
    assert cleared.json() == {
        "customer_id": str(customer_id),
        "policy": None,
        "exclusion": None,
        "insolvency": None,
    }


async def test_what_a_customer_owes_and_where_dunning_stands(collections: Collections) -> None:
    customer_id = await collections.register()
    first = await collections.invoice(customer_id, "300.00", vat="50.00", due_date=DUE)
    await collections.invoice(customer_id, "200.00", due_date=date(2026, 2, 20))
    await collections.pay(customer_id, date(2026, 1, 12), (first.invoice_id, "100.00"))
    collections.on(date(2026, 1, 23))
    await collections.run(date(2026, 1, 23))

    view = await collections.collections_of(customer_id)
    assert (view["account_number"], view["kind"], view["as_of"]) == (
        registration(customer_id).account_number,
        "company",
        "2026-01-23",
    )
    assert (view["amount_due"], view["amount_overdue"]) == ("400.00", "200.00")
    late, upcoming = view["receivables"]
    assert (late["number"], late["amount_due"], late["days_late"], late["level"]) == (
        first.number,
        "200.00",
        7,
        1,
    )
    # Found late, the invoice started at level 1 on the run's day: level 2 comes 5 days later.
    assert late["level_reached_on"] == "2026-01-23"
    assert late["next_level"] == {
        "level": 2,
        "level_name": "Reminder",
        "channel": "email",
        "on": "2026-01-28",
    }
    assert (upcoming["overdue"], upcoming["level"]) == (False, 0)
    assert view["next_action"]["invoice_id"] == str(first.invoice_id)
    unknown = await collections.client.get(f"/v1/customers/{uuid4()}/collections", headers=AGENT)
    assert unknown.status_code == 404


async def test_insolvency_stops_dunning_and_classifies_the_overdue_receivables(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    late = await collections.invoice(customer_id, "1200.00", vat="200.00", due_date=DUE)
    await collections.invoice(customer_id, "300.00", due_date=date(2026, 3, 1))
    collections.on(date(2026, 2, 2))
    future = await collections.client.post(
        f"/v1/customers/{customer_id}/insolvency",
        json={"kind": "receivership", "opened_on": "2026-02-03"},
        headers=AGENT,
    )
    assert future.status_code == 422 and problem_fields(future) == ["opened_on"]
    unknown_kind = await collections.client.post(
        f"/v1/customers/{customer_id}/insolvency", json={"kind": "bankrupt"}, headers=AGENT
    )
    assert unknown_kind.status_code == 422 and problem_fields(unknown_kind) == ["body.kind"]

    recorded = await collections.client.post(
        f"/v1/customers/{customer_id}/insolvency",
        json={"kind": "receivership", "opened_on": "2026-02-01"},
        headers=AGENT,
    )
    assert recorded.status_code == 201, recorded.text
    doubtful = recorded.json()["classified_doubtful"]
    assert doubtful["invoice_ids"] == [str(late.invoice_id)]
    assert doubtful["amount_gross"] == "1200.00" and doubtful["classified_on"] == "2026-02-01"
    twice = await collections.client.post(
        f"/v1/customers/{customer_id}/insolvency", json={"kind": "liquidation"}, headers=AGENT
    )
    assert twice.status_code == 409 and problem_fields(twice) == ["kind"]

    run = await collections.run(date(2026, 2, 2))
    assert run.json()["notices"] == [] and run.json()["fees"] == []
    assert {h["reason"] for h in run.json()["held"]} == {"insolvency"}
    nothing_left = await collections.client.post(
        f"/v1/customers/{customer_id}/doubtful", headers=AGENT
    )
    assert nothing_left.status_code == 409

    events = await collections.published(customer_id, 2)
    assert [e["type"] for e in events] == [
        "collections.insolvency.recorded.v1",
        "collections.receivable.classified_doubtful.v1",
    ]
    assert events[0]["data"] == {
        "customer_id": str(customer_id),
        "kind": "receivership",
        "opened_on": "2026-02-01",
    }


async def test_write_offs_take_what_remains_due_once(collections: Collections) -> None:
    customer_id = await collections.register()
    late = await collections.invoice(customer_id, "120.00", vat="20.00", due_date=DUE)
    gone = await collections.invoice(customer_id, "600.00", vat="100.00", due_date=DUE)
    settled = await collections.invoice(customer_id, "40.00", due_date=DUE)
    await collections.pay(customer_id, date(2026, 1, 5), (settled.invoice_id, "40.00"))
    await collections.pay(customer_id, date(2026, 1, 20), (late.invoice_id, "60.00"))
    collections.on(date(2026, 3, 2))
    classified = await collections.client.post(
        f"/v1/customers/{customer_id}/doubtful", headers=AGENT
    )
    assert classified.status_code == 201, classified.text
    assert classified.json()["amount_gross"] == "660.00"

    before = await collections.counts()
    refused = await collections.client.post(
        "/v1/write-offs",
        json={"invoice_id": str(settled.invoice_id), "reason": "small_balance"},
        headers=AGENT,
    )
    assert refused.status_code == 409 and problem_fields(refused) == ["invoice_id"]
    reason = await collections.client.post(
        "/v1/write-offs", json={"invoice_id": str(late.invoice_id), "reason": "why"}, headers=AGENT
    )
    assert reason.status_code == 422 and problem_fields(reason) == ["body.reason"]
    assert await collections.counts() == before

    small = await collections.client.post(
        "/v1/write-offs",
        json={"invoice_id": str(late.invoice_id), "reason": "small_balance"},
        headers=AGENT,
    )
    assert small.status_code == 201, small.text
    assert (small.json()["amount_net"], small.json()["amount_vat"]) == ("50.00", "10.00")
    assert (small.json()["vat_recovered"], small.json()["was_doubtful"]) == (False, True)
    definitive = await collections.client.post(
        "/v1/write-offs",
        json={"invoice_id": str(gone.invoice_id), "reason": "debtor_gone"},
        headers=AGENT,
    )
    assert definitive.json()["vat_recovered"] is True
    read = await collections.client.get(f"/v1/write-offs/{definitive.json()['id']}", headers=AGENT)
    assert read.json() == definitive.json()
    again = await collections.client.post(
        "/v1/write-offs",
        json={"invoice_id": str(gone.invoice_id), "reason": "debtor_gone"},
        headers=AGENT,
    )
    assert again.status_code == 409

    view = await collections.collections_of(customer_id)
    assert view["receivables"] == [] and view["amount_due"] == "0.00"
    events = await collections.published(customer_id, 3)
    assert [e["type"] for e in events] == [
        "collections.receivable.classified_doubtful.v1",
        "collections.receivable.written_off.v1",
        "collections.receivable.written_off.v1",
    ]
    written: dict[str, Any] = events[1]["data"]
    assert (written["amount_gross"], written["reason"], written["vat_recovered"]) == (
        "60.00",
        "small_balance",
        False,
    )
    assert written["account_number"] == registration(customer_id).account_number


async def test_the_worklist_calls_the_most_overdue_first(collections: Collections) -> None:
    big, small, quiet = uuid4(), uuid4(), uuid4()
    for customer_id, gross in ((big, "5000.00"), (small, "800.00"), (quiet, "300.00")):
        await collections.register(customer_id)
        await collections.invoice(customer_id, gross, due_date=DUE)
    await collections.invoice(quiet, "90.00", due_date=date(2026, 1, 31))
    for day in (date(2026, 1, 13), date(2026, 1, 23), date(2026, 1, 31)):
        collections.on(day)
        assert (await collections.run(day)).status_code == 201
    # The quiet customer is excluded from dunning: nobody calls them.
    collections.on(date(2026, 1, 31))
    await collections.client.put(
        f"/v1/customers/{quiet}/dunning",
        json={"exclusion": {"reason": "Accord du directeur", "until": None}},
        headers=AGENT,
    )
    first = await collections.client.get(
        "/v1/worklist", params={"as_of": "2026-01-31", "limit": 1}, headers=READER
    )
    assert first.status_code == 200, first.text
    [item] = first.json()["items"]
    assert (item["customer_id"], item["amount_overdue"], item["reasons"], item["level"]) == (
        str(big),
        "5000.00",
        ["dunning_call"],
        3,
    )
    assert item["next_action_on"] == "2026-02-15"
    rest = await collections.client.get(
        "/v1/worklist",
        params={"as_of": "2026-01-31", "cursor": first.json()["next_cursor"]},
        headers=READER,
    )
    assert [i["customer_id"] for i in rest.json()["items"]] == [str(small)]
    assert rest.json()["next_cursor"] is None
    bad = await collections.client.get(
        "/v1/worklist", params={"cursor": "not-a-cursor"}, headers=READER
    )
    assert bad.status_code == 422 and problem_fields(bad) == ["query.cursor"]


async def test_customer_events_keep_terms_and_erase_free_text(collections: Collections) -> None:
    customer_id = await collections.register()
    invoice = await collections.invoice(customer_id, "100.00", due_date=DUE)
    collections.on(date(2026, 1, 10))
    await collections.client.post(
        "/v1/disputes",
        json={"invoice_id": str(invoice.invoice_id), "reason": "M. Dupont conteste"},
        headers=AGENT,
    )
    await collections.client.put(
        f"/v1/customers/{customer_id}/dunning",
        json={"exclusion": {"reason": "M. Dupont hospitalisé"}},
        headers=AGENT,
    )
    await collections.deliver(
        CustomerUpdated(
            customer_id=customer_id, changed=["payment_terms_days"], payment_terms_days=45
        )
    )
    await collections.deliver(
        CustomerErased(
            customer_id=customer_id, account_number=registration(customer_id).account_number
        )
    )
    view = await collections.collections_of(customer_id)
    assert view["exclusion"]["reason"] == "erased"
    assert [d["reason"] for d in view["disputes"]] == ["erased"]
    assert view["account_number"] == registration(customer_id).account_number
