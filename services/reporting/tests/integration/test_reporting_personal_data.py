"""Sealed `.v2` customer events read by the real Kafka consumer: the profile shows the opened
fields, and a pseudonym once the customer is erased."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from reporting_harness import READER, Reporting, account_of, invoice, running_reporting, serving

from coulisse.contracts.customer import CustomerErased, CustomerRegisteredV2
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.crypto import DataKey, b64encode
from coulisse.platform.personal_data import seal_personal
from coulisse.reporting.entrypoints.consumers import TOPICS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def key_service(keys: dict[UUID, DataKey], erased: set[UUID]) -> FastAPI:
    """The customer service's key route, as far as consumers see it."""
    app = FastAPI()

    @app.get("/v1/customers/{customer_id}/personal-data-key")
    async def key(customer_id: UUID) -> JSONResponse:
        if customer_id in erased:
            return JSONResponse({"title": "Gone"}, status_code=410)
        found = keys[customer_id]
        return JSONResponse(
            {
                "algorithm": "AES-256-GCM",
                "customer_id": str(customer_id),
                "key_id": str(found.key_id),
                "key": b64encode(found.secret),
            }
        )

    return app


async def test_sealed_registrations_are_opened_and_forgotten_on_erasure(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> None:
    customer_id, key = uuid4(), DataKey.generate()
    keys, erased = {customer_id: key}, set[UUID]()
    group = f"reporting-test-{uuid4().hex[:8]}"
    await testing.start_group_at_end(kafka_bootstrap, group, TOPICS)
    url = await make_database("reporting_personal")
    async with (
        serving(key_service(keys, erased)) as key_url,
        running_reporting(
            url,
            kafka_bootstrap=kafka_bootstrap,
            roles="api,consumers",
            env={"COULISSE_CONSUMER_GROUP": group, "COULISSE_CUSTOMER_URL": key_url},
        ) as reporting,
    ):
        registered = CustomerRegisteredV2(
            customer_id=customer_id,
            account_number=account_of(customer_id),
            kind="person",
            country="FR",
            payment_terms_days=15,
            personal=seal_personal(
                key,
                customer_id,
                {
                    "display_name": "Jeanne Martin",
                    "email": "jeanne@example.fr",
                    "phone": None,
                    "address": None,
                    "vat_number": None,
                },
            ),
        )
        await testing.publish(
            kafka_bootstrap,
            [testing.envelope(registered), testing.envelope(invoice(customer_id, "90.00"))],
        )

        async def shown(name: str) -> bool:
            response = await reporting_view(reporting, customer_id)
            return response is not None and (response["profile"] or {}).get("display_name") == name

        await testing.eventually(lambda: shown("Jeanne Martin"), what="the opened registration")
        view = await reporting.view(customer_id)
        assert view["profile"]["email"] == "jeanne@example.fr"
        assert view["balance"]["balance"] == "90.00"

        erased.add(customer_id)
        await testing.publish(
            kafka_bootstrap,
            [
                testing.envelope(
                    CustomerErased(customer_id=customer_id, account_number=account_of(customer_id))
                )
            ],
        )
        await testing.eventually(
            lambda: shown(f"Erased customer {account_of(customer_id)}"), what="the erasure"
        )
        view = await reporting.view(customer_id)
        assert view["erased"] is True and view["profile"]["email"] is None
        assert view["balance"]["balance"] == "90.00"  # the amounts stay


async def reporting_view(reporting: Reporting, customer_id: UUID) -> dict[str, Any] | None:
    response = await reporting.client.get(f"/v1/customers/{customer_id}/360", headers=READER)
    return response.json() if response.status_code == 200 else None
