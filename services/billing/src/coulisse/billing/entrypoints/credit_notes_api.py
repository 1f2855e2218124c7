"""HTTP routes of credit notes (created on their invoice: POST /v1/invoices/{id}/credit-notes)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from .deps import ReadScope, UowFactoryDep
from .schemas.invoices import CreditNoteRead

router = APIRouter(prefix="/v1/credit-notes", tags=["credit notes"])


@router.get(
    "/{credit_note_id}",
    response_model=CreditNoteRead,
    summary="Read a credit note",
    responses=problems((404, "no such credit note")),
)
async def get_credit_note(
    credit_note_id: UUID, _: ReadScope, uow_factory: UowFactoryDep
) -> CreditNoteRead:
    async with uow_factory() as uow:
        note = await uow.credit_notes.get(credit_note_id)
    if note is None:
        raise NotFound(f"no credit note {credit_note_id}")
    return CreditNoteRead.of(note)
