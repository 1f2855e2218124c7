"""HTTP routes of invoices: create (draft or issued), issue a draft, read, list, credit."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from coulisse.platform.api import PageQuery
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import CreateInvoice, IssueCreditNote, IssueInvoice
from ..domain.invoices import InvoiceStatus
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.invoices import (
    CreditNoteCreate,
    CreditNoteRead,
    InvoiceCreate,
    InvoiceIssue,
    InvoiceRead,
)

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.post(
    "",
    status_code=201,
    response_model=InvoiceRead,
    summary="Create an invoice, issued or draft",
    responses=problems(
        (
            409,
            "the customer has been erased, or the issue date is earlier than the last invoice's "
            "(`last_issue_date`)",
        )
    ),
)
async def create_invoice(
    body: InvoiceCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = CreateInvoice(
        customer_id=body.customer_id,
        lines=tuple(line.to_input() for line in body.lines),
        currency=body.currency,
        issue_date=body.issue_date,
        due_date=body.due_date,
        issue=body.issue,
    )
    return await commands.create(
        handlers.create_invoice, command, render=InvoiceRead.of, key=key, group="invoices"
    )


@router.get("", response_model=Page[InvoiceRead], summary="List invoices, newest first")
async def list_invoices(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    customer_id: UUID | None = None,
    status: Annotated[InvoiceStatus | None, Query()] = None,
) -> Page[InvoiceRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_invoices(
            uow.session, customer_id=customer_id, status=status, page=page
        )
    return Page[InvoiceRead](items=[InvoiceRead.of(i) for i in found], next_cursor=next_cursor)


@router.get(
    "/{invoice_id}",
    response_model=InvoiceRead,
    summary="Read an invoice",
    responses=problems((404, "no such invoice")),
)
async def get_invoice(invoice_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> InvoiceRead:
    async with uow_factory() as uow:
        invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return InvoiceRead.of(invoice)


@router.post(
    "/{invoice_id}/issue",
    response_model=InvoiceRead,
    summary="Issue a draft invoice",
    responses=problems(
        (404, "no such invoice"),
        (
            409,
            "the invoice is not a draft, the customer has been erased, the issue date is "
            "earlier than the last invoice's (`last_issue_date`), or the invoice was changed "
            "meanwhile",
        ),
    ),
)
async def issue_invoice(
    invoice_id: UUID,
    _: WriteScope,
    commands: CommandsDep,
    body: Annotated[InvoiceIssue | None, Body()] = None,
) -> InvoiceRead:
    command = IssueInvoice(
        invoice_id=invoice_id,
        issue_date=body.issue_date if body else None,
        due_date=body.due_date if body else None,
    )
    return InvoiceRead.of(await commands.run(handlers.issue_invoice, command))


@router.post(
    "/{invoice_id}/credit-notes",
    status_code=201,
    response_model=CreditNoteRead,
    summary="Credit an issued invoice, fully or by lines",
    responses=problems(
        (404, "no such invoice"),
        (
            409,
            "the invoice is a draft, written off or already fully credited, the lines credit "
            "more than remains (`remaining_creditable`), the date is earlier than the last "
            "credit note's, or the invoice was changed meanwhile",
        ),
    ),
)
async def credit_invoice(
    invoice_id: UUID,
    body: CreditNoteCreate,
    _: WriteScope,
    commands: CommandsDep,
    key: IdempotencyKeyDep,
) -> Response:
    command = IssueCreditNote(
        invoice_id=invoice_id,
        reason=body.reason,
        lines=None if body.full else tuple(line.to_input() for line in body.lines or ()),
        issue_date=body.issue_date,
    )
    return await commands.create(
        handlers.issue_credit_note, command, render=CreditNoteRead.of, key=key, group="credit-notes"
    )
