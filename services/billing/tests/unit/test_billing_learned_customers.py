"""Customers as billing learns them, whatever order their events arrive in."""

from __future__ import annotations

from uuid import uuid4

import pytest
from billing_factories import NOW

from coulisse.billing.domain.customers import BillingCustomer
from coulisse.platform.domain import Conflict, InvalidInput

REGISTRATION = {
    "account_number": "C000042",
    "display_name": "Jeanne Dupont",
    "email": "jeanne@example.fr",
    "payment_terms_days": 30,
}


def test_a_registered_customer_can_be_billed() -> None:
    customer = BillingCustomer(updated_at=NOW, id=uuid4())
    with pytest.raises(InvalidInput) as refused:
        customer.ensure_billable()
    assert refused.value.field == "customer_id"
    customer.registered(now=NOW, **REGISTRATION)  # type: ignore[arg-type]
    assert customer.ensure_billable() == "C000042"
    assert customer.status == "active" and customer.terms_days == 30


def test_an_update_seen_before_the_registration_wins_over_it() -> None:
    customer = BillingCustomer(updated_at=NOW, id=uuid4())
    customer.updated({"email": "new@example.fr", "payment_terms_days": 45}, now=NOW)
    assert customer.status == "pending"
    with pytest.raises(InvalidInput):
        customer.ensure_known()
    customer.registered(now=NOW, **REGISTRATION)  # type: ignore[arg-type]
    assert (customer.email, customer.payment_terms_days) == ("new@example.fr", 45)
    assert (customer.display_name, str(customer.status)) == ("Jeanne Dupont", "active")


def test_erasure_removes_personal_data_and_keeps_the_account() -> None:
    customer = BillingCustomer(updated_at=NOW, id=uuid4())
    customer.registered(now=NOW, **REGISTRATION)  # type: ignore[arg-type]
    customer.erased(now=NOW, account_number="C000042")
    assert customer.email is None and "Jeanne" not in (customer.display_name or "")
    assert customer.ensure_known() == "C000042"
    with pytest.raises(Conflict):
        customer.ensure_billable()
    customer.updated({"display_name": "Jeanne D.", "email": "again@example.fr"}, now=NOW)
    assert customer.email is None and "Jeanne" not in (customer.display_name or "")


def test_an_erasure_seen_before_the_registration_is_not_undone() -> None:
    customer = BillingCustomer(updated_at=NOW, id=uuid4())
    customer.erased(now=NOW, account_number="C000042")
    customer.registered(now=NOW, **REGISTRATION)  # type: ignore[arg-type]
    assert customer.status == "erased" and customer.email is None
    assert customer.payment_terms_days == 30
