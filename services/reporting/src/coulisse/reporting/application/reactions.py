"""What each consumed event changes in the read model.

`record` is the one reaction: it appends the event to the timeline (once: an event already
there changes nothing) and applies its projections (the 360° view's here, the reports' in
`facts`). Customer registrations and updates come
with their personal fields already opened by the consumer (`CustomerDetails`, `CustomerChanges`).
"""

from __future__ import annotations

from typing import Any

from coulisse.contracts import billing, collections, customer
from coulisse.contracts.base import EventPayload
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.personal_data import CustomerChanges, CustomerDetails

from ..adapters.repositories import ZERO, ReadModelStore
from ..adapters.uow import ReportingUnitOfWork
from ..domain import profiles
from ..domain.timeline import customer_of, summary, trace_id_of
from .facts import record_facts

CustomerData = CustomerDetails | CustomerChanges | None


async def record(
    event: IncomingEvent, uow: ReportingUnitOfWork, opened: CustomerData = None
) -> None:
    store = uow.read_model
    if await store.seen(event.id):
        return  # read before: by this consumer, or by the rebuild that made these tables
    envelope = event.envelope
    await store.append(
        event_id=event.id,
        event_type=event.type,
        occurred_at=envelope.time,
        customer_id=customer_of(event.payload),
        subject=envelope.subject,
        actor=envelope.actor,
        summary=summary(event.type, event.payload, envelope.data),
        trace_id=trace_id_of(envelope.traceparent),
    )
    if event.payload is not None:
        await project(event.payload, event, store, opened)
    await record_facts(event, uow.facts)


def _details(data: CustomerDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "account_number": data.account_number,
        "kind": data.kind,
        "country": data.country,
        "payment_terms_days": data.payment_terms_days,
        "siren": data.siren,
    }
    if not data.erased:  # placeholders are not the customer's details
        values.update(
            display_name=data.display_name,
            email=data.email,
            phone=data.phone,
            vat_number=data.vat_number,
            address=None if data.address is None else data.address.model_dump(mode="json"),
        )
    return values


def _changes(data: CustomerChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in data.changes.items():
        if data.erased and name in profiles.PERSONAL_FIELDS:
            continue
        values[name] = (
            value.model_dump(mode="json") if isinstance(value, customer.Address) else value
        )
    return values


async def project(
    payload: EventPayload, event: IncomingEvent, store: ReadModelStore, opened: CustomerData
) -> None:
    at = event.envelope.time
    match payload:
        case customer.CustomerRegistered() | customer.CustomerRegisteredV2():
            assert isinstance(opened, CustomerDetails), "registrations come opened"
            found = await store.profile(payload.customer_id) or profiles.Profile(
                payload.customer_id
            )
            await store.save_profile(profiles.registered(found, _details(opened), at))
        case customer.CustomerUpdated() | customer.CustomerUpdatedV2():
            assert isinstance(opened, CustomerChanges), "updates come opened"
            found = await store.profile(payload.customer_id) or profiles.Profile(
                payload.customer_id
            )
            await store.save_profile(profiles.learn(found, _changes(opened), at))
        case customer.CustomerErased():
            found = await store.profile(payload.customer_id) or profiles.Profile(
                payload.customer_id
            )
            await store.save_profile(profiles.erase(found, payload.account_number, at))
            await store.forget_request_subjects(payload.customer_id)
        case customer.RequestOpened():
            await store.request_opened(
                payload.request_id,
                payload.customer_id,
                category=payload.category,
                subject=payload.subject_line,
                opened_at=payload.opened_at,
                due_at=payload.due_at,
            )
        case customer.RequestStatusChanged():
            await store.request_status(
                payload.request_id,
                payload.customer_id,
                status=payload.status,
                changed_at=payload.changed_at,
            )
        case billing.InvoiceIssued():
            await store.invoice_issued(
                payload.invoice_id,
                payload.customer_id,
                number=payload.number,
                issue_date=payload.issue_date,
                due_date=payload.due_date,
                currency=payload.currency,
                gross=payload.total_gross,
            )
            await store.add_to_balance(payload.customer_id, invoiced=payload.total_gross)
        case billing.CreditNoteIssued():
            await store.add_to_invoice(
                payload.invoice_id, payload.customer_id, credited=payload.total_gross
            )
            await store.add_to_balance(payload.customer_id, credited=payload.total_gross)
        case billing.PaymentReceived():
            for allocation in payload.allocations:
                await store.add_to_invoice(
                    allocation.invoice_id, payload.customer_id, paid=allocation.amount
                )
            await store.add_to_balance(payload.customer_id, paid=payload.amount)
        case billing.RefundIssued():
            await store.add_to_balance(payload.customer_id, refunded=payload.amount)
        case collections.DunningNoticeSent():
            await store.notice_sent(
                payload.customer_id,
                level=payload.level,
                level_name=payload.level_name,
                sent_on=payload.sent_on,
                amount_due=payload.amount_due,
            )
        case collections.ReceivableClassifiedDoubtful():
            await store.add_doubtful(payload.customer_id, payload.amount_gross)
        case collections.ReceivableWrittenOff():
            await store.invoice_written_off(payload.invoice_id, payload.customer_id)
            await store.add_to_balance(payload.customer_id, written_off=payload.amount_gross)
        case collections.InsolvencyRecorded():
            await store.insolvency(payload.customer_id, payload.kind, payload.opened_on)
        case collections.DisputeOpened():
            await store.dispute(
                payload.dispute_id, payload.customer_id, payload.invoice_id, opened_at=at
            )
        case collections.DisputeResolved():
            await store.dispute(
                payload.dispute_id,
                payload.customer_id,
                payload.invoice_id,
                outcome=payload.outcome,
                resolved_at=at,
            )
        case collections.PromiseRecorded():
            await store.promise(
                payload.promise_id,
                payload.customer_id,
                amount=payload.amount,
                promised_on=payload.promised_on,
                status="standing",
            )
        case collections.PromiseKept() | collections.PromiseBroken():
            await store.promise(
                payload.promise_id,
                payload.customer_id,
                amount=payload.amount,
                promised_on=payload.promised_on,
                status="kept" if isinstance(payload, collections.PromiseKept) else "broken",
                paid=payload.paid,
            )
        case collections.PaymentPlanAgreed():
            dues = [i.due_date for i in payload.installments]
            await store.plan(
                payload.plan_id,
                payload.customer_id,
                status="agreed",
                installments=len(payload.installments),
                total=sum((i.amount for i in payload.installments), ZERO),
                first_due_date=min(dues),
                last_due_date=max(dues),
            )
        case collections.PaymentPlanBreached():
            await store.plan(payload.plan_id, payload.customer_id, status="breached")
        case collections.PaymentPlanCompleted():
            await store.plan(payload.plan_id, payload.customer_id, status="completed")
        case _:
            pass  # on the timeline only (fees, waivers, the books' events)
