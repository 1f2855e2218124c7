"""Rows of the customer service's tables, to and from its aggregates."""

from __future__ import annotations

from typing import Any

from coulisse.contracts.customer import Address
from coulisse.platform.repository import aware

from ..domain.customers import Customer, Profile
from ..domain.requests import CustomerRequest


def customer_values(customer: Customer) -> dict[str, Any]:
    profile = customer.profile
    return {
        "account_number": customer.account_number,
        "kind": customer.kind,
        "status": customer.status,
        "display_name": profile.display_name,
        "email": profile.email,
        "phone": profile.phone,
        "country": profile.country,
        "vat_number": profile.vat_number,
        "siren": profile.siren,
        "payment_terms_days": profile.payment_terms_days,
        "address": profile.address.model_dump(mode="json") if profile.address else None,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "erased_at": customer.erased_at,
        "version": customer.version,
    }


def customer_from_row(row: Any) -> Customer:
    return Customer(
        id=row["id"],
        account_number=row["account_number"],
        kind=row["kind"],
        status=row["status"],
        profile=Profile(
            display_name=row["display_name"],
            email=row["email"],
            phone=row["phone"],
            country=row["country"],
            vat_number=row["vat_number"],
            siren=row["siren"],
            payment_terms_days=row["payment_terms_days"],
            address=Address.model_validate(row["address"]) if row["address"] else None,
        ),
        created_at=aware(row["created_at"]),
        updated_at=aware(row["updated_at"]),
        erased_at=aware(row["erased_at"]),
        version=row["version"],
    )


def request_values(request: CustomerRequest) -> dict[str, Any]:
    return {
        "customer_id": request.customer_id,
        "category": request.category,
        "subject": request.subject,
        "description": request.description,
        "invoice_id": request.invoice_id,
        "channel": request.channel,
        "status": request.status,
        "resolution": request.resolution,
        "opened_at": request.opened_at,
        "due_at": request.due_at,
        "closed_at": request.closed_at,
        "updated_at": request.updated_at,
        "version": request.version,
    }


def request_from_row(row: Any) -> CustomerRequest:
    return CustomerRequest(
        id=row["id"],
        customer_id=row["customer_id"],
        category=row["category"],
        subject=row["subject"],
        description=row["description"],
        invoice_id=row["invoice_id"],
        channel=row["channel"],
        status=row["status"],
        resolution=row["resolution"],
        opened_at=aware(row["opened_at"]),
        due_at=aware(row["due_at"]),
        closed_at=aware(row["closed_at"]),
        updated_at=aware(row["updated_at"]),
        version=row["version"],
    )
