"""Random sequences of billing operations keep the money rules true at every step.

- balance = invoices − credit notes − payments + refunds − write-offs, and it equals what the
  open invoices still owe minus the customer's credit;
- no invoice is ever paid, credited or written off beyond its amount, per VAT rate and in total;
- the customer's credit never goes below zero.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing_factories import NOW, customer, issued_invoice
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from coulisse.billing.domain.amounts import VAT_RATES, Line, Totals
from coulisse.billing.domain.balance import Balance
from coulisse.billing.domain.customers import BillingCustomer
from coulisse.billing.domain.invoices import Invoice
from coulisse.billing.domain.payments import Payment, RequestedAllocation
from coulisse.billing.domain.refunds import Refund
from coulisse.platform.domain import DomainError

DAY = date(2026, 11, 2)
cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("20"), places=1)
lines = st.builds(
    lambda q, p, r: Line.priced(description="x", quantity=q, unit_price=p, vat_rate=r),
    quantities,
    st.decimals(min_value=Decimal("0.00"), max_value=Decimal("500"), places=2),
    st.sampled_from(VAT_RATES),
)


class CustomerAccount(RuleBasedStateMachine):
    owner: BillingCustomer

    @initialize()
    def open_account(self) -> None:
        self.owner = customer()
        self.invoices: list[Invoice] = []
        self.invoiced = self.credited = self.paid = self.refunded = self.written_off = Decimal(0)
        self.payments = 0

    @rule(invoice_lines=st.lists(lines, min_size=1, max_size=4))
    def issue_invoice(self, invoice_lines: list[Line]) -> None:
        invoice = issued_invoice(
            *invoice_lines, owner=self.owner, sequence=len(self.invoices) + 1, issued_on=DAY
        )
        self.invoices.append(invoice)
        self.invoiced += invoice.totals.gross

    @rule(amount=cents)
    def pay_oldest_first(self, amount: Decimal) -> None:
        self._pay(amount, None)

    @precondition(lambda self: any(i.is_open for i in self.invoices))
    @rule(data=st.data(), amount=cents)
    def pay_one_invoice(self, data: st.DataObject, amount: Decimal) -> None:
        invoice = data.draw(st.sampled_from([i for i in self.invoices if i.is_open]))
        share = data.draw(
            st.decimals(min_value=Decimal("0.01"), max_value=invoice.amount_due, places=2)
        )
        self._pay(max(amount, share), [RequestedAllocation(invoice.id, share)])

    def _pay(self, amount: Decimal, requested: list[RequestedAllocation] | None) -> None:
        self.payments += 1
        Payment.receive(
            self.owner,
            now=NOW,
            amount=amount,
            currency="EUR",
            method="transfer",
            received_on=DAY,
            external_ref=f"VIR-{self.payments}",
            invoices={i.id: i for i in self.invoices if i.is_open},
            requested=requested,
        )
        self.paid += amount

    @precondition(lambda self: bool(self.invoices))
    @rule(data=st.data(), credit_lines=st.lists(lines, min_size=1, max_size=3))
    def credit_lines(self, data: st.DataObject, credit_lines: list[Line]) -> None:
        invoice = data.draw(st.sampled_from(self.invoices))
        self._credit(invoice, credit_lines)

    @precondition(lambda self: bool(self.invoices))
    @rule(data=st.data())
    def credit_in_full(self, data: st.DataObject) -> None:
        invoice = data.draw(st.sampled_from(self.invoices))
        try:
            remainder = invoice.remaining_lines()
        except DomainError:
            return
        self._credit(invoice, remainder)

    def _credit(self, invoice: Invoice, credit_lines: list[Line]) -> None:
        before = (invoice.credited, invoice.amount_due)
        try:
            excess = invoice.credit(credit_lines)
        except DomainError:
            assert (invoice.credited, invoice.amount_due) == before  # refused: nothing changed
            return
        self.owner.add_credit(excess)
        self.credited += Totals.of(credit_lines).gross

    @rule(amount=cents)
    def refund(self, amount: Decimal) -> None:
        before = self.owner.credit_available
        try:
            Refund.issue(
                self.owner,
                now=NOW,
                amount=amount,
                currency="EUR",
                method="transfer",
                issued_on=DAY,
                reason="overpayment",
                request_id=None,
            )
        except DomainError:
            assert amount > before and self.owner.credit_available == before
            return
        self.refunded += amount

    @precondition(lambda self: any(i.is_open for i in self.invoices))
    @rule(data=st.data(), extra=st.sampled_from([Decimal(0), Decimal(0), Decimal("5.00")]))
    def write_off(self, data: st.DataObject, extra: Decimal) -> None:
        invoice = data.draw(st.sampled_from([i for i in self.invoices if i.is_open]))
        amount = invoice.amount_due + extra  # extra: collections saw less than was settled
        self.owner.add_credit(invoice.write_off(amount, DAY))
        self.written_off += amount

    @invariant()
    def balance_identity_holds(self) -> None:
        if not hasattr(self, "owner"):
            return
        balance = Balance(
            invoiced=self.invoiced,
            credited=self.credited,
            paid=self.paid,
            refunded=self.refunded,
            written_off=self.written_off,
            credit_available=self.owner.credit_available,
            open_invoices=[i for i in self.invoices if i.amount_due > 0],
        )
        owed = sum((i.amount_due for i in balance.open_invoices), Decimal(0))
        assert balance.balance == owed - self.owner.credit_available
        assert self.owner.credit_available >= 0

    @invariant()
    def nothing_is_settled_beyond_its_amount(self) -> None:
        for invoice in getattr(self, "invoices", []):
            gross = invoice.totals.gross
            assert 0 <= invoice.amount_due <= gross
            assert invoice.paid + invoice.credit_applied + invoice.written_off <= gross
            assert invoice.credited <= gross
            for rate in invoice.totals.breakdown:
                credited = invoice.credited_by_rate.get(rate.vat_rate)
                if credited is not None:
                    assert 0 <= credited.net <= rate.net and 0 <= credited.vat <= rate.vat


TestCustomerAccount = CustomerAccount.TestCase
TestCustomerAccount.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
