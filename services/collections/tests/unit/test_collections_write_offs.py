"""Write-offs: what remains due, split between net and VAT in the invoice's proportion."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast
from uuid import uuid4

import pytest
from collections_factories import customer, day, pay, receivable

from coulisse.collections.domain.disputes import Dispute
from coulisse.collections.domain.receivables import Receivable, ReceivableBook
from coulisse.collections.domain.write_offs import WriteOff
from coulisse.contracts.collections import ReceivableWrittenOff
from coulisse.platform.domain import Conflict, InvalidInput


def test_what_remains_due_is_written_off_net_and_vat_alike() -> None:
    target = receivable("1200.00", vat="200.00")
    pay(target, "600.00", day(5))
    write_off = WriteOff.decide(target, account_number="C000042", reason="liquidation", on=day(200))
    [event] = write_off.pull_events()
    assert isinstance(event, ReceivableWrittenOff)
    assert (event.amount_net, event.amount_vat, event.amount_gross) == (
        Decimal("500.00"),
        Decimal("100.00"),
        Decimal("600.00"),
    )
    assert (event.invoice_id, event.invoice_number, event.account_number) == (
        target.invoice_id,
        "F2026-000001",
        "C000042",
    )
    assert (event.reason, event.written_off_on, event.was_doubtful) == (
        "liquidation",
        day(200),
        False,
    )
    assert write_off.vat_recovered and event.vat_recovered
    assert target.settled and target.written_off == Decimal("600.00")


def test_the_vat_share_is_rounded_half_up_and_net_takes_the_rest() -> None:
    target = receivable("100.00", vat="16.67")
    pay(target, "66.67", day(5))
    write_off = WriteOff.decide(target, account_number="C000042", reason="small_balance", on=day(9))
    # 33.33 × 16.67 / 100 = 5.556… → 5.56
    assert (write_off.amount_vat, write_off.amount_net) == (Decimal("5.56"), Decimal("27.77"))
    [event] = write_off.pull_events()
    assert not write_off.vat_recovered
    assert isinstance(event, ReceivableWrittenOff) and event.vat_recovered is False


def test_a_doubtful_receivable_says_so_when_written_off() -> None:
    owner = customer()
    target = receivable("300.00", owner=owner)
    owner.classify_doubtful([target], on=day(40))
    write_off = WriteOff.decide(target, account_number="C000042", reason="commercial", on=day(90))
    assert write_off.was_doubtful and not write_off.vat_recovered


def test_the_write_off_read_back_from_the_topic_counts_once() -> None:
    target = receivable("300.00")
    book = ReceivableBook({target.invoice_id: target})
    [event] = WriteOff.decide(
        target, account_number="C000042", reason="debtor_gone", on=day(90)
    ).pull_events()
    assert book.apply(event) == []
    assert target.written_off == Decimal("300.00")


def test_a_write_off_needs_something_due_a_known_invoice_no_dispute_and_a_reason() -> None:
    paid = receivable("10.00")
    pay(paid, "10.00", day(1))
    disputed = receivable("10.00")
    Dispute.open(disputed, reason="Wrong price", opened_on=day(2))
    unknown = Receivable(invoice_id=uuid4(), customer_id=uuid4())
    for target in (paid, disputed, unknown):
        with pytest.raises(Conflict) as refused:
            WriteOff.decide(target, account_number="C000042", reason="commercial", on=day(9))
        assert refused.value.field == "invoice_id"
    with pytest.raises(InvalidInput) as wrong:
        WriteOff.decide(
            receivable(), account_number="C000042", reason=cast(Any, "bored"), on=day(9)
        )
    assert wrong.value.field == "reason"
