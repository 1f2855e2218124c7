"""Database engine and sessions: PostgreSQL (asyncpg) in production, SQLite for a quick run."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


TRANSACTION_CONFLICTS = frozenset({"40P01", "40001"})
"""SQLSTATE of a deadlock and of a serialization failure: PostgreSQL rolled the transaction back
to let another one go on; the same transaction run again succeeds."""


def is_transaction_conflict(exc: BaseException) -> bool:
    """Whether `exc` is a transaction PostgreSQL aborted for another's sake (a deadlock between a
    dunning run and a consumer locking the same rows in another order, say): run it again."""
    if not isinstance(exc, sa_exc.DBAPIError) or exc.orig is None:
        return False
    for error in (exc.orig, exc.orig.__cause__):
        if getattr(error, "sqlstate", None) in TRANSACTION_CONFLICTS:
            return True
    return False


def retry_conflicts(attempts: int = 5) -> AsyncRetrying:
    """Retries a whole transaction aborted by a deadlock or a serialization failure, after a
    short random pause so the two do not collide again."""
    return AsyncRetrying(
        retry=retry_if_exception(is_transaction_conflict),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.05, max=1.0),
        reraise=True,
    )


CONNECT_TIMEOUT_SECONDS = 5
"""A database that does not answer a new connection in this time is taken for down (a 503)."""

# An SQL error names its statement but never the values bound to it (names, e-mails): error
# messages reach logs, spans and dead-letter headers.
HIDE_PARAMETERS = True


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if is_postgres(url):
        # pre_ping: a connection the server dropped (restart, failover) is replaced before use,
        # so the service recovers by itself once the database is back.
        return create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
            hide_parameters=HIDE_PARAMETERS,
        )
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=HIDE_PARAMETERS)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
