"""Which failures mean "the database or the broker cannot be reached" rather than "the request or
the code is wrong": the HTTP side answers them 503, a consumer rewinds and tries again. No web
framework here: consumers and their application layers use it too."""

from __future__ import annotations

import socket

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from sqlalchemy import exc as sa_exc

# asyncpg's errors that mean "no usable connection", whether raised by the driver itself or
# wrapped by SQLAlchemy: the server refuses or drops connections (shutdown, restart, too many
# clients), or the connection is gone.
ASYNCPG_OUTAGES = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)
BROKER_OUTAGES = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` says the database or the broker cannot be reached, not that the request
    or the code is wrong: the answer is then a 503 the client may retry."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc.orig, ASYNCPG_OUTAGES) or isinstance(cause, ASYNCPG_OUTAGES)
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(exc, (*ASYNCPG_OUTAGES, *BROKER_OUTAGES)):
        return True
    # Connecting: refused, reset, unreachable host or name (asyncio raises a bare OSError
    # when every address of a name failed), or no answer in time. Not file errors.
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror) or type(exc) is OSError
