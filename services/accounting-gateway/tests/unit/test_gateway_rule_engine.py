"""The rule engine on the default PCG rules: every entry balances; a bad rule never posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import gateway_samples as samples
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES, load_rulebook
from coulisse.accounting_gateway.domain.posting_rules import (
    AccountRef,
    EntryTemplate,
    RuleBook,
)
from coulisse.accounting_gateway.domain.rule_engine import (
    NoPosting,
    ProposedEntry,
    Refusal,
    translate,
)
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import InvoiceIssued
from coulisse.contracts.collections import ReceivableWrittenOff
from coulisse.contracts.registry import EVENT_TYPES

RULES = load_rulebook(DEFAULT_RULES)
CUSTOMER = uuid4()
DAY = date(2026, 3, 14)

cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
rates = st.sampled_from(
    [Decimal("20.0"), Decimal("10.0"), Decimal("5.5"), Decimal("2.1"), Decimal("0.0")]
)
revenue_accounts = st.sampled_from([None, "706", "7063", "701", "706100", "708"])
sample_lines = st.lists(st.tuples(cents, rates, revenue_accounts), min_size=1, max_size=6)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def invoices(draw: st.DrawFn) -> InvoiceIssued:
    kind = draw(st.sampled_from(["standard", "fee"]))
    lines = draw(sample_lines)
    if kind == "fee":
        lines = [(net, Decimal("0.0"), None) for net, _, _ in lines]
    return samples.invoice(
        customer_id=CUSTOMER,
        account_number=draw(st.sampled_from(["C000001", "C000042", "C123456"])),
        issue_date=draw(days),
        lines=lines,
        kind=kind,
    )


@st.composite
def business_events(draw: st.DrawFn) -> EventPayload:
    original = draw(invoices())
    choice = draw(st.sampled_from(["invoice", "credit", "payment", "refund", "doubtful", "off"]))
    if choice == "invoice":
        return original
    if choice == "credit":
        return samples.credit_note(original, issue_date=draw(days), lines=draw(sample_lines))
    if choice == "payment":
        allocations = [(original, amount) for amount in draw(st.lists(cents, max_size=3))]
        unallocated = draw(st.one_of(st.just(Decimal("0.00")), cents))
        if not allocations and not unallocated:
            unallocated = Decimal("1.00")
        return samples.payment(
            customer_id=CUSTOMER,
            account_number=original.account_number,
            received_on=draw(days),
            allocations=allocations,
            unallocated=unallocated,
        )
    if choice == "refund":
        return samples.refund(
            customer_id=CUSTOMER,
            account_number=original.account_number,
            amount=draw(cents),
            issued_on=draw(days),
        )
    if choice == "doubtful":
        return samples.classified_doubtful(
            [original], amount_gross=draw(cents), classified_on=draw(days)
        )
    return samples.written_off(
        original,
        amount_net=draw(cents),
        amount_vat=draw(st.one_of(st.just(Decimal("0.00")), cents)),
        written_off_on=draw(days),
        was_doubtful=draw(st.booleans()),
        vat_recovered=draw(st.booleans()),
    )


def data(payload: EventPayload) -> dict[str, Any]:
    return payload.model_dump(mode="json")


def propose(payload: EventPayload, rules: RuleBook = RULES) -> ProposedEntry:
    outcome = translate(rules, payload.TYPE, data(payload))
    assert isinstance(outcome, ProposedEntry), outcome
    return outcome


def amounts(entry: ProposedEntry) -> dict[tuple[str, str | None], tuple[Decimal, Decimal]]:
    found: dict[tuple[str, str | None], tuple[Decimal, Decimal]] = {}
    for line in entry.lines:
        debit, credit = found.get((line.account, line.auxiliary_account), (Decimal(0), Decimal(0)))
        found[(line.account, line.auxiliary_account)] = (debit + line.debit, credit + line.credit)
    return found


@settings(max_examples=400, deadline=None)
@given(business_events())
def test_every_entry_from_a_valid_event_balances(payload: EventPayload) -> None:
    entry = propose(payload)
    assert entry.total_debit == entry.total_credit > 0
    assert len(entry.lines) >= 2
    for line in entry.lines:
        assert (line.debit > 0) != (line.credit > 0)
        assert line.debit == line.debit.quantize(Decimal("0.01"))
        assert RULES.chart.knows(line.account)
        if line.account in ("411", "416"):
            assert line.auxiliary_account == payload.model_dump()["account_number"]


@settings(max_examples=200, deadline=None)
@given(invoices())
def test_an_invoice_debits_the_customer_and_credits_revenue_and_vat(
    invoice: InvoiceIssued,
) -> None:
    entry = propose(invoice)
    assert entry.journal_code == "VT" and entry.document_date == invoice.issue_date
    booked = amounts(entry)
    assert booked[("411", invoice.account_number)] == (invoice.total_gross, Decimal(0))
    vat = booked.get(("44571", None), (Decimal(0), Decimal(0)))[1]
    assert vat == invoice.total_vat
    revenue = sum(credit for (account, _), (_, credit) in booked.items() if account[0] == "7")
    assert revenue == invoice.total_net
    if invoice.kind == "fee":
        assert {account for account, _ in booked} == {"411", "7631"}


def test_a_standard_invoice_with_two_rates_and_accounts() -> None:
    invoice = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=DAY,
        lines=[
            (Decimal("100.00"), Decimal("20.0"), None),
            (Decimal("50.00"), Decimal("5.5"), "7063"),
            (Decimal("10.00"), Decimal("20.0"), None),
        ],
        number="F2026-000123",
    )
    entry = propose(invoice)
    assert entry.piece_ref == "F2026-000123"
    assert entry.label == "Facture F2026-000123 C000042"
    lines = [(ln.account, ln.auxiliary_account, ln.debit, ln.credit) for ln in entry.lines]
    assert lines == [
        ("411", "C000042", Decimal("184.75"), Decimal("0.00")),
        ("706", None, Decimal("0.00"), Decimal("110.00")),
        ("7063", None, Decimal("0.00"), Decimal("50.00")),
        ("44571", None, Decimal("0.00"), Decimal("2.75")),
        ("44571", None, Decimal("0.00"), Decimal("22.00")),
    ]
    assert entry.lines[0].matches == (str(invoice.invoice_id),)


def test_a_payment_has_one_receivable_line_per_allocation() -> None:
    a = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C1",
        issue_date=DAY,
        lines=[(Decimal("10.00"), Decimal("0.0"), None)],
    )
    b = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C1",
        issue_date=DAY,
        lines=[(Decimal("20.00"), Decimal("0.0"), None)],
        number="F2",
    )
    paid = samples.payment(
        customer_id=CUSTOMER,
        account_number="C1",
        received_on=DAY,
        allocations=[(a, Decimal("10.00")), (b, Decimal("5.00"))],
        unallocated=Decimal("2.50"),
    )
    entry = propose(paid)
    assert entry.journal_code == "BQ"
    assert [(ln.account, ln.debit, ln.credit, ln.matches) for ln in entry.lines] == [
        ("512", Decimal("17.50"), Decimal("0.00"), ()),
        ("411", Decimal("0.00"), Decimal("10.00"), (str(a.invoice_id),)),
        ("411", Decimal("0.00"), Decimal("5.00"), (str(b.invoice_id),)),
        ("411", Decimal("0.00"), Decimal("2.50"), ()),
    ]


def _write_off(*, was_doubtful: bool, vat_recovered: bool) -> ReceivableWrittenOff:
    original = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C7",
        issue_date=DAY,
        lines=[(Decimal("100.00"), Decimal("20.0"), None)],
        number="F2026-000777",
    )
    return samples.written_off(
        original,
        amount_net=Decimal("100.00"),
        amount_vat=Decimal("20.00"),
        written_off_on=DAY,
        was_doubtful=was_doubtful,
        vat_recovered=vat_recovered,
        reason="liquidation" if vat_recovered else "commercial",
    )


@pytest.mark.parametrize("was_doubtful, receivable", [(True, "416"), (False, "411")])
def test_a_write_off_recovering_vat_books_the_net_loss_and_the_vat(
    was_doubtful: bool, receivable: str
) -> None:
    off = _write_off(was_doubtful=was_doubtful, vat_recovered=True)
    entry = propose(off)
    assert (entry.journal_code, entry.document_date, entry.piece_ref) == ("OD", DAY, "F2026-000777")
    assert entry.label == "Créance irrécouvrable F2026-000777 C7"
    assert [(ln.account, ln.auxiliary_account, ln.debit, ln.credit) for ln in entry.lines] == [
        ("654", None, Decimal("100.00"), Decimal("0.00")),
        ("44571", None, Decimal("20.00"), Decimal("0.00")),
        (receivable, "C7", Decimal("0.00"), Decimal("120.00")),
    ]
    assert entry.lines[2].matches == (str(off.invoice_id),)


@pytest.mark.parametrize("was_doubtful, receivable", [(True, "416"), (False, "411")])
def test_a_write_off_without_vat_recovery_books_the_gross_loss_and_no_vat(
    was_doubtful: bool, receivable: str
) -> None:
    off = _write_off(was_doubtful=was_doubtful, vat_recovered=False)
    entry = propose(off)
    assert (entry.journal_code, entry.document_date, entry.piece_ref) == ("OD", DAY, "F2026-000777")
    assert entry.label == "Perte sur créance F2026-000777 C7 sans récupération de TVA"
    assert [(ln.account, ln.auxiliary_account, ln.debit, ln.credit) for ln in entry.lines] == [
        ("654", None, Decimal("120.00"), Decimal("0.00")),
        (receivable, "C7", Decimal("0.00"), Decimal("120.00")),
    ]
    assert entry.lines[1].matches == (str(off.invoice_id),)


@pytest.mark.parametrize("was_doubtful", [True, False])
def test_a_write_off_written_before_vat_recovered_existed_recovers_the_vat(
    was_doubtful: bool,
) -> None:
    recovering = _write_off(was_doubtful=was_doubtful, vat_recovered=True)
    old = {k: v for k, v in data(recovering).items() if k != "vat_recovered"}
    outcome = translate(RULES, recovering.TYPE, old)
    assert isinstance(outcome, ProposedEntry), outcome
    assert outcome == propose(recovering)
    assert [ln.account for ln in outcome.lines][:2] == ["654", "44571"]


def test_a_discount_line_lands_on_the_other_side() -> None:
    invoice = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C1",
        issue_date=DAY,
        lines=[
            (Decimal("100.00"), Decimal("0.0"), None),
            (Decimal("-30.00"), Decimal("0.0"), "708"),
        ],
    )
    entry = propose(invoice)
    assert ("708", Decimal("30.00"), Decimal("0.00")) in [
        (ln.account, ln.debit, ln.credit) for ln in entry.lines
    ]
    assert entry.total_debit == entry.total_credit == Decimal("100.00")


def test_every_consumed_event_type_has_a_rule() -> None:
    consumed = [t for t in EVENT_TYPES if t.split(".")[0] in ("billing", "collections", "customer")]
    assert consumed and all(RULES.rule_for(t) is not None for t in consumed)
    notice = EVENT_TYPES["collections.dunning.notice_sent.v1"]
    assert RULES.rule_for(notice.TYPE).no_posting  # type: ignore[union-attr]


def test_no_rule_no_case_and_bad_data_are_refusals() -> None:
    assert translate(RULES, "billing.unknown.fact.v1", {}) == Refusal(
        "no_rule", "no posting rule for billing.unknown.fact.v1 in rules pcg-2026.2"
    )
    invoice = data(
        samples.invoice(
            customer_id=CUSTOMER,
            account_number="C1",
            issue_date=DAY,
            lines=[(Decimal("1.00"), Decimal("0.0"), None)],
        )
    )
    assert isinstance(
        translate(RULES, "billing.invoice.issued.v1", {**invoice, "kind": "x"}), Refusal
    )
    float_amount = {**invoice, "total_gross": 1.0}
    refused = translate(RULES, "billing.invoice.issued.v1", float_amount)
    assert isinstance(refused, Refusal) and refused.kind == "bad_data"
    assert isinstance(translate(RULES, "customer.request.opened.v1", {}), NoPosting)


def test_an_inconsistent_event_is_refused_as_unbalanced() -> None:
    invoice = data(
        samples.invoice(
            customer_id=CUSTOMER,
            account_number="C1",
            issue_date=DAY,
            lines=[(Decimal("10.00"), Decimal("20.0"), None)],
        )
    )
    invoice["total_gross"] = "12.01"
    refused = translate(RULES, "billing.invoice.issued.v1", invoice)
    assert isinstance(refused, Refusal) and refused.kind == "unbalanced"


def test_an_unknown_revenue_account_is_refused() -> None:
    invoice = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C1",
        issue_date=DAY,
        lines=[(Decimal("10.00"), Decimal("0.0"), "999")],
    )
    refused = translate(RULES, invoice.TYPE, data(invoice))
    assert isinstance(refused, Refusal) and refused.kind == "unknown_account"


def _mutated(event_type: str, mutate: Any) -> RuleBook:
    # The rules file refuses an unknown journal or literal account; the engine must still answer
    # a refusal for any rule book it is handed, so the rule objects are broken directly.
    rule = RULES.rules[event_type]
    broken = replace(rule, cases=tuple(mutate(case) for case in rule.cases))
    return replace(RULES, rules={**RULES.rules, event_type: broken})


def _unknown_account(case: EntryTemplate) -> EntryTemplate:
    first = replace(case.lines[0], account=AccountRef(literal="999999"))
    return replace(case, lines=(first, *case.lines[1:]))


def _duplicated_first_line(case: EntryTemplate) -> EntryTemplate:
    return replace(case, lines=(*case.lines, case.lines[0]))


def _unknown_journal(case: EntryTemplate) -> EntryTemplate:
    return replace(case, journal="ZZ")


@settings(max_examples=300, deadline=None)
@given(
    business_events(),
    st.sampled_from(
        [
            (_unknown_account, "unknown_account"),
            (_duplicated_first_line, "unbalanced"),
            (_unknown_journal, "unknown_journal"),
        ]
    ),
)
def test_a_bad_rule_is_refused_never_proposed(payload: EventPayload, fault: Any) -> None:
    mutate, kind = fault
    rules = _mutated(payload.TYPE, mutate)
    outcome = translate(rules, payload.TYPE, data(payload))
    assert isinstance(outcome, Refusal), outcome
    assert outcome.kind == kind


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.text(max_size=5) | st.integers(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=12), c, max_size=4),
        max_leaves=20,
    ),
    st.sampled_from(sorted(RULES.rules)),
)
def test_any_payload_gives_an_answer_never_an_exception(junk: Any, event_type: str) -> None:
    payload = junk if isinstance(junk, dict) else {"value": junk}
    outcome = translate(RULES, event_type, payload)
    assert isinstance(outcome, ProposedEntry | NoPosting | Refusal)
    if isinstance(outcome, ProposedEntry):
        assert outcome.total_debit == outcome.total_credit
