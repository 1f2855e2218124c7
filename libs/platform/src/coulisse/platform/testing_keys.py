"""A stand-in for the customer service's key route, for the tests of the services that consume
customer events: it seals v2 events as the customer service does and answers
`GET /v1/customers/{id}/personal-data-key` (200, 410 once erased, 503 while `down`).

    keys = KeyService()
    service.runtime.customer_data = keys.customer_events(clock)  # before building consumers
    await deliver(keys.registered(customer_id, "C000042", display_name="Jeanne Dupont", ...))
    keys.erase(customer_id)
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx

from coulisse.contracts.customer import (
    PERSONAL_FIELDS,
    PERSONAL_FIELDS_OF_A_PERSON,
    Address,
    CustomerKind,
    CustomerRegisteredV2,
    CustomerUpdatedV2,
)
from coulisse.platform.clock import Clock
from coulisse.platform.crypto import ALGORITHM, DataKey, b64encode
from coulisse.platform.personal_data import CustomerEvents, PersonalDataKeys, seal_personal

BASE_URL = "http://customer"
_KEY_PATH = re.compile(r"^/v1/customers/([0-9a-f-]{36})/personal-data-key$")


class KeyService:
    """Customers' data keys, as the customer service holds and hands them out."""

    def __init__(self) -> None:
        self.keys: dict[UUID, DataKey] = {}
        self.erased: set[UUID] = set()
        self.down = False
        """While true, every request is answered 503 (an outage of the customer service)."""
        self.requests = 0

    def key_for(self, customer_id: UUID) -> DataKey:
        return self.keys.setdefault(customer_id, DataKey.generate())

    def erase(self, customer_id: UUID) -> None:
        """What the erasure does to the key: it is destroyed."""
        self.keys.pop(customer_id, None)
        self.erased.add(customer_id)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def customer_events(self, clock: Clock, *, attempts: int = 2) -> CustomerEvents:
        """The reader a consumer under test uses, asking this stand-in."""
        return CustomerEvents(
            PersonalDataKeys(
                base_url=BASE_URL,
                token=lambda: "service-token",
                clock=clock,
                attempts=attempts,
                backoff_seconds=0.01,
                transport=self.transport(),
            )
        )

    def registered(
        self,
        customer_id: UUID,
        account_number: str,
        *,
        kind: CustomerKind = "company",
        display_name: str = "Menuiserie Lefèvre SARL",
        email: str = "compta@lefevre.example.fr",
        phone: str | None = None,
        address: Address | None = None,
        country: str = "FR",
        vat_number: str | None = None,
        siren: str | None = None,
        payment_terms_days: int = 30,
    ) -> CustomerRegisteredV2:
        values: dict[str, Any] = {
            "display_name": display_name,
            "email": email,
            "phone": phone,
            "address": address,
            "vat_number": vat_number,
        }
        sealed = _personal_fields(kind)
        return CustomerRegisteredV2(
            customer_id=customer_id,
            account_number=account_number,
            kind=kind,
            country=country,
            vat_number=None if "vat_number" in sealed else vat_number,
            siren=siren,
            payment_terms_days=payment_terms_days,
            personal=seal_personal(
                self.key_for(customer_id), customer_id, {n: values[n] for n in sealed}
            ),
        )

    def updated(
        self,
        customer_id: UUID,
        account_number: str,
        *,
        kind: CustomerKind = "company",
        **changes: Any,
    ) -> CustomerUpdatedV2:
        sealed = [name for name in changes if name in _personal_fields(kind)]
        return CustomerUpdatedV2(
            customer_id=customer_id,
            account_number=account_number,
            changed=list(changes),
            personal=(
                seal_personal(
                    self.key_for(customer_id), customer_id, {n: changes[n] for n in sealed}
                )
                if sealed
                else None
            ),
            **{name: value for name, value in changes.items() if name not in sealed},
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            return httpx.Response(503, json={"title": "Service unavailable"})
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return httpx.Response(401, json={"title": "Unauthorized"})
        match = _KEY_PATH.match(request.url.path)
        if match is None:
            return httpx.Response(404, json={"title": "Not found"})
        customer_id = UUID(match.group(1))
        if customer_id in self.erased:
            return httpx.Response(410, json={"title": "Gone"})
        key = self.keys.get(customer_id)
        if key is None:
            return httpx.Response(404, json={"title": "Not found"})
        return httpx.Response(
            200,
            json={
                "customer_id": str(customer_id),
                "key_id": str(key.key_id),
                "algorithm": ALGORITHM,
                "key": b64encode(key.secret),
            },
        )


def _personal_fields(kind: CustomerKind) -> tuple[str, ...]:
    return PERSONAL_FIELDS_OF_A_PERSON if kind == "person" else PERSONAL_FIELDS
