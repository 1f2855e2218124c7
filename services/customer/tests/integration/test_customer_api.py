"""The customer API on PostgreSQL: the contract of api.md, idempotency, errors that change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from coulisse.platform import testing

pytestmark = pytest.mark.integration

WRITE = testing.auth_headers(["customers:read", "customers:write"], sub="agent-42")

COMPANY = {
    "kind": "company",
    "display_name": "Menuiserie Lefèvre SARL",
    "email": "compta@lefevre-menuiserie.fr",
    "phone": "+33 2 40 12 34 56",
    "country": "FR",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "payment_terms_days": 45,
    "address": {
        "line1": "12 rue des Tanneurs",
        "postal_code": "44000",
        "city": "Nantes",
        "country": "FR",
    },
}


async def register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "person",
        "display_name": "Jeanne Dupont",
        "email": "jeanne@example.fr",
        "country": "FR",
    }
    body.update(overrides)
    response = await client.post("/v1/customers", json=body, headers=WRITE)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def count_customers(client: httpx.AsyncClient) -> int:
    response = await client.get("/v1/customers", params={"limit": 500}, headers=WRITE)
    return len(response.json()["items"])


async def test_register_read_update_and_search(customer_api: httpx.AsyncClient) -> None:
    created = await register(customer_api, **COMPANY)
    assert created["account_number"] == "C000001"
    assert created["id"] == created["customer_id"]
    assert created["payment_terms_days"] == 45
    second = await register(customer_api)
    assert second["account_number"] == "C000002"

    read = await customer_api.get(f"/v1/customers/{created['id']}", headers=WRITE)
    assert read.json()["display_name"] == "Menuiserie Lefèvre SARL"

    patched = await customer_api.patch(
        f"/v1/customers/{created['id']}",
        json={"email": "factures@lefevre-menuiserie.fr"},
        headers=WRITE,
    )
    assert patched.status_code == 200
    assert patched.json()["email"] == "factures@lefevre-menuiserie.fr"

    for query, expected in [("lefèvre", 1), ("C000002", 1), ("example.fr", 1), ("nobody", 0)]:
        found = await customer_api.get("/v1/customers", params={"q": query}, headers=WRITE)
        assert len(found.json()["items"]) == expected, query


async def test_pagination_walks_every_customer_once(customer_api: httpx.AsyncClient) -> None:
    for i in range(7):
        await register(customer_api, email=f"p{i}@example.fr")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await customer_api.get("/v1/customers", params=params, headers=WRITE)).json()
        seen.extend(item["account_number"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"C{n:06d}" for n in range(1, 8)]


async def test_idempotency_key_replays_once_and_refuses_a_different_body(
    customer_api: httpx.AsyncClient,
) -> None:
    headers = {**WRITE, "Idempotency-Key": "front-42"}
    body = {
        "kind": "person",
        "display_name": "Paul Martin",
        "email": "paul@example.fr",
        "country": "FR",
    }
    first = await customer_api.post("/v1/customers", json=body, headers=headers)
    again = await customer_api.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = await customer_api.post(
        "/v1/customers", json={**body, "display_name": "Autre"}, headers=headers
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert await count_customers(customer_api) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "kind": "person",
                "display_name": "A",
                "email": "a@example.fr",
                "country": "FR",
                "nickname": "x",
            },
            "body.nickname",
        ),
        (
            {"kind": "alien", "display_name": "A", "email": "a@example.fr", "country": "FR"},
            "body.kind",
        ),
        (
            {"kind": "person", "display_name": "A", "email": "not-an-email", "country": "FR"},
            "body.email",
        ),
        (
            {"kind": "person", "display_name": "A", "email": "a@example.fr", "country": "France"},
            "body.country",
        ),
        (
            {"kind": "person", "display_name": "A" * 201, "email": "a@example.fr", "country": "FR"},
            "body.display_name",
        ),
        (
            {
                "kind": "person",
                "display_name": "A",
                "email": "a@example.fr",
                "country": "FR",
                "payment_terms_days": "30",
            },
            "body.payment_terms_days",
        ),
        (
            {"kind": "person", "display_name": "A", "email": "a@example.fr", "country": "XX"},
            "country",
        ),
        (
            {
                "kind": "company",
                "display_name": "A",
                "email": "a@example.fr",
                "country": "FR",
                "siren": "123456789",
            },
            "siren",
        ),
        ({"kind": "person", "display_name": "A", "email": "a@example.fr"}, "body.country"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
    customer_api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await customer_api.post("/v1/customers", json=body, headers=WRITE)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert field in [error["field"] for error in problem["errors"]]
    assert await count_customers(customer_api) == 0


async def test_malformed_json_and_oversized_bodies(customer_api: httpx.AsyncClient) -> None:
    malformed = await customer_api.post(
        "/v1/customers",
        content=b'{"kind": "person",',
        headers={**WRITE, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["title"] == "Malformed request body"
    huge = await customer_api.post(
        "/v1/customers",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={**WRITE, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    bad_id = await customer_api.get("/v1/customers/not-a-uuid", headers=WRITE)
    assert bad_id.status_code == 422
    unknown = await customer_api.get(
        "/v1/customers/00000000-0000-0000-0000-000000000000", headers=WRITE
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    bad_cursor = await customer_api.get("/v1/customers", params={"cursor": "!!!"}, headers=WRITE)
    assert bad_cursor.status_code == 422
    too_many = await customer_api.get("/v1/customers", params={"limit": 501}, headers=WRITE)
    assert too_many.status_code == 422
    assert await count_customers(customer_api) == 0


async def test_request_lifecycle_and_invalid_transitions(customer_api: httpx.AsyncClient) -> None:
    customer = await register(customer_api)
    opened = await customer_api.post(
        f"/v1/customers/{customer['id']}/requests",
        json={"category": "refund", "subject": "Trop-perçu", "channel": "phone"},
        headers=WRITE,
    )
    assert opened.status_code == 201, opened.text
    request = opened.json()
    assert request["status"] == "open" and request["due_at"] > request["opened_at"]

    moved = await customer_api.patch(
        f"/v1/requests/{request['id']}", json={"status": "in_progress"}, headers=WRITE
    )
    assert moved.status_code == 200
    missing_resolution = await customer_api.patch(
        f"/v1/requests/{request['id']}", json={"status": "resolved"}, headers=WRITE
    )
    assert missing_resolution.status_code == 422
    resolved = await customer_api.patch(
        f"/v1/requests/{request['id']}",
        json={"status": "resolved", "resolution": "Remboursé"},
        headers=WRITE,
    )
    assert resolved.status_code == 200
    invalid = await customer_api.patch(
        f"/v1/requests/{request['id']}", json={"status": "in_progress"}, headers=WRITE
    )
    assert invalid.status_code == 409
    assert invalid.json()["errors"][0]["field"] == "status"
    still = await customer_api.get(f"/v1/requests/{request['id']}", headers=WRITE)
    assert still.json()["status"] == "resolved"

    listed = await customer_api.get(
        "/v1/requests", params={"customer_id": customer["id"], "status": "resolved"}, headers=WRITE
    )
    assert [r["id"] for r in listed.json()["items"]] == [request["id"]]
    unknown_category = await customer_api.post(
        f"/v1/customers/{customer['id']}/requests",
        json={"category": "complaint", "subject": "x"},
        headers=WRITE,
    )
    assert unknown_category.status_code == 422


async def test_erasure_pseudonymises_and_blocks_further_changes(
    customer_api: httpx.AsyncClient,
) -> None:
    customer = await register(customer_api, display_name="Jeanne Dupont", phone="0601020304")
    await customer_api.post(
        f"/v1/customers/{customer['id']}/requests",
        json={"category": "other", "subject": "Question", "description": "Mon adresse est 3 rue X"},
        headers=WRITE,
    )
    erased = await customer_api.post(f"/v1/customers/{customer['id']}/erasure", headers=WRITE)
    assert erased.status_code == 202
    read = (await customer_api.get(f"/v1/customers/{customer['id']}", headers=WRITE)).json()
    assert read["status"] == "erased"
    assert "Dupont" not in read["display_name"] and read["phone"] is None
    assert read["account_number"] == customer["account_number"]
    requests = (
        await customer_api.get(
            "/v1/requests", params={"customer_id": customer["id"]}, headers=WRITE
        )
    ).json()
    assert requests["items"][0]["description"] is None
    again = await customer_api.post(f"/v1/customers/{customer['id']}/erasure", headers=WRITE)
    assert again.status_code == 409
    patch = await customer_api.patch(
        f"/v1/customers/{customer['id']}", json={"email": "x@example.fr"}, headers=WRITE
    )
    assert patch.status_code == 409
    # The number is never reused.
    assert (await register(customer_api, email="next@example.fr"))["account_number"] == "C000002"
