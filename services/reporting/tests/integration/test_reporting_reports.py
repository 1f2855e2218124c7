"""The reports over the real broker and PostgreSQL: events published on the topics as their
services publish them, read by reporting's consumer; every figure worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from reporting_harness import READER, account_of
from reports_harness import (
    at,
    credit_note,
    entry,
    invoice,
    journaled,
    line,
    live_reporting,
    noon,
    payment,
    refund,
    reversal,
)

from coulisse.contracts.accounting import EventSuspended
from coulisse.contracts.billing import BillingOutOfBandWrite
from coulisse.contracts.collections import DisputeOpened, ReceivableWrittenOff
from coulisse.contracts.customer import RequestOpened, RequestStatusChanged
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.envelope import OutgoingEvent

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOV_30 = date(2026, 11, 30)


def by_key(amounts: dict[str, Any]) -> dict[str, str]:
    return {b["key"]: b["amount"] for b in amounts["buckets"]}


async def test_aged_receivables_and_dso_as_of_a_date(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    a, b, c = sorted((uuid4(), uuid4(), uuid4()), key=account_of)
    a1 = invoice(a, "1000.00", date(2026, 7, 1), date(2026, 7, 31))  # 122 days late on 30/11
    a2 = invoice(a, "500.00", date(2026, 10, 1), date(2026, 10, 31))  # 30 days
    a3 = invoice(a, "300.00", date(2026, 11, 20), date(2026, 12, 20))  # not due
    a4 = invoice(a, "200.00", date(2026, 12, 5), date(2027, 1, 4))  # issued after the date
    b1 = invoice(b, "800.00", date(2026, 9, 1), date(2026, 9, 15))  # 76 days, disputed
    c1 = invoice(c, "120.00", date(2026, 6, 1), date(2026, 6, 1))
    documents = [
        (a1, noon(a1.issue_date)),
        (a2, noon(a2.issue_date)),
        (a3, noon(a3.issue_date)),
        (a4, noon(a4.issue_date)),
        (b1, noon(b1.issue_date)),
        (c1, noon(c1.issue_date)),
        (payment(a, date(2026, 8, 15), (a1, "400.00")), noon(date(2026, 8, 15))),
        (credit_note(a2, "100.00", date(2026, 11, 10)), noon(date(2026, 11, 10))),
        (payment(a, date(2026, 12, 1), (a1, "600.00")), noon(date(2026, 12, 1))),  # after
        (payment(b, date(2026, 11, 5), unallocated="250.00"), noon(date(2026, 11, 5))),
        (
            ReceivableWrittenOff(
                write_off_id=uuid4(),
                customer_id=c,
                account_number=account_of(c),
                invoice_id=c1.invoice_id,
                invoice_number=c1.number,
                amount_net=c1.total_net,
                amount_vat=c1.total_vat,
                amount_gross=c1.total_gross,
                written_off_on=date(2026, 10, 1),
                reason="small_balance",
                was_doubtful=False,
                vat_recovered=False,
            ),
            noon(date(2026, 10, 1)),
        ),
    ]
    late_refund = refund(b, "100.00", date(2026, 11, 20))
    refund_event = at(late_refund, noon(date(2026, 11, 20)))
    events = [at(p, when) for p, when in documents]
    events += [at(journaled(e, p), e.time) for e, (p, _) in zip(events, documents, strict=True)]
    events += [
        refund_event,  # not journaled yet
        at(
            DisputeOpened(dispute_id=uuid4(), customer_id=b, invoice_id=b1.invoice_id, reason="x"),
            noon(date(2026, 11, 2)),
        ),
    ]
    url = await make_database("reporting_reports_aged")
    async with live_reporting(url, kafka_bootstrap) as live:
        await live.publish(events)
        aged = await live.get("/v1/reports/aged-receivables", as_of="2026-11-30")

        assert [b["key"] for b in aged["buckets"]] == [
            "not_due",
            "1-30",
            "31-60",
            "61-90",
            "over_90",
        ]
        total = aged["total"]
        assert by_key(total) == {
            "not_due": "300.00",
            "1-30": "400.00",  # 500 − 100 credited on 10/11
            "31-60": "0.00",
            "61-90": "0.00",  # b1 is there by age, but disputed: apart
            "over_90": "600.00",  # 1,000 − 400 paid on 15/08; the 1/12 payment comes later
        }
        assert (total["undisputed"], total["disputed"], total["receivables"]) == (
            "1300.00",
            "800.00",
            "2100.00",
        )
        # b holds 250 paid on account, less the 100 refunded on 20/11.
        assert (total["on_account"], total["balance"]) == ("150.00", "1950.00")
        assert total["overdue"] == "1800.00"  # 400 + 600 + 800 disputed
        # The refund is not in the books yet: 1,950 − 1,850.
        assert aged["books"] == {"balance": "1850.00", "difference": "100.00"}
        rows = {row["customer_id"]: row for row in aged["items"]}
        assert set(rows) == {str(a), str(b)}  # c's invoice was written off
        assert rows[str(b)]["disputed"] == "800.00"
        assert rows[str(b)]["balance"] == "650.00"
        assert [row["account_number"] for row in aged["items"]] == [account_of(a), account_of(b)]

        await live.publish([at(journaled(refund_event, late_refund), refund_event.time)])
        aged = await live.get("/v1/reports/aged-receivables", as_of="2026-11-30")
        assert aged["books"] == {"balance": "1950.00", "difference": "0.00"}

        # The 1/12 payment settles a1 the day after.
        later = await live.get("/v1/reports/aged-receivables", as_of="2026-12-01")
        assert by_key(later["total"])["over_90"] == "0.00"
        assert later["books"]["difference"] == "0.00"

        by_issue = await live.get(
            "/v1/reports/aged-receivables", as_of="2026-11-30", basis="invoice_date"
        )
        assert by_key(by_issue["total"]) == {
            "0-30": "300.00",
            "31-60": "400.00",  # issued 60 days before
            "61-90": "0.00",
            "over_90": "600.00",
        }
        first = await live.get("/v1/reports/aged-receivables", as_of="2026-11-30", limit=1)
        assert [r["customer_id"] for r in first["items"]] == [str(a)]
        second = await live.get(
            "/v1/reports/aged-receivables",
            as_of="2026-11-30",
            limit=1,
            cursor=first["next_cursor"],
        )
        assert [r["customer_id"] for r in second["items"]] == [str(b)]
        assert second["next_cursor"] is None

        # DSO on 30/11 over 90 days (2/9 – 30/11): sales a2 + a3 = 800; receivables 2,100.
        found = await live.get("/v1/reports/dso", as_of="2026-11-30", days=90)
        assert (found["period_start"], found["period_end"]) == ("2026-09-02", "2026-11-30")
        assert found["total"] == {
            "receivables": "2100.00",
            "sales": "800.00",
            "simple_days": "236.25",  # 2,100 / 800 × 90
            # November 300 (30 d), October 500 (31 d), September 800 (30 d), August nothing
            # (31 d), then 500 left of July's 1,000: 15.5 d.
            "count_back_days": "137.50",
        }
        customers = {row["customer_id"]: row for row in found["items"]}
        assert customers[str(a)]["simple_days"] == "146.25"  # 1,300 / 800 × 90
        assert customers[str(a)]["count_back_days"] == "137.50"
        assert customers[str(b)]["simple_days"] is None  # nothing sold to b in the period
        assert customers[str(b)]["count_back_days"] == "91.00"  # 30 + 31 + 800/800 × 30
        assert str(c) not in customers
        trend = found["trend"]
        assert [p["month_end"] for p in trend][-2:] == ["2026-10-31", "2026-11-30"]
        assert len(trend) == 12 and trend[0]["month_end"] == "2025-12-31"
        assert {k: v for k, v in trend[-1].items() if k != "month_end"} == found["total"]
        # 31/10: a1 600, a2 500, b1 800 owed; sales 3/8 – 31/10: a2 500 + b1 800.
        assert trend[-2] == {
            "month_end": "2026-10-31",
            "receivables": "1900.00",
            "sales": "1300.00",
            "simple_days": "131.54",  # 1,900 / 1,300 × 90 = 131.538…
            "count_back_days": "110.60",  # 31 + 30 + 31 + 600/1,000 × 31
        }


async def test_reconciliation_lists_what_explains_a_drift(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    customer, settled = uuid4(), uuid4()
    issued = invoice(customer, "500.00", date(2026, 11, 2), date(2026, 12, 2))
    other = invoice(settled, "90.00", date(2026, 11, 2), date(2026, 12, 2))
    paid = payment(customer, date(2026, 11, 5), (issued, "200.00"))
    credited = credit_note(issued, "50.00", date(2026, 11, 6))
    aux = account_of(customer)
    by_hand = entry(
        "OD", date(2026, 11, 7), [line("411", debit="30.00", aux=aux), line("512", credit="30.00")]
    )
    issued_event, other_event = (
        at(issued, noon(date(2026, 11, 2))),
        at(other, noon(date(2026, 11, 2))),
    )
    paid_event, credited_event = (
        at(paid, noon(date(2026, 11, 5))),
        at(credited, noon(date(2026, 11, 6))),
    )
    url = await make_database("reporting_reports_reconciliation")
    async with live_reporting(url, kafka_bootstrap) as live:
        await live.publish(
            [
                issued_event,
                other_event,
                paid_event,
                credited_event,
                at(journaled(issued_event, issued), issued_event.time),
                at(journaled(other_event, other), other_event.time),
                at(
                    EventSuspended(
                        source_event_id=credited_event.event_id,
                        source_event_type=credited_event.event_type,
                        error="no account for revenue 709",
                    ),
                    noon(date(2026, 11, 6)),
                ),
                at(by_hand, noon(date(2026, 11, 7))),
            ]
        )
        found = await live.get("/v1/reports/reconciliation")
        # billing 500 − 200 − 50 = 250 (+ 90); books 500 + 30 manual (+ 90).
        assert (found["billing_total"], found["books_total"], found["drift"]) == (
            "340.00",
            "620.00",
            "-280.00",
        )
        assert (found["drifting_customers"], found["status"]) == (1, "red")
        rows = {row["customer_id"]: row for row in found["items"]}
        assert rows[str(settled)]["drift"] == "0.00"
        assert rows[str(settled)]["explanation"] is None
        row = rows[str(customer)]
        assert (row["account_number"], row["billing_balance"], row["books_balance"]) == (
            aux,
            "250.00",
            "530.00",
        )
        why = row["explanation"]
        assert [(e["event_id"], e["amount"]) for e in why["unjournaled"]] == [
            (str(paid_event.event_id), "-200.00")
        ]
        assert [(e["source_event_id"], e["amount"]) for e in why["suspended"]] == [
            (str(credited_event.event_id), "-50.00")
        ]
        assert [(e["entry_id"], e["manual"], e["amount"]) for e in why["entries"]] == [
            (str(by_hand.entry_id), True, "30.00")
        ]
        # −200 − 50 − 30 = −280: the drift, explained.
        drifting = await live.get("/v1/reports/reconciliation", drifting="true")
        assert [r["customer_id"] for r in drifting["items"]] == [str(customer)]

        # The gateway catches up, the suspended event is retried, the manual entry reversed.
        await live.publish(
            [
                at(journaled(paid_event, paid), noon(date(2026, 11, 8))),
                at(journaled(credited_event, credited), noon(date(2026, 11, 8))),
                at(reversal(by_hand, date(2026, 11, 9)), noon(date(2026, 11, 9))),
            ]
        )
        found = await live.get("/v1/reports/reconciliation")
        assert (found["drift"], found["drifting_customers"], found["status"]) == (
            "0.00",
            0,
            "green",
        )
        assert all(r["explanation"] is None for r in found["items"])


def request(customer_id: UUID, category: str, opened: datetime) -> RequestOpened:
    return RequestOpened.model_validate(
        {
            "request_id": str(uuid4()),
            "customer_id": str(customer_id),
            "category": category,
            "subject": "Remboursement",
            "opened_at": opened.isoformat(),
            "due_at": (opened + timedelta(days=2)).isoformat(),
        }
    )


def hours(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def test_refund_lead_time_from_the_request_to_its_refund(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    customer = uuid4()
    r1, r2, r3, r4 = (
        request(customer, "refund", opened)
        for opened in (hours(1, 9), hours(2, 9), hours(5, 9), hours(10, 9))
    )
    waiting = request(customer, "refund", hours(12, 9))
    rejected = request(customer, "refund", hours(13, 9))
    forgotten = request(customer, "refund", hours(1, 9, month=7))  # before the window
    question = request(customer, "billing_question", hours(3, 9))
    fresh = request(customer, "billing_question", hours(15, 9))  # due 17/11: not late
    events: list[OutgoingEvent] = [
        at(r, r.opened_at) for r in (r1, r2, r3, r4, waiting, rejected, forgotten, question, fresh)
    ]
    for opened, refunded_at in (
        (r1, hours(3, 21)),  # 2.5 days
        (r2, hours(3, 9)),  # 1 day
        (r3, hours(12, 9)),  # 7 days
        (r4, hours(10, 15)),  # 0.25 day; a second refund later does not count
        (r4, hours(11, 15)),
    ):
        paid_back = refund(customer, "10.00", refunded_at.date(), request_id=opened.request_id)
        events.append(at(paid_back, refunded_at))
    for changed, status in ((waiting, "in_progress"), (rejected, "rejected")):
        events.append(
            at(
                RequestStatusChanged(
                    request_id=changed.request_id,
                    customer_id=customer,
                    status=status,
                    changed_at=hours(14, 9),
                ),
                hours(14, 9),
            )
        )
    url = await make_database("reporting_reports_refunds")
    async with live_reporting(url, kafka_bootstrap) as live:  # the clock: 16/11 09:00 UTC
        await live.publish(events)
        found = await live.get("/v1/reports/refund-lead-time")
        assert (found["days"], found["requests"], found["refunded"]) == (90, 6, 4)
        # 0.25, 1, 2.5, 7: p50 (1 + 2.5) / 2 = 1.75; p90 rank 3.7: 2.5 + 0.7 × 4.5 = 5.65.
        assert (found["p50_days"], found["p90_days"]) == ("1.75", "5.65")
        assert [(t["request_id"], t["days"]) for t in found["lead_times"]] == [
            (str(r1.request_id), "2.50"),
            (str(r2.request_id), "1.00"),
            (str(r3.request_id), "7.00"),
            (str(r4.request_id), "0.25"),
        ]
        assert found["open_count"] == 2
        assert [(o["request_id"], o["status"], o["age_days"]) for o in found["open"]] == [
            (str(forgotten.request_id), "open", "138.00"),  # 1/7 → 16/11, any age
            (str(waiting.request_id), "in_progress", "4.00"),
        ]
        # The requests list: neither resolved nor rejected (refunded ones are still open: their
        # status is the customer service's), oldest first, paged.
        unresolved = await live.get("/v1/reports/requests")
        assert [r["request_id"] for r in unresolved["items"]] == [
            str(r.request_id) for r in (forgotten, r1, r2, question, r3, r4, waiting, fresh)
        ]
        assert [r["late"] for r in unresolved["items"]] == [True] * 7 + [False]
        late = await live.get("/v1/reports/requests", state="late")
        assert len(late["items"]) == 7 and str(fresh.request_id) not in str(late)
        first = await live.get("/v1/reports/requests", category="refund", limit=4)
        rest = await live.get(
            "/v1/reports/requests", category="refund", limit=4, cursor=first["next_cursor"]
        )
        assert [r["request_id"] for r in first["items"] + rest["items"]] == [
            str(r.request_id) for r in (forgotten, r1, r2, r3, r4, waiting)
        ]
        assert rest["next_cursor"] is None

        recent = await live.get("/v1/reports/refund-lead-time", days=5)
        # Since 11/11 09:00: the two opened on 12/11 and 13/11, neither refunded.
        assert (recent["requests"], recent["refunded"], recent["p50_days"]) == (2, 0, None)


async def test_the_pulse_turns_red_on_a_manual_entry_and_an_out_of_band_write(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    customer = uuid4()
    issued = invoice(customer, "240.00", date(2026, 11, 2), date(2026, 11, 9))  # late on 16/11
    issued_event = at(issued, noon(date(2026, 11, 2)))
    url = await make_database("reporting_reports_pulse")
    async with live_reporting(url, kafka_bootstrap) as live:
        await live.publish([issued_event, at(journaled(issued_event, issued), issued_event.time)])
        pulse = await live.get("/v1/reports/pulse")
        assert pulse["status"] == "green"
        assert {k: pulse[k]["status"] for k in ("manual_entries", "out_of_band_writes")} == {
            "manual_entries": "green",
            "out_of_band_writes": "green",
        }
        assert (pulse["drift"]["status"], pulse["suspense"]["status"]) == ("green", "green")
        assert pulse["overdue"]["amount"] == "240.00"
        assert pulse["corrections"]["total"] == 0

        # A refund booked only in the books: a manual entry on the customer's 411.
        by_hand = entry(
            "BQ",
            date(2026, 11, 16),
            [line("411", debit="40.00", aux=account_of(customer)), line("512", credit="40.00")],
        )
        await live.publish([at(by_hand, noon(date(2026, 11, 16)), actor="accountant-3")])
        pulse = await live.get("/v1/reports/pulse")
        assert pulse["status"] == "red"
        assert pulse["manual_entries"] == {
            "count": 1,
            "status": "red",
            "href": "/v1/reports/manual-entries?days=45",
        }
        assert pulse["drift"]["drifting_customers"] == 1
        assert (pulse["drift"]["drift"], pulse["drift"]["status"]) == ("-40.00", "red")
        assert pulse["out_of_band_writes"]["status"] == "green"
        listed = await live.get(pulse["manual_entries"]["href"])
        assert [(e["entry_id"], e["actor"], e["receivables"]) for e in listed["items"]] == [
            (str(by_hand.entry_id), "accountant-3", "40.00")
        ]
        drifting = await live.get(pulse["drift"]["href"])
        assert [r["customer_id"] for r in drifting["items"]] == [str(customer)]

        # Reversing it is a correction made the right way, not another manual entry.
        await live.publish([at(reversal(by_hand, date(2026, 11, 16)), noon(date(2026, 11, 16)))])
        pulse = await live.get("/v1/reports/pulse")
        assert pulse["manual_entries"]["count"] == 1
        assert pulse["corrections"]["reversals"] == 1
        assert pulse["drift"]["status"] == "green"
        corrections = await live.get(pulse["corrections"]["href"])
        assert [c["kind"] for c in corrections["items"]] == ["reversal"]

        patched = BillingOutOfBandWrite(
            table="invoices",
            operation="UPDATE",
            row_key=str(issued.invoice_id),
            db_role="dba_jean",
            at=noon(date(2026, 11, 16)),
            customer_id=customer,
        )
        patch_event = at(patched, noon(date(2026, 11, 16)), actor="system:billing")
        await live.publish([patch_event])
        pulse = await live.get("/v1/reports/pulse")
        assert pulse["out_of_band_writes"]["count"] == 1
        assert (pulse["out_of_band_writes"]["status"], pulse["status"]) == ("red", "red")
        writes = await live.get(pulse["out_of_band_writes"]["href"])
        assert [
            (w["event_id"], w["service"], w["table"], w["operation"], w["db_role"])
            for w in writes["items"]
        ] == [(str(patch_event.event_id), "billing", "invoices", "UPDATE", "dba_jean")]
        # On the customer's timeline too.
        timeline = await live.get(f"/v1/customers/{customer}/timeline")
        assert timeline["items"][0]["type"] == "billing.database.out_of_band_write.v1"
        assert timeline["items"][0]["summary"].startswith("Out-of-band UPDATE on billing.invoices")


async def test_a_suspended_event_shows_in_the_pulse_until_it_is_posted(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    customer = uuid4()
    issued = invoice(customer, "75.00", date(2026, 11, 2), date(2026, 12, 2))
    issued_event = at(issued, noon(date(2026, 11, 2)))
    suspended = at(
        EventSuspended(
            source_event_id=issued_event.event_id,
            source_event_type=issued_event.event_type,
            error="unknown account 7069",
        ),
        hours(14, 9),
    )
    url = await make_database("reporting_reports_suspense")
    async with live_reporting(url, kafka_bootstrap) as live:
        await live.publish([issued_event, suspended])
        pulse = await live.get("/v1/reports/pulse")
        assert pulse["suspense"] == {
            "count": 1,
            "oldest_suspended_at": "2026-11-14T09:00:00Z",
            "oldest_age_days": "2.00",  # the clock: 16/11 09:00
            "status": "red",
            "href": "/v1/reports/suspense",
        }
        listed = await live.get("/v1/reports/suspense")
        assert [(s["source_event_id"], s["customer_id"], s["amount"]) for s in listed["items"]] == [
            (str(issued_event.event_id), str(customer), "75.00")
        ]
        await live.publish([at(journaled(issued_event, issued), hours(15, 9))])
        pulse = await live.get("/v1/reports/pulse")
        assert (pulse["suspense"]["count"], pulse["suspense"]["status"]) == (0, "green")
        assert pulse["status"] == "green"


async def test_report_routes_need_reports_read_and_refuse_bad_buckets(
    make_database: DatabaseFactory,
) -> None:
    from reporting_harness import running_reporting

    url = await make_database("reporting_reports_refusals")
    async with running_reporting(url) as reporting:
        client = reporting.client
        for path in (
            "aged-receivables",
            "dso",
            "reconciliation",
            "refund-lead-time",
            "pulse",
            "manual-entries",
            "out-of-band-writes",
            "corrections",
            "suspense",
            "requests",
        ):
            assert (await client.get(f"/v1/reports/{path}")).status_code == 401, path
            other = testing.auth_headers(["billing:read"])
            assert (await client.get(f"/v1/reports/{path}", headers=other)).status_code == 403
            assert (await client.get(f"/v1/reports/{path}", headers=READER)).status_code == 200
        for buckets in ("60,30", "0,30", "30,30"):
            refused = await client.get(
                "/v1/reports/aged-receivables", params={"buckets": buckets}, headers=READER
            )
            assert refused.status_code == 422
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in refused.json()["errors"]] == ["query.buckets"]
        early = await client.get("/v1/reports/dso", params={"as_of": "0001-01-01"}, headers=READER)
        assert early.status_code == 422
        assert [e["field"] for e in early.json()["errors"]] == ["query.as_of"]
