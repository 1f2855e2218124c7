"""SIREN, SIRET, EU VAT numbers and countries; the numbers come from python-stdnum's examples."""

from __future__ import annotations

import pytest

from coulisse.contracts.customer import Address
from coulisse.customer.domain.customers import Profile
from coulisse.customer.domain.identifiers import (
    InvalidIdentifier,
    check_country,
    normalise_siren,
    normalise_siret,
    normalise_vat_number,
)
from coulisse.platform.domain import InvalidInput


def profile(**overrides: object) -> Profile:
    values: dict[str, object] = {
        "display_name": "Menuiserie Lefèvre SARL",
        "email": "compta@lefevre-menuiserie.fr",
        "country": "FR",
    }
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("732829320", "732829320"), ("404833048", "404833048"), ("732 829 320", "732829320")],
)
def test_valid_sirens_are_compacted(typed: str, canonical: str) -> None:
    assert normalise_siren(typed) == canonical


@pytest.mark.parametrize(
    ("siren", "reason"),
    [
        ("732829321", "checksum"),
        ("404833047", "checksum"),
        ("12345678", "length"),
        ("73282932A", "format"),
    ],
)
def test_invalid_sirens_say_why(siren: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=rf"not a valid SIREN \({reason}\)"):
        normalise_siren(siren)


def test_siret() -> None:
    assert normalise_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(InvalidIdentifier, match=r"not a valid SIRET \(checksum\)"):
        normalise_siret("73282932000079")
    with pytest.raises(InvalidIdentifier, match=r"not a valid SIRET \(length\)"):
        normalise_siret("732829320")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("FR44732829320", "FR44732829320"),
        ("fr 61 954 506 077", "FR61954506077"),
        ("FRK7399859412", "FRK7399859412"),
        ("DE 136,695 976", "DE136695976"),
        ("IT 00743110157", "IT00743110157"),
        ("ES B-58378431", "ESB58378431"),
        ("BE 428759497", "BE0428759497"),
        ("NL004495445B01", "NL004495445B01"),
        ("EL 094259216", "EL094259216"),
        ("GR094259216", "EL094259216"),
        ("ATU 57194903", "ATU57194903"),
        ("XI 980 7806 84", "XI980780684"),
    ],
)
def test_eu_vat_numbers_are_compacted(typed: str, canonical: str) -> None:
    assert normalise_vat_number(typed) == canonical


@pytest.mark.parametrize(
    "wrong_check_digit",
    [
        "FR45732829320",
        "DE136695978",
        "IT00743110158",
        "ESB64717839",
        "BE0431150351",
        "NL123456789B90",
        "EL123456781",
    ],
)
def test_vat_numbers_with_a_wrong_check_digit_are_refused(wrong_check_digit: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"not a valid EU VAT number \(checksum\)"):
        normalise_vat_number(wrong_check_digit)


def test_vat_number_of_the_wrong_length() -> None:
    with pytest.raises(InvalidIdentifier, match=r"not a valid EU VAT number \(length\)"):
        normalise_vat_number("DE13669597")


@pytest.mark.parametrize(
    "outside_the_eu",
    [
        "GB980780684",  # valid in the UK, but Great Britain has left the EU VAT area
        "CHE116281710",
        "US123456789",
        "EU372022452",  # a one-stop-shop registration, not a member state's number
    ],
)
def test_non_eu_prefixes_are_refused(outside_the_eu: str) -> None:
    with pytest.raises(InvalidIdentifier, match="is not an EU member state"):
        normalise_vat_number(outside_the_eu)


def test_countries_are_iso_alpha_2_in_capitals() -> None:
    check_country("FR")
    check_country("GR")
    with pytest.raises(InvalidIdentifier, match=r"not an ISO 3166-1 alpha-2 country code$"):
        check_country("XX")
    with pytest.raises(InvalidIdentifier, match="write it in capitals"):
        check_country("fr")
    with pytest.raises(InvalidIdentifier):
        check_country("FRA")


def test_the_profile_stores_canonical_identifiers() -> None:
    company = profile(siren="732 829 320", vat_number="fr 44 732 829 320")
    company.check()
    assert company.siren == "732829320"
    assert company.vat_number == "FR44732829320"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"country": "XX"}, "country", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ({"country": "fr"}, "country", "write it in capitals"),
        (
            {"address": Address(line1="1 rue X", postal_code="1", city="Y", country="XX")},
            "address.country",
            "'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        ({"siren": "732829321"}, "siren", "'732829321' is not a valid SIREN (checksum)"),
        ({"vat_number": "DE136695978"}, "vat_number", "not a valid EU VAT number (checksum)"),
        ({"vat_number": "GB980780684"}, "vat_number", "prefix 'GB' is not an EU member state"),
        (
            {"vat_number": "FR44732829320", "siren": "404833048"},
            "vat_number",
            "is built on SIREN 732829320, not 404833048",
        ),
    ],
)
def test_invalid_identifiers_are_invalid_input_naming_the_field(
    overrides: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        profile(**overrides).check()
    assert error.value.field == field
    assert message in error.value.detail


def test_monaco_vat_numbers_have_no_siren_to_match() -> None:
    # Monaco companies get FR numbers with 000 where the SIREN would be; key 53 computed
    monaco = profile(vat_number="FR53000004605", siren="732829320")
    monaco.check()
    assert monaco.vat_number == "FR53000004605"
