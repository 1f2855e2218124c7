"""Each service answers what its OpenAPI document says, checked by schemathesis.

Every operation of every service is called with requests generated from its document (its
examples, then boundary and invalid values, then random ones; a fixed seed, a bounded number),
on the real app with its own migrated PostgreSQL database and a token carrying every scope.
Every check of schemathesis runs on each answer: no 5xx, a documented status, the documented
media type, body and headers, a valid request accepted, an invalid one refused, no route
answering without a valid token, `Allow` on a 405; plus the two below.

The app runs in schemathesis' own event loop (its ASGI client starts the app's lifespan there),
so the engine and its connections belong to that loop.

Where the run departs from schemathesis' defaults, and why:
- `positive_data_acceptance` also expects 422: a business rule may refuse a request the schema
  cannot tell from a good one (an unknown customer, a due date before the issue date).
  `validation_agrees_with_schema` still fails a valid request refused by request validation,
  which is what that check is after.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.python import asgi

from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import ServiceDefinition, create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The services' clock: a fixed instant, so "today" never depends on the machine's date.
CLOCK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)
SEED = 20261116
MAX_EXAMPLES = 25
"""Random requests per operation, after its examples and boundary cases."""
VALID_REQUEST_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""What a request the document calls valid may get: schemathesis' default, and 422."""


def _definition(service: str) -> ServiceDefinition[Any, Any]:
    if service == "customer":
        from coulisse.customer.bootstrap import definition as customer

        return customer
    if service == "billing":
        from coulisse.billing.bootstrap import definition as billing

        return billing
    if service == "collections":
        from coulisse.collections.bootstrap import definition as collections

        return collections
    if service == "reporting":
        from coulisse.reporting.bootstrap import definition as reporting

        return reporting
    from coulisse.accounting_gateway.bootstrap import definition as gateway

    return gateway


STREAMS = r"/stream$"
"""Server-Sent Events streams never end by themselves: their own tests read them."""


@pytest.fixture(params=["customer", "billing", "collections", "accounting-gateway", "reporting"])
def service(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def database_url(service: str, make_database: DatabaseFactory) -> str:
    url = await make_database(f"contract_{service.replace('-', '_')}")
    await asyncio.to_thread(upgrade, _definition(service).alembic_ini, url)
    return url


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # Known as the token of the security scheme, so `ignored_auth` checks that each
            # route refuses a request without it and with a bad one.
            "auth": {"openapi": {"HTTPBearer": {"bearer": testing.token()}}},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": VALID_REQUEST_STATUSES},
            },
        }
    )


ANSWERED: Counter[int] = Counter()
"""Statuses answered to the service under test."""


@schemathesis.check
def answered(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    ANSWERED[response.status_code] += 1
    return None


@schemathesis.check
def validation_agrees_with_schema(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A request the document calls valid is not refused by request validation.

    Errors with a `type` come from validating the request against its models; `value_error` is
    a rule of the model's own code (a credit note has lines or `full`, an e-mail domain is not
    a reserved one), which a JSON Schema cannot always say. Any other type is a constraint the
    document should have stated.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    body = response.json()
    refused = [e for e in body.get("errors", []) if e.get("type") not in (None, "value_error")]
    if refused:
        raise AssertionError(f"a valid request was refused by validation: {refused}")
    return None


@pytest.fixture
def api_schema(service: str, database_url: str, kafka_bootstrap: str) -> Iterator[Any]:
    definition = _definition(service)
    settings = definition.settings_type(
        DATABASE_URL=database_url,
        # Only /readyz reaches the broker (api role: no relay, no consumers).
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        COULISSE_JWT_SECRET=testing.TEST_SECRET,
        COULISSE_ENV="test",
        COULISSE_ROLES="api",
    )
    app: FastAPI = create_app(definition, settings, clock=SettableClock(CLOCK_START))
    ANSWERED.clear()
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())
    asgi.shutdown_lifespans()
    # Requests reach the routes with a token they accept: not everything is a 401.
    assert sum(n for status, n in ANSWERED.items() if 200 <= status < 300) > 0, ANSWERED


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=STREAMS)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 reads and sets `Node._nodeid`, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_the_service_answers_as_its_openapi_document_says(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate()
