"""The read side: a customer's 360° view, their timeline pages, a stream's next entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from coulisse.platform.domain import NotFound
from coulisse.platform.pagination import Page, PageParams

from ..adapters.repositories import BalanceView, InvoiceView
from ..adapters.uow import ReportingUnitOfWork
from ..domain import profiles
from ..domain.timeline import TimelineEntry

TIMELINE_FIRST_PAGE = 20


@dataclass(frozen=True)
class Customer360:
    customer_id: UUID
    profile: dict[str, Any] | None
    """None until the registration is read (events of other services may come first)."""
    erased: bool
    balance: BalanceView
    open_invoices: list[InvoiceView]
    collections: dict[str, Any]
    open_requests: list[Any]
    timeline: Page[TimelineEntry]


def unknown(customer_id: UUID) -> NotFound:
    return NotFound(f"reporting has read no event about customer {customer_id}")


async def customer_360(
    uow: ReportingUnitOfWork, customer_id: UUID, timeline_limit: int = TIMELINE_FIRST_PAGE
) -> Customer360:
    store = uow.read_model
    if not await store.knows_customer(customer_id):
        raise unknown(customer_id)
    profile = await store.profile(customer_id)
    return Customer360(
        customer_id=customer_id,
        profile=None if profile is None else profiles.shown(profile),
        erased=profile is not None and profile.erased,
        balance=await store.balance(customer_id),
        open_invoices=await store.open_invoices(customer_id),
        collections=await store.collections_of(customer_id),
        open_requests=list(await store.open_requests(customer_id)),
        timeline=await store.timeline_page(customer_id, PageParams(timeline_limit)),
    )


async def timeline(
    uow: ReportingUnitOfWork, customer_id: UUID, page: PageParams
) -> Page[TimelineEntry]:
    store = uow.read_model
    if not await store.knows_customer(customer_id):
        raise unknown(customer_id)
    return await store.timeline_page(customer_id, page)


async def known_customer(uow: ReportingUnitOfWork, customer_id: UUID) -> None:
    if not await uow.read_model.knows_customer(customer_id):
        raise unknown(customer_id)


async def entries_after(
    uow: ReportingUnitOfWork,
    position: int,
    *,
    customer_id: UUID | None = None,
    types: frozenset[str] = frozenset(),
    limit: int = 200,
) -> list[TimelineEntry]:
    return await uow.read_model.entries_after(
        position, customer_id=customer_id, types=types, limit=limit
    )


async def last_position(uow: ReportingUnitOfWork) -> int:
    return await uow.read_model.last_position()


async def rebuild(uow: ReportingUnitOfWork, rebuild_id: UUID) -> Any:
    found = await uow.rebuilds.get(rebuild_id)
    if found is None:
        raise NotFound(f"no rebuild {rebuild_id}")
    return found
