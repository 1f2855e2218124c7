"""Repositories of notice delivery: the recipients' contact details and what became of each
notice (tables of the `notice delivery` section), with their row mappings.

Neither records events: the sender's work is visible on the notices' read model and route.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.clock import Clock
from coulisse.platform.repository import aware
from coulisse.platform.sql import insert

from ..domain.delivery import NoticeDelivery
from ..domain.recipients import NoticeRecipient, PostalAddress
from .rows import Row
from .tables import notice_deliveries, notice_recipients, notices

# -- rows ---------------------------------------------------------------------------------------


def address_json(address: PostalAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def address_from_json(data: dict[str, Any] | None) -> PostalAddress | None:
    if data is None:
        return None
    return PostalAddress(
        line1=data["line1"],
        line2=data.get("line2"),
        postal_code=data["postal_code"],
        city=data["city"],
        country=data["country"],
    )


def recipient_values(recipient: NoticeRecipient, now: datetime) -> dict[str, Any]:
    return {
        "display_name": recipient.display_name,
        "email": recipient.email,
        "address": address_json(recipient.address),
        "stated_at": {name: at.isoformat() for name, at in recipient.stated_at.items()},
        "updated_at": now,
    }


def recipient_from_row(row: Row) -> NoticeRecipient:
    return NoticeRecipient(
        customer_id=row["customer_id"],
        display_name=row["display_name"],
        email=row["email"],
        address=address_from_json(row["address"]),
        stated_at={name: datetime.fromisoformat(at) for name, at in row["stated_at"].items()},
    )


def delivery_values(delivery: NoticeDelivery, now: datetime) -> dict[str, Any]:
    return {
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "message_id": delivery.message_id,
        "detail": delivery.detail,
        "media_type": delivery.media_type,
        "document": delivery.document,
        "document_erased": delivery.document_erased,
        "updated_at": now,
    }


def delivery_from_row(row: Row) -> NoticeDelivery:
    return NoticeDelivery(
        notice_id=row["notice_id"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=aware(row["next_attempt_at"]),
        delivered_at=aware(row["delivered_at"]),
        message_id=row["message_id"],
        detail=row["detail"],
        media_type=row["media_type"],
        document=row.get("document"),
        document_erased=row["document_erased"],
    )


# -- repositories -------------------------------------------------------------------------------


class RecipientRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def get(self, customer_id: UUID) -> NoticeRecipient | None:
        """The customer's contact details. Read under the customer's row lock, which every
        change of them takes first (`customers.learn`)."""
        row = (
            (
                await self.session.execute(
                    sa.select(notice_recipients).where(
                        notice_recipients.c.customer_id == customer_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else recipient_from_row(row)

    async def save(self, recipient: NoticeRecipient) -> None:
        values = recipient_values(recipient, self.clock.now())
        await self.session.execute(
            insert(self.session, notice_recipients)
            .values(customer_id=recipient.customer_id, **values)
            .on_conflict_do_update(index_elements=[notice_recipients.c.customer_id], set_=values)
        )

    async def forget(self, customer_id: UUID) -> None:
        await self.session.execute(
            sa.delete(notice_recipients).where(notice_recipients.c.customer_id == customer_id)
        )


# Every column but the document, for the read model.
_STATE_COLUMNS = [c for c in notice_deliveries.c if c.name != "document"]


class DeliveryRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def next_due(self, now: datetime) -> tuple[Row, NoticeDelivery] | None:
        """The oldest notice to deliver now (never handled, or pending and due), locked; its
        row and delivery. Notices another sender holds are skipped (SKIP LOCKED; SQLite's one
        writer serializes senders instead)."""
        joined = notices.outerjoin(notice_deliveries, notice_deliveries.c.notice_id == notices.c.id)
        query = (
            sa.select(notices)
            .select_from(joined)
            .where(
                notices.c.channel != "call",
                sa.or_(
                    notice_deliveries.c.notice_id.is_(None),
                    sa.and_(
                        notice_deliveries.c.status == "pending",
                        notice_deliveries.c.next_attempt_at <= now,
                    ),
                ),
            )
            .order_by(notices.c.sent_on, notices.c.id)
            .limit(1)
            .with_for_update(of=notices, skip_locked=True)
        )
        for _ in range(3):
            row = (await self.session.execute(query)).mappings().first()
            if row is None:
                return None
            # Read again in a statement of its own: another sender may have committed this
            # notice's delivery between the query's snapshot and the lock.
            delivery = await self.get(row["id"]) or NoticeDelivery(notice_id=row["id"])
            if delivery.due(now):
                return row, delivery
        return None

    async def get(self, notice_id: UUID) -> NoticeDelivery | None:
        row = (
            (
                await self.session.execute(
                    sa.select(notice_deliveries).where(notice_deliveries.c.notice_id == notice_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else delivery_from_row(row)

    async def states_of(self, notice_ids: Iterable[UUID]) -> dict[UUID, NoticeDelivery]:
        """The deliveries of these notices, without their documents."""
        ids = list(notice_ids)
        if not ids:
            return {}
        found = (
            await self.session.execute(
                sa.select(*_STATE_COLUMNS).where(notice_deliveries.c.notice_id.in_(ids))
            )
        ).mappings()
        return {row["notice_id"]: delivery_from_row(row) for row in found}

    async def of_customer(self, customer_id: UUID) -> list[NoticeDelivery]:
        """The customer's deliveries, locked."""
        query = (
            sa.select(notice_deliveries)
            .join(notices, notices.c.id == notice_deliveries.c.notice_id)
            .where(notices.c.customer_id == customer_id)
            .order_by(notice_deliveries.c.notice_id)
            .with_for_update(of=notice_deliveries)
        )
        return [delivery_from_row(row) for row in (await self.session.execute(query)).mappings()]

    async def save(self, delivery: NoticeDelivery) -> None:
        values = delivery_values(delivery, self.clock.now())
        await self.session.execute(
            insert(self.session, notice_deliveries)
            .values(notice_id=delivery.notice_id, **values)
            .on_conflict_do_update(index_elements=[notice_deliveries.c.notice_id], set_=values)
        )
