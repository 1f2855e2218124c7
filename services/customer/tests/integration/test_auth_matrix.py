"""Every /v1 route of the customer service refuses bad tokens (401) and missing scopes (403)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute

from coulisse.customer.adapters.uow import CustomerUnitOfWork
from coulisse.customer.bootstrap import definition
from coulisse.customer.config import CustomerSettings
from coulisse.platform import testing
from coulisse.platform.clock import timestamp

pytestmark = pytest.mark.integration

ANY_ID = str(uuid4())


def v1_routes() -> list[tuple[str, str, str]]:
    """(method, path, required scope) of every /v1 route, read from the routers themselves."""
    routes = []
    for router in definition.routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            methods = route.methods or set()
            writes = methods & {"POST", "PATCH", "PUT", "DELETE"}
            scope = "customers:write" if writes else "customers:read"
            if route.path.endswith("/personal-data-key"):
                scope = "customers:keys"
            for method in methods:
                path = route.path.replace("{customer_id}", ANY_ID).replace("{request_id}", ANY_ID)
                routes.append((method, path, scope))
    assert len(routes) >= 9
    return routes


def bad_tokens(now: int) -> dict[str, dict[str, str]]:
    """Tokens the service must refuse when its clock says `now` (epoch seconds)."""
    claims: dict[str, Any] = {
        "sub": "x",
        "scope": "customers:read customers:write",
        "exp": now + 60,
    }
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    return {
        "missing": {},
        "not-bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "malformed": {"Authorization": "Bearer abc.def"},
        "expired": {
            "Authorization": "Bearer "
            + jwt.encode({**claims, "exp": now - 5}, testing.TEST_SECRET, algorithm="HS256")
        },
        "bad-signature": {
            "Authorization": "Bearer "
            + jwt.encode(claims, "another-secret-another-secret-12345", algorithm="HS256")
        },
        "alg-none": {"Authorization": "Bearer " + unsigned},
    }


async def test_every_route_refuses_bad_tokens_and_wrong_scopes(
    customer_service: testing.ServiceInProcess[CustomerSettings, CustomerUnitOfWork],
) -> None:
    customer_api = customer_service.client
    # Expired by the service's clock, whatever the machine's date.
    refused = bad_tokens(timestamp(customer_service.clock))
    wrong_scope = testing.auth_headers(["billing:read"])
    read_only = testing.auth_headers(["customers:read"])
    for method, path, scope in v1_routes():
        for name, headers in refused.items():
            response = await customer_api.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers.get("www-authenticate") == "Bearer"
        response = await customer_api.request(method, path, headers=wrong_scope, json={})
        assert response.status_code == 403, (method, path)
        if scope in ("customers:write", "customers:keys"):
            response = await customer_api.request(method, path, headers=read_only, json={})
            assert response.status_code == 403, (method, path)


async def test_health_routes_need_no_token(customer_api: httpx.AsyncClient) -> None:
    assert (await customer_api.get("/healthz")).status_code == 200
    ready = await customer_api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
    assert (await customer_api.get("/openapi.json")).status_code == 200
