"""Events of the customer service, on `customer.events`, keyed by customer id."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from .base import ContractModel, EventPayload
from .money import Instant
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
