"""HTTP request and response bodies of the customer API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import EmailStr, Field, StringConstraints

from coulisse.contracts.customer import Address
from coulisse.platform.api import RequestModel, ResponseModel, Whole
from coulisse.platform.domain import InvalidInput

from ..domain.customers import Customer, CustomerKind, CustomerStatus, Profile
from ..domain.requests import CustomerRequest, RequestCategory, RequestChannel, RequestStatus

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,25}$")]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 code in capitals, e.g. FR."),
]
# Only the shape is checked here; the domain checks the digits and stores the canonical form.
Siren = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9 .]{9,20}$"),
    Field(
        description="French SIREN, 9 digits with a check digit. Spaces and dots are dropped: "
        "'732 829 320' is stored as '732829320'."
    ),
]
VatNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}[0-9A-Za-z .,/-]{2,25}$"),
    Field(
        description="VAT number of an EU member state or of Northern Ireland (XI), prefix "
        "included, with a valid check digit. Separators are dropped and letters upper-cased: "
        "'fr 44 732 829 320' is stored as 'FR44732829320'; Greece is EL (GR is read as EL)."
    ),
]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
PaymentTerms = Annotated[int, Whole(ge=0, le=60)]


class AddressIn(RequestModel):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    country: CountryCode

    def to_contract(self) -> Address:
        return Address.model_validate(self.model_dump())


class CustomerCreate(RequestModel):
    kind: CustomerKind
    display_name: Name
    email: EmailStr
    phone: Phone | None = None
    country: CountryCode
    vat_number: VatNumber | None = None
    siren: Siren | None = None
    payment_terms_days: PaymentTerms = 30
    address: AddressIn | None = None

    def to_profile(self) -> Profile:
        return Profile(
            display_name=self.display_name,
            email=str(self.email),
            phone=self.phone,
            country=self.country,
            vat_number=self.vat_number,
            siren=self.siren,
            payment_terms_days=self.payment_terms_days,
            address=self.address.to_contract() if self.address else None,
        )


class CustomerPatch(RequestModel):
    display_name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    country: CountryCode | None = None
    vat_number: VatNumber | None = None
    siren: Siren | None = None
    payment_terms_days: PaymentTerms | None = None
    address: AddressIn | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent; `null` clears an optional field."""
        changes: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None and name in {"display_name", "email", "country", "payment_terms_days"}:
                raise InvalidInput(
                    f"{name} is required and cannot be cleared", field=f"body.{name}"
                )
            if isinstance(value, AddressIn):
                value = value.to_contract()
            changes[name] = str(value) if name == "email" and value is not None else value
        return changes


class CustomerRead(ResponseModel):
    id: UUID
    customer_id: UUID
    account_number: str
    kind: CustomerKind
    status: CustomerStatus
    display_name: str
    email: str
    phone: str | None
    country: str
    vat_number: str | None
    siren: str | None
    payment_terms_days: int
    address: Address | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None

    @classmethod
    def of(cls, customer: Customer) -> CustomerRead:
        profile = customer.profile
        return cls(
            id=customer.id,
            customer_id=customer.id,
            account_number=customer.account_number,
            kind=customer.kind,
            status=customer.status,
            display_name=profile.display_name,
            email=profile.email,
            phone=profile.phone,
            country=profile.country,
            vat_number=profile.vat_number,
            siren=profile.siren,
            payment_terms_days=profile.payment_terms_days,
            address=profile.address,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            erased_at=customer.erased_at,
        )


class ErasureAccepted(ResponseModel):
    customer_id: UUID
    account_number: str
    status: CustomerStatus
    erased_at: datetime | None


class RequestCreate(RequestModel):
    category: RequestCategory
    subject: Subject
    description: LongText | None = None
    invoice_id: UUID | None = None
    channel: RequestChannel | None = None


class RequestPatch(RequestModel):
    status: RequestStatus
    resolution: LongText | None = None


class RequestRead(ResponseModel):
    id: UUID
    request_id: UUID
    customer_id: UUID
    category: RequestCategory
    subject: str
    description: str | None
    invoice_id: UUID | None
    channel: RequestChannel | None
    status: RequestStatus
    resolution: str | None
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None
    overdue: bool

    @classmethod
    def of(cls, request: CustomerRequest, now: datetime) -> RequestRead:
        return cls(
            id=request.id,
            request_id=request.id,
            customer_id=request.customer_id,
            category=request.category,
            subject=request.subject,
            description=request.description,
            invoice_id=request.invoice_id,
            channel=request.channel,
            status=request.status,
            resolution=request.resolution,
            opened_at=request.opened_at,
            due_at=request.due_at,
            closed_at=request.closed_at,
            overdue=request.is_overdue(now),
        )
