"""The rules of notice delivery: how a notice goes out, when a failed one is tried again, what an
erasure leaves, and contact details learned from events read in any order and more than once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coulisse.collections.domain.delivery import (
    MakeLetter,
    NoticeDelivery,
    SendEmail,
    Undeliverable,
    Wait,
    message_id_of,
    read_status,
    retry_delay,
    route,
)
from coulisse.collections.domain.recipients import NoticeRecipient, PostalAddress, RecipientValue

NOW = datetime(2026, 2, 15, 9, tzinfo=UTC)
ADDRESS = PostalAddress("14 avenue Jean Jaurès", "69007", "Lyon", "FR")


def known(
    *, email: str | None = "a@example.fr", address: PostalAddress | None = ADDRESS
) -> NoticeRecipient:
    return NoticeRecipient(uuid4(), display_name="Lefèvre SARL", email=email, address=address)


def test_each_channel_goes_its_own_way() -> None:
    assert route("email", known(), erased=False) == SendEmail("a@example.fr")
    assert route("letter", known(), erased=False) == MakeLetter()
    assert route("formal_notice", known(email=None), erased=False) == MakeLetter()
    assert isinstance(route("call", known(), erased=False), Undeliverable)
    assert read_status("call", None) == "not_applicable"
    assert read_status("email", None) == "pending"


def test_an_unknown_recipient_waits_and_an_erased_one_is_undeliverable() -> None:
    assert isinstance(route("email", None, erased=False), Wait)
    assert isinstance(route("letter", NoticeRecipient(uuid4(), email="a@b.fr"), erased=False), Wait)
    assert isinstance(route("email", known(), erased=True), Undeliverable)
    assert isinstance(route("email", None, erased=True), Undeliverable)


def test_a_missing_address_makes_the_notice_undeliverable() -> None:
    assert route("email", known(email=None), erased=False) == Undeliverable(
        "the customer has no e-mail address"
    )
    assert route("formal_notice", known(address=None), erased=False) == Undeliverable(
        "the customer has no postal address"
    )


def test_retries_double_up_to_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays[-1] == timedelta(hours=1)
    assert delays == sorted(delays)
    assert retry_delay(10_000) == timedelta(hours=1)


def test_a_failed_attempt_waits_and_a_sent_notice_keeps_its_message() -> None:
    delivery = NoticeDelivery(uuid4())
    assert delivery.due(NOW)
    delivery.failed(NOW, "connection refused")
    delivery.failed(NOW, "connection refused")
    assert delivery.attempts == 2 and delivery.next_attempt_at == NOW + timedelta(seconds=60)
    assert not delivery.due(NOW + timedelta(seconds=59)) and delivery.due(
        NOW + timedelta(seconds=60)
    )
    message_id = message_id_of(delivery.notice_id)
    delivery.sent(NOW, message_id=message_id, message=b"Subject: x\r\n\r\nbody")
    assert (delivery.status, delivery.delivered_at, delivery.message_id) == (
        "sent",
        NOW,
        message_id,
    )
    assert delivery.media_type == "message/rfc822" and delivery.detail is None
    assert not delivery.due(NOW + timedelta(days=1))


def test_an_erasure_removes_the_document_and_keeps_what_happened() -> None:
    delivery = NoticeDelivery(uuid4())
    delivery.ready_to_post(NOW, b"%PDF-1.3 ...")
    delivery.erase()
    assert delivery.document is None and delivery.document_erased
    assert (delivery.status, delivery.delivered_at) == ("ready_to_post", NOW)
    pending = NoticeDelivery(uuid4())
    pending.failed(NOW, "550 <jeanne@example.fr> unknown")
    pending.erase()
    assert pending.detail == "erased" and not pending.document_erased


# -- contact details from events in any order --------------------------------------------------

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)

Statement = tuple[dict[str, RecipientValue], datetime]

STATEMENTS: list[Statement] = [
    (
        {"display_name": "Lefèvre SARL", "email": "compta@lefevre.fr", "address": ADDRESS},
        T0,
    ),  # the registration
    ({"email": "factures@lefevre.fr"}, T0 + timedelta(hours=1)),
    ({"address": PostalAddress("2 rue Neuve", "69001", "Lyon", "FR")}, T0 + timedelta(hours=2)),
    ({"email": None, "phone": "0102030405"}, T0 + timedelta(hours=3)),
    ({"display_name": "Lefèvre & Fils SARL"}, T0 + timedelta(hours=4)),
]


def learned(order: list[int]) -> NoticeRecipient:
    recipient = NoticeRecipient(uuid4())
    for index in order:
        changes, stated_at = STATEMENTS[index]
        recipient.learn(changes, stated_at)
    return recipient


@given(
    st.permutations(range(len(STATEMENTS))),
    st.lists(st.tuples(st.integers(0, len(STATEMENTS) - 1), st.integers(0, 20)), max_size=6),
)
def test_contact_details_do_not_depend_on_the_order_or_repetition_of_events(
    permutation: list[int], repeated: list[tuple[int, int]]
) -> None:
    order = list(permutation)
    for index, position in repeated:  # an event read again, anywhere
        order.insert(position % (len(order) + 1), index)
    expected = learned(list(range(len(STATEMENTS))))
    found = learned(order)
    assert (found.display_name, found.email, found.address) == (
        expected.display_name,
        expected.email,
        expected.address,
    )
    assert (found.display_name, found.email) == ("Lefèvre & Fils SARL", None)
    assert found.address == PostalAddress("2 rue Neuve", "69001", "Lyon", "FR")


@pytest.mark.parametrize("country", ["FR", "BE"])
def test_an_address_abroad_names_its_country(country: str) -> None:
    lines = PostalAddress("1 rue Haute", "1000", "Bruxelles", country, line2="Boîte 3").lines()
    assert lines[:3] == ["1 rue Haute", "Boîte 3", "1000 Bruxelles"]
    assert lines[3:] == ([] if country == "FR" else ["BE"])
