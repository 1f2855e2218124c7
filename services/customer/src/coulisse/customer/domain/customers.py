"""The customer aggregate: who we sell to, and the right to be forgotten."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID, uuid4

from coulisse.contracts.customer import (
    PERSONAL_FIELDS,
    PERSONAL_FIELDS_OF_A_PERSON,
    Address,
    CustomerErased,
    CustomerRegisteredV2,
    CustomerUpdatedV2,
    PersonalData,
)
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .identifiers import (
    InvalidIdentifier,
    check_country,
    normalise_siren,
    normalise_vat_number,
    siren_of_french_vat_number,
)

CustomerKind = Literal["person", "company"]
CustomerStatus = Literal["active", "erased"]

UPDATABLE_FIELDS = (
    "display_name",
    "email",
    "phone",
    "country",
    "vat_number",
    "siren",
    "payment_terms_days",
    "address",
)
MAX_PAYMENT_TERMS_DAYS = 60  # French law (LME) caps payment terms at 60 days from the invoice date


def format_account_number(sequence: int) -> str:
    """The customer's auxiliary account code: C000042. Never reused, even after erasure."""
    return f"C{sequence:06d}"


class Sealer(Protocol):
    """Seals a customer's personal fields with the customer's data key (the caller holds it)."""

    def __call__(self, customer_id: UUID, fields: dict[str, Any]) -> PersonalData: ...


def personal_fields(kind: CustomerKind) -> tuple[str, ...]:
    """The fields that leave the service only sealed: a person's VAT number identifies them, a
    company's is public registry data the books need."""
    return PERSONAL_FIELDS_OF_A_PERSON if kind == "person" else PERSONAL_FIELDS


@contextmanager
def _field(name: str) -> Iterator[None]:
    """Turns an invalid identifier into a 422 naming the field."""
    try:
        yield
    except InvalidIdentifier as error:
        raise InvalidInput(str(error), field=name) from error


@dataclass
class Profile:
    """The editable facts about a customer."""

    display_name: str
    email: str
    country: str
    phone: str | None = None
    vat_number: str | None = None
    siren: str | None = None
    payment_terms_days: int = 30
    address: Address | None = None

    def check(self) -> None:
        """Refuses invalid values and puts the SIREN and VAT number in canonical form, in place."""
        with _field("country"):
            check_country(self.country)
        if self.address is not None:
            with _field("address.country"):
                check_country(self.address.country)
        if self.siren is not None:
            with _field("siren"):
                self.siren = normalise_siren(self.siren)
        if self.vat_number is not None:
            with _field("vat_number"):
                self.vat_number = normalise_vat_number(self.vat_number)
            embedded = siren_of_french_vat_number(self.vat_number)
            if self.siren is not None and embedded is not None and embedded != self.siren:
                raise InvalidInput(
                    f"the VAT number {self.vat_number} is built on SIREN {embedded}, "
                    f"not {self.siren}",
                    field="vat_number",
                )
        if not 0 <= self.payment_terms_days <= MAX_PAYMENT_TERMS_DAYS:
            raise InvalidInput(
                f"payment terms must be between 0 and {MAX_PAYMENT_TERMS_DAYS} days",
                field="payment_terms_days",
            )


@dataclass
class Customer(Aggregate):
    id: UUID
    account_number: str
    kind: CustomerKind
    profile: Profile
    created_at: datetime
    updated_at: datetime
    status: CustomerStatus = "active"
    erased_at: datetime | None = None
    version: int = 1

    @classmethod
    def register(
        cls,
        *,
        account_sequence: int,
        kind: CustomerKind,
        profile: Profile,
        now: datetime,
        seal: Sealer,
    ) -> Customer:
        profile.check()
        if kind == "person" and profile.siren is not None:
            raise InvalidInput("a person has no SIREN; register a company instead", field="siren")
        customer = cls(
            id=uuid4(),
            account_number=format_account_number(account_sequence),
            kind=kind,
            profile=profile,
            created_at=now,
            updated_at=now,
        )
        sealed = personal_fields(kind)
        clear = {name: getattr(profile, name) for name in ("vat_number",) if name not in sealed}
        customer.record(
            CustomerRegisteredV2(
                customer_id=customer.id,
                account_number=customer.account_number,
                kind=kind,
                country=profile.country,
                siren=profile.siren,
                payment_terms_days=profile.payment_terms_days,
                personal=seal(customer.id, {name: getattr(profile, name) for name in sealed}),
                **clear,
            )
        )
        return customer

    def update(self, changes: dict[str, Any], *, now: datetime, seal: Sealer) -> list[str]:
        """Applies the given fields; returns the names of those that really changed."""
        self._ensure_active()
        unknown = set(changes) - set(UPDATABLE_FIELDS)
        if unknown:
            raise InvalidInput(
                f"cannot update {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
            )
        if self.kind == "person" and changes.get("siren") is not None:
            raise InvalidInput("a person has no SIREN", field="siren")
        candidate = replace(self.profile, **changes)
        candidate.check()
        changed = [
            name
            for name in UPDATABLE_FIELDS
            if getattr(candidate, name) != getattr(self.profile, name)
        ]
        if not changed:
            return []
        self.profile = candidate
        self._touch(now)
        sealed = [name for name in changed if name in personal_fields(self.kind)]
        self.record(
            CustomerUpdatedV2(
                customer_id=self.id,
                account_number=self.account_number,
                changed=changed,
                personal=(
                    seal(self.id, {name: getattr(candidate, name) for name in sealed})
                    if sealed
                    else None
                ),
                **{name: getattr(candidate, name) for name in changed if name not in sealed},
            )
        )
        return changed

    def erase(self, *, now: datetime) -> None:
        """GDPR erasure: personal data is pseudonymised here; the books keep what the law requires."""
        if self.status == "erased":
            raise Conflict("this customer has already been erased")
        self.profile = Profile(
            display_name=f"Erased customer {self.account_number}",
            email=f"erased-{self.id}@invalid.example",
            country=self.profile.country,
            payment_terms_days=self.profile.payment_terms_days,
            # A company's legal identifiers are not personal data and the books need them.
            siren=self.profile.siren if self.kind == "company" else None,
            vat_number=self.profile.vat_number if self.kind == "company" else None,
        )
        self.status = "erased"
        self.erased_at = now
        self._touch(now)
        self.record(CustomerErased(customer_id=self.id, account_number=self.account_number))

    def _ensure_active(self) -> None:
        if self.status == "erased":
            raise Conflict("this customer has been erased; their data can no longer change")

    def _touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1
