"""`Idempotency-Key` for creating POSTs: same key and body replay the first response once stored.

The key's row is written in the same transaction as the effect, so a crash cannot leave an effect
without its key, nor a key without its effect. Two concurrent requests with one key: the second
transaction fails on the primary key, is rolled back, and replays the first one's response.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.repository import aware
from coulisse.platform.tables import idempotency_table

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: bytes


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":")
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def find(session: AsyncSession, key: str, now: datetime) -> StoredResponse | None:
    row = (
        await session.execute(
            sa.select(
                idempotency_table.c.request_hash,
                idempotency_table.c.status_code,
                idempotency_table.c.response_body,
                idempotency_table.c.created_at,
            ).where(idempotency_table.c.key == key)
        )
    ).first()
    if row is None:
        return None
    if now - aware(row.created_at) > KEY_TTL:
        await session.execute(sa.delete(idempotency_table).where(idempotency_table.c.key == key))
        return None
    return StoredResponse(row.request_hash, row.status_code, row.response_body)


async def store(session: AsyncSession, key: str, response: StoredResponse, now: datetime) -> None:
    await session.execute(
        sa.insert(idempotency_table).values(
            key=key,
            request_hash=response.request_hash,
            status_code=response.status_code,
            response_body=response.body,
            created_at=now,
        )
    )
