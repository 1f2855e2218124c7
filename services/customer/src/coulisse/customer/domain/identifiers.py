"""Identifiers a French back office checks: SIREN, SIRET, EU VAT numbers, ISO 3166 countries.

python-stdnum knows the formats and check digits, pycountry the ISO 3166-1 list. Each
function takes a value as typed and returns the canonical form that is stored and published,
or raises InvalidIdentifier saying what is wrong:

- SIREN, SIRET: spaces and dots are dropped, "732 829 320" -> "732829320".
- VAT numbers: separators are dropped and letters upper-cased, "fr 44 732 829 320" ->
  "FR44732829320". Only the prefixes of EU member states and XI (Northern Ireland) are
  accepted; Greece is EL, and GR is read as EL.
- Countries: ISO 3166-1 alpha-2 in capitals, as the events carry them; "fr" is refused, not
  guessed.
"""

from __future__ import annotations

from collections.abc import Callable

import pycountry
from stdnum import exceptions
from stdnum.eu import vat
from stdnum.fr import siren, siret

COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)

# stdnum also reads the one-stop-shop prefixes EU and IM: those identify a seller's OSS
# registration, not a VAT number a customer can be invoiced under, so only states are kept.
VAT_PREFIXES = frozenset(state.upper() for state in vat.MEMBER_STATES) | {"EL"}

_REASONS: tuple[tuple[type[exceptions.ValidationError], str], ...] = (
    (exceptions.InvalidChecksum, "checksum"),
    (exceptions.InvalidLength, "length"),
    (exceptions.InvalidFormat, "format"),
)


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier; the message says why."""


def _validated(validate: Callable[[str], str], value: str, name: str) -> str:
    try:
        return validate(value)
    except exceptions.ValidationError as error:
        reason = next((word for kind, word in _REASONS if isinstance(error, kind)), "invalid part")
        raise InvalidIdentifier(f"{value!r} is not a valid {name} ({reason})") from error


def normalise_siren(value: str) -> str:
    return _validated(siren.validate, value, "SIREN")


def normalise_siret(value: str) -> str:
    return _validated(siret.validate, value, "SIRET")


def normalise_vat_number(value: str) -> str:
    prefix = value.strip()[:2].upper()
    if prefix not in VAT_PREFIXES:
        raise InvalidIdentifier(
            f"{value!r} is not a valid EU VAT number (prefix {prefix!r} is not an EU member state)"
        )
    number = _validated(vat.validate, value, "EU VAT number")
    # VIES and invoices use EL for Greece, the ISO code GR is not a VAT prefix
    return "EL" + number[2:] if prefix == "GR" else number


def siren_of_french_vat_number(vat_number: str) -> str | None:
    """The SIREN a normalised FR VAT number is built on; None for other countries and Monaco."""
    if not vat_number.startswith("FR") or vat_number[4:7] == "000":
        return None
    return vat_number[4:]


def check_country(code: str) -> None:
    if code in COUNTRIES:
        return
    if code.upper() in COUNTRIES:
        raise InvalidIdentifier(
            f"{code!r} is not an ISO 3166-1 alpha-2 country code; write it in capitals"
        )
    raise InvalidIdentifier(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
