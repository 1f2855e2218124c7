"""An unreachable database or broker is a 503 with `Retry-After`; any other failure stays a 500."""

from __future__ import annotations

import socket

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from coulisse.platform.errors import install_problem_handlers
from coulisse.platform.openapi import RETRY_AFTER_SECONDS
from coulisse.platform.outages import is_outage


def _wrapped(
    error: type[sa_exc.DBAPIError], orig: Exception, *, connection_invalidated: bool = False
) -> Exception:
    """As SQLAlchemy raises it: the driver's error as `orig`, which carries asyncpg's."""
    driver = Exception(str(orig))
    driver.__cause__ = orig
    return error("SELECT 1", None, driver, connection_invalidated=connection_invalidated)


OUTAGES: list[BaseException] = [
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed"),
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError(),
    socket.gaierror(-2, "Name or service not known"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    sa_exc.TimeoutError("QueuePool limit reached, connection timed out"),
    _wrapped(sa_exc.DBAPIError, ValueError("socket closed"), connection_invalidated=True),
    _wrapped(sa_exc.OperationalError, ValueError("server closed the connection")),
    _wrapped(sa_exc.InterfaceError, ValueError("connection is closed")),
    _wrapped(sa_exc.DBAPIError, asyncpg.exceptions.AdminShutdownError("terminating connection")),
    KafkaConnectionError("Unable to bootstrap"),
]

NOT_OUTAGES: list[BaseException] = [
    ValueError("a bug"),
    FileNotFoundError(2, "No such file"),
    _wrapped(sa_exc.IntegrityError, asyncpg.UniqueViolationError("duplicate key")),
    _wrapped(sa_exc.DBAPIError, asyncpg.exceptions.NumericValueOutOfRangeError("overflow")),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_an_unreachable_dependency_is_an_outage(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize("error", NOT_OUTAGES, ids=lambda e: type(e).__name__)
def test_a_failure_of_the_request_or_the_code_is_not(error: BaseException) -> None:
    assert not is_outage(error)


def _raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fails")
    async def fails() -> None:
        raise error

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/fails")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        _wrapped(sa_exc.DBAPIError, ValueError("lost"), connection_invalidated=True),
    ],
    ids=["refused", "lost mid-request"],
)
async def test_an_outage_is_answered_503_with_retry_after(error: Exception) -> None:
    response = await _get(_raising(error))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["title"] == "Service unavailable"


async def test_any_other_database_error_is_still_a_500() -> None:
    error = _wrapped(sa_exc.IntegrityError, asyncpg.UniqueViolationError("duplicate key"))
    response = await _get(_raising(error))
    assert response.status_code == 500
    assert "retry-after" not in response.headers
