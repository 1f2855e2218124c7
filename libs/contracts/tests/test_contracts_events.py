"""Every event type: an example as it travels on the wire, read and written back unchanged."""

import json
from typing import Any, ClassVar
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from coulisse.contracts import EVENT_TYPES, TOPICS, EventPayload, UnknownEventType, parse_data
from coulisse.contracts.compat import incompatibilities
from coulisse.contracts.customer import CustomerUpdated, RequestOpened
from coulisse.contracts.registry import build_registry, model_for
from coulisse.contracts.schemas import json_schema
from coulisse.contracts.topics import BILLING_EVENTS, dlq_topic

CUSTOMER = "6f1c3b52-9a0e-4d8e-9a56-2f1f4b1a7c01"
INVOICE = "0b9e4f0c-3c43-4f5e-8f0e-6a4c1d2e3f40"
OTHER = "a3d2c1b0-1111-4222-8333-944455556666"

LINE = {
    "description": "Abonnement mensuel",
    "quantity": "2",
    "unit_price": "50.00",
    "vat_rate": "20.0",
    "net": "100.00",
    "vat": "20.00",
    "revenue_account": "706000",
}
VAT = [{"vat_rate": "20.0", "net": "100.00", "vat": "20.00"}]
TOTALS = {"total_net": "100.00", "total_vat": "20.00", "total_gross": "120.00"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "customer.customer.registered.v1": {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "kind": "company",
        "display_name": "Boulangerie Martin",
        "email": "compta@martin.fr",
        "phone": "+33140000000",
        "country": "FR",
        "vat_number": "FR44732829320",
        "siren": "732829320",
        "payment_terms_days": 30,
        "address": {
            "line1": "3 rue des Lilas",
            "line2": None,
            "postal_code": "75020",
            "city": "Paris",
            "country": "FR",
        },
    },
    "customer.customer.updated.v1": {
        "customer_id": CUSTOMER,
        "changed": ["email", "phone"],
        "display_name": None,
        "email": "new@martin.fr",
        "phone": None,
        "country": None,
        "vat_number": None,
        "siren": None,
        "payment_terms_days": None,
        "address": None,
    },
    "customer.customer.registered.v2": {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "kind": "company",
        "country": "FR",
        "vat_number": "FR44732829320",
        "siren": "732829320",
        "payment_terms_days": 30,
        "personal": {
            "algorithm": "AES-256-GCM",
            "key_id": OTHER,
            "fields": ["address", "display_name", "email", "phone"],
            "nonce": "q83vEjRWeJCrze8S",
            "ciphertext": "3q2+7wAAAAAAAAAAAAAAAA==",
        },
    },
    "customer.customer.updated.v2": {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "changed": ["email", "payment_terms_days"],
        "country": None,
        "vat_number": None,
        "siren": None,
        "payment_terms_days": 45,
        "personal": {
            "algorithm": "AES-256-GCM",
            "key_id": OTHER,
            "fields": ["email"],
            "nonce": "q83vEjRWeJCrze8S",
            "ciphertext": "3q2+7wAAAAAAAAAAAAAAAA==",
        },
    },
    "customer.customer.erased.v1": {"customer_id": CUSTOMER, "account_number": "C000042"},
    "customer.request.opened.v1": {
        "request_id": OTHER,
        "customer_id": CUSTOMER,
        "category": "refund",
        "subject": "Trop-perçu sur F2026-000012",
        "invoice_id": INVOICE,
        "opened_at": "2026-03-02T09:15:00Z",
        "due_at": "2026-03-07T09:15:00Z",
    },
    "customer.request.status_changed.v1": {
        "request_id": OTHER,
        "customer_id": CUSTOMER,
        "status": "resolved",
        "changed_at": "2026-03-03T10:00:00Z",
        "resolution": "Remboursé par virement",
    },
    "billing.invoice.issued.v1": {
        "invoice_id": INVOICE,
        "number": "F2026-000123",
        "kind": "standard",
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "currency": "EUR",
        "lines": [LINE],
        "vat_breakdown": VAT,
        **TOTALS,
    },
    "billing.credit_note.issued.v1": {
        "credit_note_id": OTHER,
        "number": "A2026-000007",
        "invoice_id": INVOICE,
        "invoice_number": "F2026-000123",
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "issue_date": "2026-03-05",
        "reason": "Erreur de quantité",
        "lines": [LINE],
        "vat_breakdown": VAT,
        **TOTALS,
    },
    "billing.payment.received.v1": {
        "payment_id": OTHER,
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "amount": "150.00",
        "currency": "EUR",
        "method": "transfer",
        "received_on": "2026-03-20",
        "external_ref": "VIR-20260320-0001",
        "allocations": [
            {"invoice_id": INVOICE, "invoice_number": "F2026-000123", "amount": "120.00"}
        ],
        "unallocated": "30.00",
    },
    "billing.refund.issued.v1": {
        "refund_id": OTHER,
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "amount": "30.00",
        "currency": "EUR",
        "method": "transfer",
        "issued_on": "2026-03-25",
        "reason": "overpayment",
        "request_id": None,
    },
    "collections.dunning.notice_sent.v1": {
        "notice_id": OTHER,
        "customer_id": CUSTOMER,
        "level": 2,
        "level_name": "Second reminder",
        "invoice_ids": [INVOICE],
        "amount_due": "120.00",
        "sent_on": "2026-04-15",
        "channel": "letter",
    },
    "collections.fee.assessed.v1": {
        "fee_id": OTHER,
        "customer_id": CUSTOMER,
        "invoice_id": INVOICE,
        "kind": "recovery_indemnity",
        "amount": "40.00",
        "assessed_on": "2026-04-15",
    },
    "collections.promise.recorded.v1": {
        "promise_id": OTHER,
        "customer_id": CUSTOMER,
        "amount": "60.00",
        "promised_on": "2026-04-30",
        "request_id": None,
    },
    "collections.payment_plan.agreed.v1": {
        "plan_id": OTHER,
        "customer_id": CUSTOMER,
        "invoice_ids": [INVOICE],
        "installments": [
            {"due_date": "2026-05-05", "amount": "60.00"},
            {"due_date": "2026-06-05", "amount": "60.00"},
        ],
    },
    "collections.payment_plan.breached.v1": {
        "plan_id": OTHER,
        "customer_id": CUSTOMER,
        "missed_installment_due_date": "2026-06-05",
    },
    "collections.dispute.opened.v1": {
        "dispute_id": OTHER,
        "customer_id": CUSTOMER,
        "invoice_id": INVOICE,
        "reason": "Service non rendu",
    },
    "collections.dispute.resolved.v1": {
        "dispute_id": OTHER,
        "customer_id": CUSTOMER,
        "invoice_id": INVOICE,
        "outcome": "rejected",
    },
    "collections.receivable.classified_doubtful.v1": {
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "invoice_ids": [INVOICE],
        "amount_gross": "120.00",
        "classified_on": "2026-07-01",
    },
    "collections.receivable.written_off.v1": {
        "write_off_id": OTHER,
        "customer_id": CUSTOMER,
        "account_number": "C000042",
        "invoice_id": INVOICE,
        "invoice_number": "F2026-000123",
        "amount_net": "100.00",
        "amount_vat": "20.00",
        "amount_gross": "120.00",
        "written_off_on": "2026-12-31",
        "reason": "Liquidation judiciaire",
        "was_doubtful": True,
        "vat_recovered": True,
    },
    "collections.promise.kept.v1": {
        "promise_id": OTHER,
        "customer_id": CUSTOMER,
        "amount": "60.00",
        "promised_on": "2026-04-30",
        "paid": "60.00",
    },
    "collections.promise.broken.v1": {
        "promise_id": OTHER,
        "customer_id": CUSTOMER,
        "amount": "60.00",
        "promised_on": "2026-04-30",
        "paid": "25.00",
    },
    "collections.payment_plan.completed.v1": {
        "plan_id": OTHER,
        "customer_id": CUSTOMER,
        "completed_on": "2026-06-05",
    },
    "collections.insolvency.recorded.v1": {
        "customer_id": CUSTOMER,
        "kind": "receivership",
        "opened_on": "2026-06-20",
    },
    "collections.fee.waived.v1": {
        "waiver_id": OTHER,
        "customer_id": CUSTOMER,
        "invoice_id": INVOICE,
        "kind": "late_interest",
        "reason": "goodwill after a delivery delay",
        "waived_on": "2026-06-22",
    },
    "accounting.entry.posted.v1": {
        "entry_id": OTHER,
        "journal_code": "VT",
        "entry_number": "VT-2026-000001",
        "entry_date": "2026-03-01",
        "source_event_id": INVOICE,
        "source_event_type": "billing.invoice.issued.v1",
        "lines": [
            {
                "account": "411000",
                "auxiliary_account": "C000042",
                "label": "F2026-000123",
                "debit": "120.00",
                "credit": "0.00",
            },
            {
                "account": "706000",
                "auxiliary_account": None,
                "label": "F2026-000123",
                "debit": "0.00",
                "credit": "100.00",
            },
            {
                "account": "445710",
                "auxiliary_account": None,
                "label": "F2026-000123",
                "debit": "0.00",
                "credit": "20.00",
            },
        ],
        "manual": False,
    },
    "accounting.event.suspended.v1": {
        "source_event_id": INVOICE,
        "source_event_type": "billing.invoice.issued.v1",
        "error": "no revenue account for VAT rate 5.5",
    },
    "accounting.period.closed.v1": {
        "period": "2026-03",
        "closed_at": "2026-04-10T17:30:00Z",
        "entry_count": 1245,
    },
    # A customers row: its key is the customer id.
    **{
        f"{service}.database.out_of_band_write.v1": {
            "table": "customers",
            "operation": "UPDATE",
            "row_key": CUSTOMER,
            "db_role": "alice",
            "at": "2026-03-02T09:15:00.123456Z",
            "customer_id": CUSTOMER,
        }
        for service in ("customer", "billing", "collections")
    },
    "accounting.database.out_of_band_write.v1": {
        "table": "line_matches",
        "operation": "DELETE",
        "row_key": f"{OTHER}/F2026-000123",
        "db_role": "alice",
        "at": "2026-03-02T09:15:00Z",
        "customer_id": None,
    },
}


def test_every_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_event_round_trips_through_json_unchanged(event_type: str) -> None:
    wire = json.dumps(EXAMPLES[event_type])
    payload = parse_data(event_type, json.loads(wire))
    assert type(payload) is EVENT_TYPES[event_type]
    assert event_type == payload.TYPE
    assert json.loads(payload.model_dump_json()) == EXAMPLES[event_type]
    assert type(payload).model_validate_json(payload.model_dump_json()) == payload


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_event_as_written_matches_its_published_schema(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    written = json.loads(model.model_validate(EXAMPLES[event_type]).model_dump_json())
    validator = Draft202012Validator(json_schema(model), format_checker=FormatChecker())
    assert list(validator.iter_errors(written)) == []


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_event_declares_where_it_goes(event_type: str) -> None:
    payload = parse_data(event_type, EXAMPLES[event_type])
    assert payload.TOPIC in {topic.name for topic in TOPICS}
    assert payload.TOPIC.split(".")[0] == event_type.split(".")[0]
    assert payload.subject == str(EXAMPLES[event_type][payload.SUBJECT_FIELD])
    assert payload.partition_key == str(EXAMPLES[event_type][payload.PARTITION_KEY_FIELD])
    if payload.TOPIC != "accounting.events":
        assert payload.partition_key == CUSTOMER


def test_an_out_of_band_write_is_about_its_row_and_keyed_by_its_customer_when_known() -> None:
    event_type = "billing.database.out_of_band_write.v1"
    on_invoice = {**EXAMPLES[event_type], "table": "invoices", "row_key": INVOICE}
    invoice = parse_data(event_type, on_invoice)
    assert (invoice.subject, invoice.partition_key) == (INVOICE, CUSTOMER)
    counter = parse_data(event_type, {**on_invoice, "row_key": "F/2026", "customer_id": None})
    assert (counter.subject, counter.partition_key) == ("F/2026", "F/2026")
    # The record key is cut to what the outbox holds; the subject keeps the whole key.
    long = parse_data(event_type, {**on_invoice, "row_key": "x" * 300, "customer_id": None})
    assert (len(long.subject), len(long.partition_key)) == (300, 200)
    with pytest.raises(ValidationError):
        parse_data(event_type, {**on_invoice, "operation": "TRUNCATE"})
    # Every service's event has the same payload.
    shapes = {
        json.dumps(json_schema(model)["properties"], sort_keys=True)
        for t, model in EVENT_TYPES.items()
        if t.endswith(".database.out_of_band_write.v1")
    }
    assert len(shapes) == 1


def test_money_in_events_is_decimal_and_floats_are_refused() -> None:
    example = EXAMPLES["billing.payment.received.v1"]
    payment = parse_data("billing.payment.received.v1", example)
    assert str(getattr(payment, "amount")) == "150.00"  # noqa: B009
    with pytest.raises(ValidationError):
        parse_data("billing.payment.received.v1", {**example, "amount": 150.0})


def test_unknown_fields_are_ignored_so_producers_may_add_optional_ones() -> None:
    example = {**EXAMPLES["collections.fee.assessed.v1"], "added_later": "x"}
    fee = parse_data("collections.fee.assessed.v1", example)
    assert "added_later" not in fee.model_dump()


def test_enumerations_refuse_unknown_values() -> None:
    for event_type, field, value in [
        ("customer.request.opened.v1", "category", "complaint"),
        ("collections.dunning.notice_sent.v1", "level", 5),
        ("billing.payment.received.v1", "method", "bitcoin"),
        ("accounting.period.closed.v1", "period", "2026-13"),
        ("collections.insolvency.recorded.v1", "kind", "bankruptcy"),
    ]:
        with pytest.raises(ValidationError):
            parse_data(event_type, {**EXAMPLES[event_type], field: value})


def test_a_write_off_written_before_vat_recovered_existed_reads_as_recovering_vat() -> None:
    # Every write-off booked before the field existed recovered the VAT: the default says so.
    event_type = "collections.receivable.written_off.v1"
    old = {k: v for k, v in EXAMPLES[event_type].items() if k != "vat_recovered"}
    assert parse_data(event_type, old).model_dump()["vat_recovered"] is True
    without_recovery = parse_data(event_type, {**old, "vat_recovered": False})
    assert without_recovery.model_dump()["vat_recovered"] is False
    with pytest.raises(ValidationError):
        parse_data(event_type, {**old, "vat_recovered": None})


def test_vat_recovered_is_a_compatible_addition_to_the_written_off_schema() -> None:
    # The schema as published before the field: the current one without it.
    current = json_schema(EVENT_TYPES["collections.receivable.written_off.v1"])
    before = {**current, "properties": dict(current["properties"])}
    del before["properties"]["vat_recovered"]
    assert "vat_recovered" not in current["required"]
    assert incompatibilities(before, current) == []
    assert incompatibilities(current, before) == ["vat_recovered: field removed"]


def test_unknown_event_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownEventType, match=r"billing\.invoice\.issued\.v9") as caught:
        parse_data("billing.invoice.issued.v9", {})
    assert caught.value.event_type == "billing.invoice.issued.v9"
    assert isinstance(caught.value, LookupError)
    with pytest.raises(UnknownEventType):
        model_for("")


def test_request_title_keeps_its_wire_name_without_hiding_the_envelope_subject() -> None:
    opened = RequestOpened.model_validate(EXAMPLES["customer.request.opened.v1"])
    assert opened.subject == OTHER
    assert opened.subject_line == "Trop-perçu sur F2026-000012"
    assert opened.model_dump(mode="json")["subject"] == "Trop-perçu sur F2026-000012"
    assert "subject_line" not in opened.model_dump(mode="json")


def test_customer_updated_lists_the_new_values_it_knows() -> None:
    updated = CustomerUpdated.model_validate(
        {**EXAMPLES["customer.customer.updated.v1"], "changed": ["email", "phone", "iban"]}
    )
    assert updated.changes() == {"email": "new@martin.fr", "phone": None}
    with pytest.raises(ValidationError):
        CustomerUpdated.model_validate({"customer_id": CUSTOMER, "changed": []})


def test_a_type_declared_twice_is_refused() -> None:
    model = EVENT_TYPES["billing.invoice.issued.v1"]

    class Impostor(EventPayload):
        TYPE: ClassVar[str] = "billing.invoice.issued.v1"
        TOPIC: ClassVar[str] = BILLING_EVENTS
        SUBJECT_FIELD: ClassVar[str] = "invoice_id"

        invoice_id: UUID
        customer_id: UUID

    with pytest.raises(ValueError, match="declared twice"):
        build_registry([model, Impostor])


@pytest.mark.parametrize(
    ("declaration", "error"),
    [
        ({"TYPE": "billing.invoice.issued", "SUBJECT_FIELD": "invoice_id"}, "TYPE"),
        ({"TYPE": "customer.invoice.issued.v1", "SUBJECT_FIELD": "invoice_id"}, "belong"),
        ({"TYPE": "billing.invoice.issued.v1", "SUBJECT_FIELD": "missing"}, "SUBJECT_FIELD"),
        ({"TYPE": "billing.invoice.issued.v1"}, "must set SUBJECT_FIELD"),
    ],
)
def test_a_wrong_declaration_fails_at_import(declaration: dict[str, str], error: str) -> None:
    namespace: dict[str, Any] = {
        "__annotations__": {"invoice_id": UUID, "customer_id": UUID},
        "TOPIC": BILLING_EVENTS,
        **declaration,
    }
    with pytest.raises(TypeError, match=error):
        type("Wrong", (EventPayload,), namespace)


def test_a_field_named_like_an_envelope_property_is_refused() -> None:
    with pytest.raises(TypeError, match="subject"), pytest.warns(UserWarning, match="shadows"):
        type(
            "Shadowing",
            (EventPayload,),
            {
                "__annotations__": {"customer_id": UUID, "subject": str},
                "TYPE": "billing.invoice.issued.v1",
                "TOPIC": BILLING_EVENTS,
                "SUBJECT_FIELD": "customer_id",
            },
        )


def test_dead_letter_topic_is_named_after_the_consumer_group() -> None:
    assert dlq_topic("accounting-gateway") == "accounting-gateway.dlq"
    with pytest.raises(ValueError):
        dlq_topic("")
