"""Poison events go to suspense and the partition flows; once the rules are fixed, a retry posts once."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import gateway_samples as samples
import pytest
import yaml
from gateway_harness import copy_of_default_rules, running_gateway

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES
from coulisse.contracts.topics import ACCOUNTING_EVENTS, BILLING_EVENTS
from coulisse.platform import testing

pytestmark = pytest.mark.integration
D = Decimal


def break_rules(path: Path) -> None:
    """No rule for refunds; payments read their bank account from a field that holds none.

    An account the chart lacks written in a rule is refused when the file is read; one read
    from the event can only be found unknown when an event comes, and suspends that event.
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    del document["rules"]["billing.refund.issued.v1"]
    document["rules"]["billing.payment.received.v1"]["lines"][0]["account"] = {"field": "method"}
    document["version"] = "pcg-2026.2-broken"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


async def test_poison_events_are_suspended_and_retried_once_fixed(
    make_database: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    rules = copy_of_default_rules(tmp_path)
    break_rules(rules)
    customer, aux, day = uuid4(), "C000007", date(2026, 6, 5)
    first = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=day,
        lines=[(D("80.00"), D("20.0"), None)],
    )
    refund = samples.refund(
        customer_id=customer, account_number=aux, amount=D("5.00"), issued_on=day
    )
    paid = samples.payment(
        customer_id=customer, account_number=aux, received_on=day, allocations=[(first, D("96.00"))]
    )
    last = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=day,
        lines=[(D("10.00"), D("20.0"), None)],
        number="F2026-000002",
    )
    bad_schema = json.loads(samples.envelope(last).value)
    bad_schema["id"] = str(uuid4())
    bad_schema["data"]["total_gross"] = 12.0  # a float where money is expected
    envelopes = [samples.envelope(e) for e in (first, refund, paid)]
    async with running_gateway(make_database, kafka_bootstrap, rules) as gateway:
        await samples.publish(gateway.bootstrap, envelopes)
        await samples.publish_raw(
            gateway.bootstrap, BILLING_EVENTS, b"{not json", str(customer).encode()
        )
        await samples.publish_raw(
            gateway.bootstrap,
            BILLING_EVENTS,
            json.dumps(bad_schema).encode(),
            str(customer).encode(),
        )
        await samples.publish(gateway.bootstrap, [samples.envelope(last)])
        await gateway.caught_up()

        posted = await gateway.get("/v1/journal-entries")
        assert [e["piece_ref"] for e in posted["items"]] == ["F2026-000001", "F2026-000002"]
        suspended = (await gateway.get("/v1/suspense"))["items"]
        reasons = {item["source_event_type"]: item["reason"] for item in suspended}
        assert reasons == {
            "billing.refund.issued.v1": "no_rule",
            "billing.payment.received.v1": "unknown_account",
            "unreadable": "malformed",
            "billing.invoice.issued.v1": "malformed",
        }
        schema_item = next(i for i in suspended if i["source_event_id"] == bad_schema["id"])
        detail = await gateway.get(f"/v1/suspense/{schema_item['source_event_id']}")
        assert detail["envelope"] is None and "12.0" in detail["raw"]

        # Each suspension is published, keyed by the source event type.
        ids = {str(envelopes[1].event_id), str(envelopes[2].event_id), bad_schema["id"]}
        records = await testing.read_topic(
            gateway.bootstrap,
            ACCOUNTING_EVENTS,
            keep=lambda r: testing.event_json(r)["data"].get("source_event_id") in ids,
            until=lambda found: len(found) >= 3,
        )
        assert {testing.event_json(r)["type"] for r in records} == {"accounting.event.suspended.v1"}

        refund_id = str(envelopes[1].event_id)
        still = await gateway.client.post(f"/v1/suspense/{refund_id}/retry")
        assert still.status_code == 409, still.text
        assert still.json()["reason"] == "no_rule"

        rules.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
        reloaded = await gateway.client.post("/v1/mappings/reload")
        assert reloaded.status_code == 200 and reloaded.json()["version"] == "pcg-2026.2"

        retried = await gateway.client.post(f"/v1/suspense/{refund_id}/retry")
        assert retried.status_code == 200, retried.text
        entry = retried.json()["entry"]
        assert retried.json()["suspense"]["status"] == "resolved"
        assert entry["source_event_id"] == refund_id and entry["entry_number"] == "BQ-2026-000001"
        again = await gateway.client.post(f"/v1/suspense/{refund_id}/retry")
        assert again.json()["entry"]["id"] == entry["id"]

        payment_id = str(envelopes[2].event_id)
        paid_entry = (await gateway.client.post(f"/v1/suspense/{payment_id}/retry")).json()["entry"]
        assert paid_entry["lines"][1]["letter"] == "AA"  # settles the first invoice

        malformed = await gateway.client.post(f"/v1/suspense/{bad_schema['id']}/retry")
        assert malformed.status_code == 409

        # Delivered again, the suspended-then-posted events stay posted once.
        await samples.publish(gateway.bootstrap, envelopes)
        await gateway.caught_up()
        for source in (refund_id, payment_id):
            found = await gateway.get("/v1/journal-entries", source_event_id=source)
            assert len(found["items"]) == 1
        open_items = (await gateway.get("/v1/suspense"))["items"]
        assert {i["reason"] for i in open_items} == {"malformed"}
        resolved = (await gateway.get("/v1/suspense", status="resolved"))["items"]
        assert {i["source_event_id"] for i in resolved} == {refund_id, payment_id}
        mappings = await gateway.get("/v1/mappings")
        assert "billing.refund.issued.v1" in mappings["rules"]
