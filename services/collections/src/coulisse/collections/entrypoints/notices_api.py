"""HTTP routes of dunning notices: read one, list them newest first, and the document a notice
was delivered as."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.api import PageQuery
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import delivery, queries
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


@router.get(
    "/{notice_id}", response_model=NoticeRead, responses=problems(404), summary="Read a notice"
)
async def get_notice(notice_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> NoticeRead:
    async with uow_factory() as uow:
        found = await queries.get_notice(uow, notice_id)
    if found is None:
        raise NotFound(f"no notice {notice_id}")
    return NoticeRead.of_view(found)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{notice_id}/document",
    response_class=Response,
    summary="The document a notice was delivered as: the PDF, or the e-mail as sent",
    description=(
        "Served as stored when the notice sender made it, never made on demand: a letter or "
        "formal notice as `application/pdf`, an e-mail notice as `message/rfc822` (the bytes "
        "handed to the SMTP server)."
    ),
    responses={
        200: {
            "description": "The PDF (letter, formal notice) or the e-mail as sent.",
            "content": {"application/pdf": _BINARY, "message/rfc822": _BINARY},
            "headers": {
                "Content-Disposition": {
                    "description": "`inline` with a file name: `notice-<id>.pdf` or `.eml`",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(
            (404, "no such notice, or a call notice, which has no document (`path.notice_id`)"),
            (
                409,
                "the document is not made yet (delivery pending), or the notice is "
                "undeliverable and none was made (`path.notice_id`, `delivery_status`)",
            ),
            (410, "the document was deleted when the customer was erased"),
        ),
    },
)
async def get_notice_document(
    notice_id: UUID, _: ReadScope, uow_factory: UowFactoryDep
) -> Response:
    async with uow_factory() as uow:
        found = await delivery.stored_document(uow, notice_id)
    extension = "pdf" if found.media_type == "application/pdf" else "eml"
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'inline; filename="notice-{notice_id}.{extension}"'},
    )
