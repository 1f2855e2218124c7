"""Customer events v2 carry no personal field in clear; v1 stays readable as it was published."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from coulisse.contracts import parse_data
from coulisse.contracts.customer import (
    PERSONAL_FIELDS,
    PERSONAL_FIELDS_OF_A_PERSON,
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
)

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
CUSTOMER = str(uuid4())
SEALED: dict[str, Any] = {
    "algorithm": "AES-256-GCM",
    "key_id": str(uuid4()),
    "fields": ["email", "vat_number"],
    "nonce": "q83vEjRWeJCrze8S",
    "ciphertext": "3q2+7wAAAAAAAAAAAAAAAA==",
}


def schema(event_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{event_type}.json").read_text())
    return loaded


def test_a_v1_registration_published_before_v2_still_parses_with_its_fields_in_clear() -> None:
    old = {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "kind": "person",
        "display_name": "Jeanne Dupont",
        "email": "jeanne@example.fr",
        "country": "FR",
        "payment_terms_days": 30,
    }
    registered = parse_data("customer.customer.registered.v1", old)
    assert isinstance(registered, CustomerRegistered)
    assert registered.display_name == "Jeanne Dupont"
    updated = parse_data(
        "customer.customer.updated.v1",
        {"customer_id": CUSTOMER, "changed": ["email"], "email": "j@example.fr"},
    )
    assert isinstance(updated, CustomerUpdated)
    assert updated.changes() == {"email": "j@example.fr"}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_snapshots_of_both_versions_are_published(version: str) -> None:
    for fact in ("registered", "updated"):
        assert (SCHEMAS / f"customer.customer.{fact}.{version}.json").is_file()


@pytest.mark.parametrize("fact", ["registered", "updated"])
def test_v2_carries_no_personal_field_in_clear(fact: str) -> None:
    v1, v2 = schema(f"customer.customer.{fact}.v1"), schema(f"customer.customer.{fact}.v2")
    assert set(PERSONAL_FIELDS) <= set(v1["properties"])
    assert set(PERSONAL_FIELDS) & set(v2["properties"]) == set()
    assert "personal" in v2["properties"]
    sealed = v2["$defs"]["PersonalData"]
    assert sealed["properties"]["algorithm"]["const"] == "AES-256-GCM"
    assert set(sealed["required"]) == {"algorithm", "key_id", "fields", "nonce", "ciphertext"}


def test_a_v2_registration_needs_its_sealed_fields() -> None:
    clear = {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "kind": "person",
        "country": "FR",
        "payment_terms_days": 30,
    }
    with pytest.raises(ValidationError):
        CustomerRegisteredV2.model_validate(clear)
    with pytest.raises(ValidationError):
        CustomerRegisteredV2.model_validate(
            {**clear, "personal": {**SEALED, "algorithm": "AES-128-CBC"}}
        )
    with pytest.raises(ValidationError):
        CustomerRegisteredV2.model_validate(
            {**clear, "personal": {**SEALED, "ciphertext": "not base64!"}}
        )
    assert CustomerRegisteredV2.model_validate({**clear, "personal": SEALED}).personal.fields


def test_an_update_names_sealed_fields_without_their_values() -> None:
    updated = CustomerUpdatedV2.model_validate(
        {
            "customer_id": CUSTOMER,
            "account_number": "C000042",
            "changed": ["email", "vat_number", "payment_terms_days", "iban"],
            "payment_terms_days": 45,
            "personal": SEALED,
        }
    )
    # vat_number is sealed (a person's): its clear `null` does not mean it was cleared.
    assert updated.clear_changes() == {"payment_terms_days": 45}


def test_a_persons_vat_number_is_personal_data_and_a_companys_is_not() -> None:
    assert "vat_number" in PERSONAL_FIELDS_OF_A_PERSON
    assert "vat_number" not in PERSONAL_FIELDS
    assert "siren" not in PERSONAL_FIELDS_OF_A_PERSON
