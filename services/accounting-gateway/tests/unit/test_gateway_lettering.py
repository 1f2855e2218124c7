"""Lettering: settled groups balance; codes run AA, AB, … per auxiliary account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from coulisse.accounting_gateway.domain.lettering import OpenItem, letter_code, settled_groups

DAY = date(2026, 4, 1)


def item(
    debit: str, credit: str, *keys: str, account: str = "411", aux: str = "C1", day: date = DAY
) -> OpenItem:
    return OpenItem(uuid4(), account, aux, Decimal(debit), Decimal(credit), day, frozenset(keys))


def test_codes() -> None:
    assert [letter_code(i) for i in (0, 1, 25, 26, 675, 676, 677)] == [
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "AAB",
    ]
    assert len({letter_code(i) for i in range(2000)}) == 2000


def test_an_invoice_settled_by_two_payments_is_lettered_at_the_last_one() -> None:
    invoice = item("120.00", "0.00", "inv")
    first = item("0.00", "100.00", "inv")
    assert settled_groups([invoice, first]) == []
    second = item("0.00", "20.00", "inv", day=date(2026, 5, 3))
    [group] = settled_groups([invoice, first, second])
    assert set(group.line_ids) == {invoice.line_id, first.line_id, second.line_id}
    assert group.lettered_on == date(2026, 5, 3) and group.auxiliary_account == "C1"


def test_a_credit_note_and_a_payment_settle_together() -> None:
    lines = [
        item("120.00", "0.00", "inv"),
        item("0.00", "20.00", "inv"),
        item("0.00", "100.00", "inv"),
    ]
    assert len(settled_groups(lines)) == 1


def test_a_classification_links_several_invoices() -> None:
    a, b = item("100.00", "0.00", "a"), item("50.00", "0.00", "b")
    paid = item("0.00", "30.00", "a")
    moved = item("0.00", "120.00", "a", "b")
    [group] = settled_groups([a, b, paid, moved])
    assert len(group.line_ids) == 4
    # On 416 the classification and the write-off letter each other.
    doubtful = item("120.00", "0.00", "a", "b", account="416")
    off = item("0.00", "120.00", "a", account="416")
    groups = settled_groups([a, b, paid, moved, doubtful, off])
    assert {g.account for g in groups} == {"411", "416"}


def test_an_overpaid_invoice_is_not_lettered_and_other_customers_never_mix() -> None:
    assert settled_groups([item("100.00", "0.00", "x"), item("0.00", "120.00", "x")]) == []
    assert (
        settled_groups([item("100.00", "0.00", "x"), item("0.00", "100.00", "x", aux="C2")]) == []
    )


amounts = st.integers(1, 100_000).map(lambda c: Decimal(c) / 100)


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), amounts, st.booleans()), max_size=12)
)
def test_every_lettered_group_balances(specs: list[tuple[str, Decimal, bool]]) -> None:
    items = [
        item(str(amount) if debit else "0.00", "0.00" if debit else str(amount), key)
        for key, amount, debit in specs
    ]
    seen: set[UUID] = set()
    by_id = {i.line_id: i for i in items}
    for group in settled_groups(items):
        members = [by_id[line_id] for line_id in group.line_ids]
        assert sum(m.debit for m in members) == sum(m.credit for m in members) > 0
        assert seen.isdisjoint(group.line_ids)
        seen.update(group.line_ids)
