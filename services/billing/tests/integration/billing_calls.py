"""Calls of the billing API shared by the integration tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from coulisse.platform import testing

AGENT = testing.auth_headers(["billing:read", "billing:write"], sub="agent-7")


def two_lines() -> list[dict[str, Any]]:
    return [
        {
            "description": "Pose de parquet",
            "quantity": "2",
            "unit_price": "120.00",
            "vat_rate": "20.0",
            "revenue_account": "706100",
        },
        {"description": "Livres", "quantity": "3", "unit_price": "10.15", "vat_rate": "5.5"},
    ]


async def create_invoice(
    client: httpx.AsyncClient, customer_id: UUID, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"customer_id": str(customer_id), "lines": two_lines()}
    body.update(overrides)
    response = await client.post("/v1/invoices", json=body, headers=AGENT)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def pay(
    client: httpx.AsyncClient, customer_id: UUID, amount: str, ref: str, /, **overrides: Any
) -> httpx.Response:
    body: dict[str, Any] = {
        "customer_id": str(customer_id),
        "amount": amount,
        "currency": "EUR",
        "method": "transfer",
        "received_on": "2026-11-02",
        "external_ref": ref,
    }
    body.update(overrides)
    return await client.post("/v1/payments", json=body, headers=AGENT)


async def balance(client: httpx.AsyncClient, customer_id: UUID) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}/balance", headers=AGENT)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    return [error["field"] for error in problem.get("errors", [])]
