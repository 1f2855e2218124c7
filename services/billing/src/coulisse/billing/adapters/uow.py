"""The billing service's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.uow import UnitOfWork

from .repositories import (
    CreditNoteRepository,
    CustomerRepository,
    InvoiceRepository,
    Numbering,
    PaymentRepository,
    RefundRepository,
    WriteOffRepository,
)


class BillingUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    invoices: InvoiceRepository
    credit_notes: CreditNoteRepository
    payments: PaymentRepository
    refunds: RefundRepository
    write_offs: WriteOffRepository
    numbering: Numbering

    def _open_repositories(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session, self.track)
        self.invoices = InvoiceRepository(session, self.track)
        self.credit_notes = CreditNoteRepository(session, self.track)
        self.payments = PaymentRepository(session, self.track)
        self.refunds = RefundRepository(session, self.track)
        self.write_offs = WriteOffRepository(session, self.track)
        self.numbering = Numbering(session, self.track)
