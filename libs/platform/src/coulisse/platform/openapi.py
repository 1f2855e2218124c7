"""The OpenAPI document names every status a route may answer, each error as problem+json.

A route declares the statuses only it knows (`responses=problems(404, (409, "…"))`); the
statuses the platform itself answers are added to every operation by `install_openapi`, from
what the route depends on:

- a scope (`require_scope`): 401 (with `WWW-Authenticate`) and 403;
- parameters or a body: 422, the problem `errors.py` writes instead of FastAPI's
  `HTTPValidationError`; a body also 400 (not JSON) and 413 (too large);
- an `Idempotency-Key`: 409 while a request with the same key is in progress;
- the database or the broker (dependencies marked with `needs`): 503 with `Retry-After`.
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/ProblemDetails"
RETRY_AFTER_SECONDS = 5
"""What a 503 asks the client to wait before retrying (`Retry-After`)."""


class ProblemItem(BaseModel):
    """One input an error concerns."""

    model_config = ConfigDict(title="ProblemItem")

    field: str = Field(
        description="`body.<path>`, `query.<name>`, `path.<name>`, `header.<name>`, or a field "
        "in the domain's words",
        examples=["body.lines.0.quantity"],
    )
    message: str = Field(examples=["Input should be greater than 0"])
    type: str | None = Field(
        default=None,
        description="for a request that does not fit its schema: the validation error's type "
        "(`greater_than`, `missing`, `extra_forbidden`, `json_invalid`, …)",
    )


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as `errors.py` writes every error.

    Some errors add members of their own (billing's `last_issue_date`, collections'
    `last_run_on`, the gateway's `open_periods`, `/readyz`'s `checks`): other members are
    allowed.
    """

    model_config = ConfigDict(extra="allow", title="ProblemDetails")

    type: str = Field(
        description="derived from the title", examples=["https://coulisse.dev/problems/not-found"]
    )
    title: str = Field(examples=["Not found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["no invoice 0b9c3d1e-6f1a-4d52-9a53-0d5b6a1b2c3d"])
    errors: list[ProblemItem] | None = Field(
        default=None, description="present when the error concerns particular inputs"
    )


DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "the body is not valid JSON (`Malformed request body`)",
    401: "missing, malformed, wrongly signed, expired or not-yet-valid bearer token",
    403: "the token does not carry the route's scope",
    404: "no such resource",
    409: "the request contradicts the current state",
    413: "the body is larger than `COULISSE_MAX_BODY_BYTES`",
    422: "input that does not fit the schema, or that a business rule refuses",
    503: "the database or the broker cannot be reached; retry after `Retry-After` seconds",
}

_IDEMPOTENCY_CONFLICT = "a request with this `Idempotency-Key` is still in progress (retry)"
_IDEMPOTENCY_REUSE = "an `Idempotency-Key` reused with another body (`Idempotency key reused`)"


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    """One OpenAPI response: a problem+json body."""
    response: dict[str, Any] = {
        "description": description or DEFAULT_DESCRIPTIONS.get(status, "an error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "`Bearer`",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    if status == 503:
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before retrying",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


def problems(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The business statuses a route answers, for its decorator's `responses=`.

    `problems(404, (409, "the invoice is not a draft"))`: a bare status gets the usual
    description, a pair its own.
    """
    declared: dict[int | str, dict[str, Any]] = {}
    for item in statuses:
        status, description = item if isinstance(item, tuple) else (item, None)
        declared[status] = problem_response(status, description)
    return declared


def text_response(description: str, *, media_type: str = "text/plain") -> dict[int | str, Any]:
    """A 200 streamed as text (an export), for a decorator's `responses=`."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with the file's name",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        }
    }


class Needs(enum.Enum):
    """What a route dependency reaches, and so what failures the route may answer."""

    TOKEN = "token"
    DATABASE = "database"
    BROKER = "broker"
    IDEMPOTENCY_KEY = "idempotency_key"


_NEEDS_ATTRIBUTE = "__coulisse_needs__"
F = TypeVar("F", bound=Callable[..., Any])


def needs(*what: Needs) -> Callable[[F], F]:
    """Marks a route dependency: the routes using it document the statuses that follow."""

    def mark(dependency: F) -> F:
        setattr(dependency, _NEEDS_ATTRIBUTE, frozenset(what))
        return dependency

    return mark


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def route_needs(dependant: Dependant) -> frozenset[Needs]:
    found: set[Needs] = set()
    for call in _calls(dependant):
        found.update(getattr(call, _NEEDS_ATTRIBUTE, ()))
    return frozenset(found)


def _operations(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    """(path, methods, dependencies) of each route in the document."""
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        yield context.path_format or "", context.methods or set(), context.dependant


def _add(responses: dict[str, Any], status: int, description: str | None = None) -> None:
    """Adds a problem response, or its reason to the one the route already documents."""
    key = str(status)
    reason = description or DEFAULT_DESCRIPTIONS[status]
    existing = responses.get(key)
    if existing is None:
        responses[key] = problem_response(status, reason)
        return
    fresh = problem_response(status)
    existing["content"] = fresh["content"]
    if "headers" in fresh:
        existing.setdefault("headers", {}).update(fresh["headers"])
    if reason not in existing.get("description", ""):
        existing["description"] = f"{existing['description']}; or {reason}"


def _document_operation(operation: dict[str, Any], found: frozenset[Needs]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # FastAPI's own 422 (HTTPValidationError, application/json) is not what the API sends.
    default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
    if default_422.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
    if Needs.TOKEN in found:
        _add(responses, 401)
        _add(responses, 403)
    has_body = "requestBody" in operation
    if has_body:
        _add(responses, 400)
        _add(responses, 413)
    if has_body or operation.get("parameters"):
        _add(responses, 422)
    if Needs.IDEMPOTENCY_KEY in found:
        _add(responses, 409, _IDEMPOTENCY_CONFLICT)
        _add(responses, 422, _IDEMPOTENCY_REUSE)
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})["Idempotent-Replayed"] = {
                    "description": "`true` when this is the stored answer to an earlier "
                    "request with the same `Idempotency-Key`",
                    "required": False,
                    "schema": {"type": "string", "enum": ["true"]},
                }
    if found & {Needs.DATABASE, Needs.BROKER}:
        _add(responses, 503)
    operation["responses"] = dict(sorted(responses.items()))


def _absent_not_null(schema: dict[str, Any]) -> None:
    # An optional member is left out of the body, never written as null.
    for member in schema.get("properties", {}).values():
        variants = member.get("anyOf")
        if variants and {"type": "null"} in variants:
            [kept] = [v for v in variants if v != {"type": "null"}]
            del member["anyOf"]
            member.pop("default", None)
            member.update(kept)


def _problem_schemas() -> dict[str, Any]:
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    definitions["ProblemDetails"] = schema
    for definition in definitions.values():
        _absent_not_null(definition)
    return definitions


def _unused(document: dict[str, Any], name: str) -> bool:
    ref = f'"#/components/schemas/{name}"'
    schemas = document.get("components", {}).get("schemas", {})
    elsewhere = {k: v for k, v in document.items() if k != "components"}
    others = {k: v for k, v in schemas.items() if k != name}
    return ref not in json.dumps(elsewhere) and ref not in json.dumps(others)


def complete(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """`document` (FastAPI's, changed in place) with the statuses the platform answers."""
    paths: dict[str, Any] = document.get("paths", {})
    for path, methods, dependant in _operations(app):
        for method in methods:
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                _document_operation(operation, route_needs(dependant))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas and _unused(document, name):
            del schemas[name]
    return document


def install_openapi(app: FastAPI) -> None:
    """Serves the completed document at `/openapi.json` and `/docs`."""
    fastapi_document = app.openapi  # FastAPI's: cached, rebuilt when routes change
    done: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def openapi() -> dict[str, Any]:
        base = fastapi_document()
        if not done or done[0][0] is not base:
            done[:] = [(base, complete(copy.deepcopy(base), app))]
        return done[0][1]

    app.openapi = openapi  # type: ignore[method-assign]
