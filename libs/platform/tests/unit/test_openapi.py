"""The OpenAPI document names what the platform answers for a route, as problem+json, and the
bodies the API sends fit the `ProblemDetails` it documents."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import jsonschema
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from coulisse.platform.api import CommandsDep, IsoDate, RequestModel, UowFactoryDep, Whole
from coulisse.platform.auth import Principal, TokenVerifier, require_scope
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.errors import install_problem_handlers
from coulisse.platform.openapi import PROBLEM_JSON, install_openapi, problems, text_response
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.testing import TEST_SECRET, auth_headers

Read = Annotated[Principal, Depends(require_scope("customers:read"))]
Write = Annotated[Principal, Depends(require_scope("customers:write"))]


class ThingIn(RequestModel):
    name: str
    size: Annotated[int, Whole(ge=1, le=10)] = 1
    on: IsoDate | None = None


class ThingOut(BaseModel):
    name: str


router = APIRouter(prefix="/things")


@router.post("", status_code=201, response_model=ThingOut, responses=problems(409))
async def create(body: ThingIn, _: Write, key: IdempotencyKeyDep, c: CommandsDep[Any]) -> Any:
    return {"name": body.name}


@router.get("/{thing_id}", response_model=ThingOut, responses=problems((404, "no such thing")))
async def read(thing_id: int, _: Read, uow: UowFactoryDep[Any]) -> Any:
    raise NotFound(f"no thing {thing_id}")


@router.get(
    "/{thing_id}/export",
    response_class=StreamingResponse,
    responses=text_response("the thing, as text"),
)
async def export(thing_id: int, _: Read) -> StreamingResponse:
    return StreamingResponse(iter(["thing"]), media_type="text/plain")


@router.delete("/{thing_id}", status_code=204)
async def remove(thing_id: int, _: Write) -> None:
    return None


@router.get("", response_model=list[ThingOut])
async def public() -> list[ThingOut]:
    return []


def _app() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(ServiceSettings(COULISSE_JWT_SECRET=TEST_SECRET))
    # What the routes' dependencies read; the routes here never use them.
    app.state.runtime = SimpleNamespace(commands=None, uow_factory=None)
    install_problem_handlers(app)
    app.include_router(router)
    install_openapi(app)
    return app


def _responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]["responses"]
    return found


def _problem_statuses(responses: dict[str, Any]) -> set[str]:
    return {status for status, r in responses.items() if PROBLEM_JSON in r.get("content", {})}


def test_every_operation_documents_what_the_platform_answers_for_it() -> None:
    document = _app().openapi()
    create_responses = _responses(document, "/things", "post")
    assert _problem_statuses(create_responses) == {"400", "401", "403", "409", "413", "422", "503"}
    assert "Idempotency-Key" in create_responses["409"]["description"]
    assert "Idempotency-Key" in create_responses["422"]["description"]
    assert "Idempotent-Replayed" in create_responses["201"]["headers"]
    assert create_responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert create_responses["503"]["headers"]["Retry-After"]["required"] is True

    read_responses = _responses(document, "/things/{thing_id}", "get")
    assert _problem_statuses(read_responses) == {"401", "403", "404", "422", "503"}
    assert read_responses["404"]["description"] == "no such thing"

    # No database, no body: no 503, 400 or 413.
    assert _problem_statuses(_responses(document, "/things/{thing_id}", "delete")) == {
        "401",
        "403",
        "422",
    }
    # Neither parameters nor a token.
    assert _problem_statuses(_responses(document, "/things", "get")) == set()


def test_fastapi_validation_error_is_replaced_by_the_problem_the_api_sends() -> None:
    document = _app().openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"ProblemDetails", "ProblemItem"} <= schemas.keys()
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for media_type in response.get("content", {}):
                    assert media_type != "application/json" or "ProblemDetails" not in str(response)


def test_a_text_answer_is_documented_with_its_media_type() -> None:
    ok = _responses(_app().openapi(), "/things/{thing_id}/export", "get")["200"]
    assert ok["content"] == {"text/plain": {"schema": {"type": "string"}}}


async def _call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        return await client.request(method, path, **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/things", {"json": {"name": "x"}}, 401),
        (
            "POST",
            "/things",
            {"json": {"name": "x"}, "headers": auth_headers(["customers:read"])},
            403,
        ),
        (
            "POST",
            "/things",
            {"json": {"name": "x", "size": 11, "extra": 1}, "headers": auth_headers()},
            422,
        ),
        (
            "POST",
            "/things",
            {"content": b"{not", "headers": {**auth_headers(), "content-type": "application/json"}},
            400,
        ),
        ("GET", "/things/1", {"headers": auth_headers()}, 404),
        ("GET", "/things/one", {"headers": auth_headers()}, 422),
        ("PUT", "/things/1", {}, 405),
        ("GET", "/nowhere", {}, 404),
    ],
)
async def test_every_error_body_fits_the_documented_problem(
    method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    app = _app()
    document = app.openapi()
    response = await _call(app, method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    documented = {"$ref": "#/components/schemas/ProblemDetails", **document}
    jsonschema.validate(response.json(), documented)


async def test_a_405_allows_every_method_of_the_path_not_only_the_first_route() -> None:
    response = await _call(_app(), "PUT", "/things/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"


def test_a_whole_number_is_a_json_number_without_a_fraction() -> None:
    assert ThingIn.model_validate({"name": "x", "size": 3.0}).size == 3
    for refused in (3.5, "3", True, 0, 11):
        with pytest.raises(ValueError):
            ThingIn.model_validate({"name": "x", "size": refused})
    size = ThingIn.model_json_schema()["properties"]["size"]
    assert (size["type"], size["minimum"], size["maximum"]) == ("integer", 1, 10)


def test_a_request_text_that_must_not_be_empty_must_not_be_blank_in_the_document() -> None:
    class Named(RequestModel):
        name: Annotated[str, Field(min_length=1)]
        tags: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    schema = Named.model_json_schema()
    pattern = schema["properties"]["name"]["pattern"]
    assert pattern == schema["properties"]["tags"]["items"]["pattern"]
    with pytest.raises(ValueError):
        Named.model_validate({"name": " \u3000\t"})
    assert not re.search(pattern, " \u3000\t") and re.search(pattern, " a ")
