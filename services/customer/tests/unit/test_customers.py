from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from coulisse.contracts.customer import CustomerErased, CustomerRegisteredV2, CustomerUpdatedV2
from coulisse.customer.domain.customers import (
    Customer,
    CustomerKind,
    Profile,
    format_account_number,
)
from coulisse.platform.crypto import DataKey
from coulisse.platform.domain import Conflict, InvalidInput
from coulisse.platform.personal_data import open_personal, seal_personal

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = DataKey.generate()
SEAL = partial(seal_personal, KEY)


def register(kind: CustomerKind = "person", sequence: int = 1, **overrides: Any) -> Customer:
    return Customer.register(
        now=NOW, account_sequence=sequence, kind=kind, profile=profile(**overrides), seal=SEAL
    )


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


def test_registering_records_the_registered_event_with_the_personal_fields_sealed() -> None:
    customer = register(
        "company", 7, siren="732829320", vat_number="FR44732829320", phone="+33 1 40 00 00 00"
    )
    [event] = customer.pull_events()
    assert isinstance(event, CustomerRegisteredV2)
    assert event.account_number == "C000007"
    assert event.customer_id == customer.id
    assert event.siren == "732829320"
    # A company's identifiers are registry data, in clear; its names and contacts are sealed.
    assert event.vat_number == "FR44732829320"
    wire = event.model_dump_json()
    for personal in ("Boulangerie Martin", "contact@martin.fr", "+33 1 40 00 00 00"):
        assert personal not in wire
    assert event.personal.key_id == KEY.key_id
    assert open_personal(KEY, customer.id, event.personal) == {
        "display_name": "Boulangerie Martin",
        "email": "contact@martin.fr",
        "phone": "+33 1 40 00 00 00",
        "address": None,
    }


def test_a_persons_vat_number_is_sealed_too() -> None:
    customer = register("person", vat_number="FR44732829320")
    [event] = customer.pull_events()
    assert isinstance(event, CustomerRegisteredV2)
    assert event.vat_number is None
    assert "FR44732829320" not in event.model_dump_json()
    opened: dict[str, Any] = open_personal(KEY, customer.id, event.personal)
    assert opened["vat_number"] == "FR44732829320"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"siren": "123456789"}, "siren"),
        ({"payment_terms_days": 90}, "payment_terms_days"),
        ({"vat_number": "FR00732829320", "siren": "732829320"}, "vat_number"),
    ],
)
def test_invalid_profiles_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        register("company", **overrides)
    assert error.value.field == field


def test_a_person_has_no_siren() -> None:
    with pytest.raises(InvalidInput):
        register("person", siren="732829320")


def test_update_records_only_changed_fields() -> None:
    customer = register("person")
    customer.pull_events()
    assert customer.update({"email": "contact@martin.fr"}, now=NOW, seal=SEAL) == []
    assert customer.pull_events() == []
    changes = {"email": "new@martin.fr", "phone": "+33 1 23 45 67 89", "payment_terms_days": 45}
    assert customer.update(changes, now=NOW, seal=SEAL) == ["email", "phone", "payment_terms_days"]
    [event] = customer.pull_events()
    assert isinstance(event, CustomerUpdatedV2)
    assert event.changed == ["email", "phone", "payment_terms_days"]
    assert event.account_number == customer.account_number
    assert event.payment_terms_days == 45
    assert event.personal is not None and event.personal.fields == ["email", "phone"]
    assert "new@martin.fr" not in event.model_dump_json()
    assert open_personal(KEY, customer.id, event.personal) == {
        "email": "new@martin.fr",
        "phone": "+33 1 23 45 67 89",
    }
    assert event.clear_changes() == {"payment_terms_days": 45}
    assert customer.version == 2


def test_an_update_of_clear_fields_only_seals_nothing() -> None:
    customer = register("company")
    customer.pull_events()
    customer.update({"payment_terms_days": 15}, now=NOW, seal=SEAL)
    [event] = customer.pull_events()
    assert isinstance(event, CustomerUpdatedV2)
    assert event.personal is None
    assert event.clear_changes() == {"payment_terms_days": 15}


def test_erasure_pseudonymises_and_freezes_the_customer() -> None:
    customer = register("person", 3, display_name="Jeanne Dupont", phone="0601020304")
    customer.pull_events()
    customer.erase(now=NOW)
    assert customer.status == "erased"
    assert "Dupont" not in customer.profile.display_name
    assert customer.profile.phone is None
    assert customer.account_number == "C000003"
    [event] = customer.pull_events()
    assert isinstance(event, CustomerErased)
    with pytest.raises(Conflict):
        customer.update({"email": "back@example.com"}, now=NOW, seal=SEAL)
    with pytest.raises(Conflict):
        customer.erase(now=NOW)
