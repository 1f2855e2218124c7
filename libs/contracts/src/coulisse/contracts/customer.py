"""Events of the customer service, on `customer.events`, keyed by customer id."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from .base import ContractModel, EventPayload
from .money import Instant
from .out_of_band import OutOfBandWrite
from .topics import CUSTOMER_EVENTS

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2, upper case."""

Siren = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
"""French company registration number: nine digits."""

CustomerKind = Literal["person", "company"]
RequestCategory = Literal[
    "billing_question", "refund", "dispute", "payment_arrangement", "address_change", "other"
]
RequestStatus = Literal["open", "in_progress", "waiting_customer", "resolved", "rejected"]

AccountNumber = Annotated[
    str,
    Field(description="The customer's auxiliary account code, e.g. C000042: unique, never reused."),
]


class Address(ContractModel):
    """A postal address, where invoices and dunning letters are sent."""

    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: CountryCode


class CustomerRegistered(EventPayload):
    """A customer now exists, with the auxiliary account their receivables are booked on."""

    TYPE: ClassVar[str] = "customer.customer.registered.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    account_number: AccountNumber
    kind: CustomerKind
    display_name: str
    email: str
    phone: str | None = None
    country: CountryCode
    vat_number: str | None = None
    siren: Siren | None = None
    payment_terms_days: int = Field(ge=0)
    address: Address | None = None


class CustomerUpdated(EventPayload):
    """Some of a customer's details changed: `changed` names them.

    Only the fields named in `changed` are meaningful; a named field that is null was
    cleared. Names unknown to this version may appear in `changed` (from a newer producer):
    consumers skip them.
    """

    TYPE: ClassVar[str] = "customer.customer.updated.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    changed: list[str] = Field(min_length=1)
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: CountryCode | None = None
    vat_number: str | None = None
    siren: Siren | None = None
    payment_terms_days: int | None = Field(default=None, ge=0)
    address: Address | None = None

    def changes(self) -> dict[str, Any]:
        """The new value of every changed field this version knows, by field name."""
        known = type(self).model_fields
        return {name: getattr(self, name) for name in self.changed if name in known}


PERSONAL_FIELDS: tuple[str, ...] = ("display_name", "email", "phone", "address")
"""The fields that are personal data whatever the customer's kind: from `.v2` on they travel
sealed in `personal`, never in clear."""

PERSONAL_FIELDS_OF_A_PERSON: tuple[str, ...] = (*PERSONAL_FIELDS, "vat_number")
"""A natural person's VAT number identifies them too; a company's VAT number and SIREN are
public registry data the books and invoices need, and travel in clear."""

SEALING_ALGORITHM = "AES-256-GCM"
Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


class PersonalData(ContractModel):
    """Personal fields sealed with the customer's data key, which only the customer service
    holds and which erasing the customer destroys.

    Opened, `ciphertext` is a UTF-8 JSON object of the personal fields, with their wire types
    (`address` an object); the associated data is the customer id, as text. A consumer that
    needs them asks the customer service for the key (`GET
    /v1/customers/{id}/personal-data-key`, scope `customers:keys`); a 410 means the customer was
    erased and the fields are gone for good.
    """

    algorithm: Literal["AES-256-GCM"] = Field(
        description="AEAD of the seal; the GCM tag ends the ciphertext."
    )
    key_id: UUID = Field(description="The customer's data key that sealed it.")
    fields: list[str] = Field(
        min_length=1, description="The names of the fields sealed inside (not their values)."
    )
    nonce: Base64 = Field(description="The 12-byte nonce, base64.")
    ciphertext: Base64 = Field(description="The sealed JSON object, base64.")


class CustomerRegisteredV2(EventPayload):
    """A customer now exists, with the auxiliary account their receivables are booked on.

    As `customer.customer.registered.v1`, except that the personal fields (`display_name`,
    `email`, `phone`, `address`, and a person's `vat_number`) are sealed in `personal`.
    """

    TYPE: ClassVar[str] = "customer.customer.registered.v2"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    account_number: AccountNumber
    kind: CustomerKind
    country: CountryCode
    vat_number: str | None = Field(
        default=None, description="A company's VAT number; a person's is sealed in `personal`."
    )
    siren: Siren | None = None
    payment_terms_days: int = Field(ge=0)
    personal: PersonalData


class CustomerUpdatedV2(EventPayload):
    """Some of a customer's details changed: `changed` names them.

    As `customer.customer.updated.v1`, except that the new values of the personal fields named
    in `changed` are sealed in `personal` (`null` when no personal field changed), and the
    account number is given, so that a consumer which can no longer open `personal` (the
    customer was erased) can still name the customer by a pseudonym.
    """

    TYPE: ClassVar[str] = "customer.customer.updated.v2"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    account_number: AccountNumber
    changed: list[str] = Field(min_length=1)
    country: CountryCode | None = None
    vat_number: str | None = None
    siren: Siren | None = None
    payment_terms_days: int | None = Field(default=None, ge=0)
    personal: PersonalData | None = None

    def clear_changes(self) -> dict[str, Any]:
        """The new value of every changed field that travels in clear, by field name."""
        known = set(type(self).model_fields) - {"customer_id", "account_number", "changed"}
        sealed = set(self.personal.fields) if self.personal is not None else set()
        return {
            name: getattr(self, name)
            for name in self.changed
            if name in known and name not in sealed and name != "personal"
        }


class CustomerErased(EventPayload):
    """The customer exercised the right to be forgotten.

    Every service removes their personal data, keeping only what the law requires the books
    to keep (the account number and the amounts).
    """

    TYPE: ClassVar[str] = "customer.customer.erased.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    account_number: AccountNumber


class RequestOpened(EventPayload):
    """A customer asked something, and the service-level clock started."""

    TYPE: ClassVar[str] = "customer.request.opened.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "request_id"

    request_id: UUID
    customer_id: UUID
    category: RequestCategory
    # `subject` is taken by the envelope's subject (the request id): the title keeps its wire
    # name as alias.
    subject_line: str = Field(alias="subject", description="The request's title.")
    invoice_id: UUID | None = None
    opened_at: Instant
    due_at: Instant = Field(description="The service-level deadline for an answer.")


class RequestStatusChanged(EventPayload):
    """A customer request moved to another status; `resolution` says why it closed."""

    TYPE: ClassVar[str] = "customer.request.status_changed.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "request_id"

    request_id: UUID
    customer_id: UUID
    status: RequestStatus
    changed_at: Instant
    resolution: str | None = None


class CustomerOutOfBandWrite(OutOfBandWrite, EventPayload):
    """A row of the customer service's database was changed by a database role other than the service's own.

    Written by a trigger, in the transaction of the change; the fields are those of every
    service's `<service>.database.out_of_band_write.v1`.
    """

    TYPE: ClassVar[str] = "customer.database.out_of_band_write.v1"
    TOPIC: ClassVar[str] = CUSTOMER_EVENTS
