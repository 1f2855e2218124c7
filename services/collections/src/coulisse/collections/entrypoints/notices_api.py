"""HTTP routes of dunning notices: read one, list them newest first."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.api import PageQuery
from coulisse.platform.domain import NotFound
from coulisse.platform.pagination import Page

from ..application import queries
from .deps import ReadScope, UowFactoryDep
from .schemas.runs import NoticeRead

router = APIRouter(prefix="/v1/notices", tags=["notices"])


@router.get("", response_model=Page[NoticeRead], summary="List notices, newest first")
async def list_notices(
    _: ReadScope, uow_factory: UowFactoryDep, page: PageQuery, customer_id: UUID | None = None
) -> Page[NoticeRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_notices(uow, customer_id=customer_id, page=page)
    return Page[NoticeRead](items=[NoticeRead.of_view(n) for n in found], next_cursor=next_cursor)


@router.get("/{notice_id}", response_model=NoticeRead, summary="Read a notice")
async def get_notice(notice_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> NoticeRead:
    async with uow_factory() as uow:
        found = await queries.get_notice(uow, notice_id)
    if found is None:
        raise NotFound(f"no notice {notice_id}")
    return NoticeRead.of_view(found)
