"""The pure parts of the read model: timeline lines, profiles in any order and after an
erasure, stream positions, the timeline's cursor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from coulisse.contracts.billing import Allocation, PaymentReceived
from coulisse.contracts.customer import CustomerUpdated
from coulisse.platform.pagination import InvalidCursor, PageParams
from coulisse.platform.personal_data import erased_display_name
from coulisse.reporting.adapters.repositories import timeline_order
from coulisse.reporting.adapters.tables import LIVE
from coulisse.reporting.domain import profiles
from coulisse.reporting.domain.streams import event_types, last_event_id
from coulisse.reporting.domain.timeline import summary, trace_id_of

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def test_a_payment_line_names_its_invoices_and_the_credit() -> None:
    paid = PaymentReceived(
        payment_id=uuid4(),
        customer_id=uuid4(),
        account_number="C000001",
        amount=Decimal("1500.00"),
        method="direct_debit",
        received_on=date(2026, 11, 16),
        external_ref="VIR-1",
        allocations=[
            Allocation(invoice_id=uuid4(), invoice_number="F2026-000001", amount=Decimal("1400"))
        ],
        unallocated=Decimal("100.00"),
    )
    assert summary(paid.TYPE, paid) == (
        "Payment received by direct debit: 1,500.00 EUR on F2026-000001 (100.00 EUR kept as credit)"
    )


def test_an_update_line_names_fields_never_values() -> None:
    changed = CustomerUpdated(customer_id=uuid4(), changed=["email"], email="a@b.example")
    line = summary(changed.TYPE, changed)
    assert line == "Customer details changed: email"
    assert "a@b.example" not in line


def test_an_unknown_type_still_gets_a_line() -> None:
    assert (
        summary("billing.thing.done.v9", None)
        == "billing.thing.done.v9 (not known to this version)"
    )


def test_the_trace_id_is_read_from_a_well_formed_traceparent_only() -> None:
    assert trace_id_of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == (
        "0af7651916cd43dd8448eb211c80319c"
    )
    assert trace_id_of("garbage") is None
    assert trace_id_of(None) is None
    assert trace_id_of("00-" + "0" * 32 + "-b7ad6b7169203331-01") is None


def test_a_registration_read_after_an_update_does_not_undo_it() -> None:
    empty = profiles.Profile(uuid4())
    updated = profiles.learn(empty, {"email": "new@x.example"}, T0 + timedelta(days=1))
    registered = profiles.registered(
        updated, {"email": "old@x.example", "display_name": "Jeanne Martin"}, T0
    )
    assert registered.values["email"] == "new@x.example"
    assert registered.values["display_name"] == "Jeanne Martin"


def test_an_erased_profile_shows_the_platform_s_pseudonym_and_no_contact() -> None:
    found = profiles.registered(
        profiles.Profile(uuid4()),
        {"kind": "person", "display_name": "Jeanne", "email": "j@x.example", "vat_number": "FR1"},
        T0,
    )
    erased = profiles.erase(found, "C000042", T0 + timedelta(days=2))
    shown = profiles.shown(erased)
    assert shown["display_name"] == erased_display_name("C000042")
    assert shown["email"] is None and shown["vat_number"] is None
    # A late update cannot bring personal data back.
    later = profiles.learn(erased, {"email": "again@x.example"}, T0 + timedelta(days=3))
    assert profiles.shown(later)["email"] is None


def test_last_event_id_and_types() -> None:
    assert last_event_id("42") == 42
    assert last_event_id(" 7 ") == 7
    assert last_event_id("null") is None
    assert last_event_id("9" * 25) is None
    assert last_event_id(None) is None
    assert event_types("a, b,,") == frozenset({"a", "b"})
    assert event_types(None) == frozenset()


def test_the_timeline_cursor_resumes_after_its_entry_and_refuses_forgeries() -> None:
    keyset = timeline_order(LIVE.timeline)
    cursor = keyset.cursor_of({"occurred_at": T0, "seq": 12})
    assert keyset.position(cursor) == {"occurred_at": T0, "seq": 12}
    with pytest.raises(InvalidCursor):
        keyset.position("not-a-cursor")
    assert PageParams(3, cursor).cursor == cursor
