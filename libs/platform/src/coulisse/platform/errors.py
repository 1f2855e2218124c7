"""RFC 9457 problem details for every failure: a caller never sees a bare 500 for its own input."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from coulisse.platform.auth import AuthError, ScopeError
from coulisse.platform.domain import DomainError
from coulisse.platform.envelope import error_text
from coulisse.platform.openapi import PROBLEM_JSON, RETRY_AFTER_SECONDS
from coulisse.platform.outages import ASYNCPG_OUTAGES, BROKER_OUTAGES, is_outage

log = logging.getLogger("coulisse.errors")


class ProblemError(Exception):
    """Raised by plumbing (idempotency, body size) to answer with a given problem."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    slug = title.lower().replace(" ", "-")
    body = {
        "type": f"https://coulisse.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def outage_problem() -> JSONResponse:
    return problem(
        503,
        "Service unavailable",
        "the database or the broker cannot be reached; retry in a few seconds",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = []
    malformed = False
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            malformed = True
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        errors.append(
            {
                "field": _field_path(tuple(error.get("loc", ()))),
                "message": message,
                "type": error.get("type"),
            }
        )
    if malformed:
        return problem(
            400, "Malformed request body", "the request body is not valid JSON", errors=errors
        )
    fields = ", ".join(e["field"] for e in errors)
    return problem(422, "Invalid input", f"invalid field(s): {fields}", errors=errors)


def allowed_methods(request: Request) -> str:
    """Every method the request's path answers (`Allow` of a 405), not only the first route's."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in routing.iter_route_contexts(request.app.routes):
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods.update(route.methods or ())
    return ", ".join(sorted(methods))


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        return problem(401, "Unauthorized", exc.detail, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ScopeError)
    async def _scope(_: Request, exc: ScopeError) -> JSONResponse:
        return problem(403, "Forbidden", exc.detail)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        extra: dict[str, Any] = dict(exc.extra)
        if exc.field is not None:
            extra["errors"] = [{"field": exc.field, "message": exc.detail}]
        return problem(exc.status, exc.title, exc.detail, **extra)

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "HTTP error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, title, str(exc.detail), headers=headers or None)

    async def _outage(request: Request, exc: Exception) -> JSONResponse:
        if not is_outage(exc):
            raise exc  # an ordinary failure: the 500 below
        log.warning(
            "%s %s: dependency unreachable: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        return outage_problem()

    # OSError covers refused, reset and timed-out connections; each is looked at above.
    for outage in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError, *ASYNCPG_OUTAGES):
        app.add_exception_handler(outage, _outage)
    for outage in BROKER_OUTAGES:
        app.add_exception_handler(outage, _outage)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The frames, and the error's text without the values a validation error would quote.
        log.error(
            "unhandled error on %s %s: %s\n%s",
            request.method,
            request.url.path,
            error_text(exc),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return problem(
            500, "Internal server error", "an unexpected error occurred; it has been logged"
        )
