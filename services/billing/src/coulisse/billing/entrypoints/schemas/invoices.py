"""HTTP bodies of invoices and credit notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, GetJsonSchemaHandler, StrictBool, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from coulisse.contracts.billing import DocumentLine, InvoiceKind, VatSubtotal
from coulisse.contracts.money import Currency, Money
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel

from ...application.commands import LineInput
from ...domain.credit_notes import CreditNote
from ...domain.invoices import Invoice, InvoiceStatus
from .fields import Description, Quantity, Reason, RevenueAccount, UnitPrice, VatRate


class LineIn(RequestModel):
    description: Description
    quantity: Quantity
    unit_price: UnitPrice
    vat_rate: VatRate = Field(description='"20.0", "10.0", "5.5", "2.1" or "0.0" ("20" is "20.0").')
    revenue_account: RevenueAccount | None = Field(
        None, description="A PCG class 7 account, e.g. 706100; 706 when absent."
    )

    def to_input(self) -> LineInput:
        return LineInput(
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            vat_rate=self.vat_rate,
            revenue_account=self.revenue_account,
        )


class InvoiceCreate(RequestModel):
    customer_id: UUID
    issue_date: IsoDate | None = Field(None, description="Default: today (Europe/Paris).")
    due_date: IsoDate | None = Field(
        None, description="Default: the issue date plus the customer's payment terms."
    )
    currency: Currency = "EUR"
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    issue: StrictBool = Field(True, description="false keeps a draft, issued later.")


class InvoiceIssue(RequestModel):
    issue_date: IsoDate | None = None
    due_date: IsoDate | None = None


class CreditNoteCreate(RequestModel):
    reason: Reason
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=500)
    full: StrictBool = Field(False, description="true credits everything that remains.")
    issue_date: IsoDate | None = Field(None, description="Default: today (Europe/Paris).")

    @model_validator(mode="after")
    def _lines_or_full(self) -> CreditNoteCreate:
        if (self.lines is None) == (not self.full):
            raise ValueError('give either "lines" or "full": true')
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        document = handler.resolve_ref_schema(handler(schema))
        # The rule above, in the OpenAPI document: lines, or full: true, never both.
        document["oneOf"] = [
            {
                "required": ["lines"],
                "properties": {"lines": {"type": "array"}, "full": {"const": False}},
            },
            {
                "required": ["full"],
                "properties": {"full": {"const": True}, "lines": {"type": "null"}},
            },
        ]
        return document


class InvoiceRead(ResponseModel):
    id: UUID
    invoice_id: UUID
    number: str | None
    kind: InvoiceKind
    customer_id: UUID
    account_number: str
    issue_date: date | None
    due_date: date | None
    currency: str
    lines: list[DocumentLine]
    vat_breakdown: list[VatSubtotal]
    total_net: Money
    total_vat: Money
    total_gross: Money
    status: InvoiceStatus
    amount_due: Money
    amount_paid: Money
    amount_credited: Money
    amount_written_off: Money
    source_fee_id: UUID | None
    created_at: datetime
    issued_at: datetime | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceRead:
        totals = invoice.totals
        return cls(
            id=invoice.id,
            invoice_id=invoice.id,
            number=invoice.number,
            kind=invoice.kind,
            customer_id=invoice.customer_id,
            account_number=invoice.account_number,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            lines=[line.to_contract() for line in invoice.lines],
            vat_breakdown=[r.to_contract() for r in totals.breakdown],
            total_net=totals.net,
            total_vat=totals.vat,
            total_gross=totals.gross,
            status=invoice.status,
            amount_due=invoice.amount_due,
            amount_paid=invoice.paid,
            amount_credited=invoice.credited,
            amount_written_off=invoice.written_off,
            source_fee_id=invoice.source_fee_id,
            created_at=invoice.created_at,
            issued_at=invoice.issued_at,
        )


class CreditNoteRead(ResponseModel):
    id: UUID
    credit_note_id: UUID
    number: str
    invoice_id: UUID
    invoice_number: str
    customer_id: UUID
    account_number: str
    issue_date: date
    reason: str
    currency: str
    lines: list[DocumentLine]
    vat_breakdown: list[VatSubtotal]
    total_net: Money
    total_vat: Money
    total_gross: Money
    to_customer_credit: Money = Field(
        description="What exceeded the invoice's amount due and became customer credit."
    )
    status: Literal["issued"] = "issued"
    created_at: datetime

    @classmethod
    def of(cls, note: CreditNote) -> CreditNoteRead:
        totals = note.totals
        return cls(
            id=note.id,
            credit_note_id=note.id,
            number=note.number,
            invoice_id=note.invoice_id,
            invoice_number=note.invoice_number,
            customer_id=note.customer_id,
            account_number=note.account_number,
            issue_date=note.issue_date,
            reason=note.reason,
            currency=note.currency,
            lines=[line.to_contract() for line in note.lines],
            vat_breakdown=[r.to_contract() for r in totals.breakdown],
            total_net=totals.net,
            total_vat=totals.vat,
            total_gross=totals.gross,
            to_customer_credit=note.to_customer_credit,
            created_at=note.created_at,
        )
