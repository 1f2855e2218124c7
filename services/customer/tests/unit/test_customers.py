from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coulisse.contracts.customer import CustomerErased, CustomerRegistered, CustomerUpdated
from coulisse.customer.domain.customers import Customer, Profile, format_account_number
from coulisse.platform.domain import Conflict, InvalidInput

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def profile(**overrides: object) -> Profile:
    values: dict[str, object] = {
        "display_name": "Boulangerie Martin",
        "email": "contact@martin.fr",
        "country": "FR",
    }
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


def test_account_numbers_are_padded_auxiliary_codes() -> None:
    assert format_account_number(42) == "C000042"


def test_registering_records_the_registered_event() -> None:
    customer = Customer.register(
        now=NOW, account_sequence=7, kind="company", profile=profile(siren="732829320")
    )
    [event] = customer.pull_events()
    assert isinstance(event, CustomerRegistered)
    assert event.account_number == "C000007"
    assert event.customer_id == customer.id
    assert event.siren == "732829320"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"siren": "123456789"}, "siren"),
        ({"payment_terms_days": 90}, "payment_terms_days"),
        ({"vat_number": "FR00732829320", "siren": "732829320"}, "vat_number"),
    ],
)
def test_invalid_profiles_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Customer.register(now=NOW, account_sequence=1, kind="company", profile=profile(**overrides))
    assert error.value.field == field


def test_a_person_has_no_siren() -> None:
    with pytest.raises(InvalidInput):
        Customer.register(
            now=NOW, account_sequence=1, kind="person", profile=profile(siren="732829320")
        )


def test_update_records_only_changed_fields() -> None:
    customer = Customer.register(now=NOW, account_sequence=1, kind="person", profile=profile())
    customer.pull_events()
    assert customer.update({"email": "contact@martin.fr"}, now=NOW) == []
    assert customer.pull_events() == []
    assert customer.update({"email": "new@martin.fr", "phone": "+33 1 23 45 67 89"}, now=NOW) == [
        "email",
        "phone",
    ]
    [event] = customer.pull_events()
    assert isinstance(event, CustomerUpdated)
    assert event.changed == ["email", "phone"]
    assert event.email == "new@martin.fr"
    assert customer.version == 2


def test_erasure_pseudonymises_and_freezes_the_customer() -> None:
    customer = Customer.register(
        now=NOW,
        account_sequence=3,
        kind="person",
        profile=profile(display_name="Jeanne Dupont", phone="0601020304"),
    )
    customer.pull_events()
    customer.erase(now=NOW)
    assert customer.status == "erased"
    assert "Dupont" not in customer.profile.display_name
    assert customer.profile.phone is None
    assert customer.account_number == "C000003"
    [event] = customer.pull_events()
    assert isinstance(event, CustomerErased)
    with pytest.raises(Conflict):
        customer.update({"email": "back@example.com"}, now=NOW)
    with pytest.raises(Conflict):
        customer.erase(now=NOW)
