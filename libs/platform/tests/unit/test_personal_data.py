"""Consumers read customer events v1 and v2 the same way; an erased customer reads as a
pseudonym, an outage of the customer service as a retry, never as a placeholder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.contracts.base import EventPayload
from coulisse.contracts.customer import Address, CustomerRegistered, CustomerUpdated
from coulisse.platform import testing
from coulisse.platform.auth import TokenVerifier
from coulisse.platform.clock import SettableClock
from coulisse.platform.db import session_factory
from coulisse.platform.envelope import IncomingEvent, parse_record_value
from coulisse.platform.inbox import InboxConsumer, InfrastructureUnavailable, is_transient
from coulisse.platform.personal_data import (
    KEY_CACHE_TTL,
    CustomerEvents,
    PersonalDataKeys,
    PersonalDataUnavailable,
    PersonalDataUnreadable,
)
from coulisse.platform.service_token import ServiceToken
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.tables import inbox_table, platform_metadata
from coulisse.platform.testing_keys import KeyService
from coulisse.platform.uow import UnitOfWork

metadata = platform_metadata
ADDRESS = Address(line1="3 rue des Lilas", postal_code="75020", city="Paris", country="FR")


def incoming(payload: EventPayload) -> IncomingEvent:
    return parse_record_value(testing.consumed_record(payload).value)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock("2026-06-15T10:00:00Z")


@pytest.fixture
def keys() -> KeyService:
    return KeyService()


@pytest.fixture
async def reader(keys: KeyService, clock: SettableClock) -> Any:
    events = keys.customer_events(clock)
    yield events
    await events.aclose()


async def test_a_v1_registration_is_read_as_it_is_without_asking_for_a_key(
    keys: KeyService, reader: CustomerEvents
) -> None:
    customer_id = uuid4()
    v1 = CustomerRegistered(
        customer_id=customer_id,
        account_number="C000042",
        kind="person",
        display_name="Jeanne Dupont",
        email="jeanne@example.fr",
        country="FR",
        payment_terms_days=30,
    )
    details = await reader.registration(incoming(v1))
    assert (details.display_name, details.email, details.erased) == (
        "Jeanne Dupont",
        "jeanne@example.fr",
        False,
    )
    update = CustomerUpdated(customer_id=customer_id, changed=["email"], email="j@example.fr")
    assert (await reader.update(incoming(update))).changes == {"email": "j@example.fr"}
    assert keys.requests == 0


async def test_a_v2_registration_is_opened_with_the_customers_key(
    keys: KeyService, reader: CustomerEvents
) -> None:
    customer_id = uuid4()
    event = keys.registered(
        customer_id,
        "C000042",
        kind="person",
        display_name="Jeanne Dupont",
        email="jeanne@example.fr",
        phone="+33 6 01 02 03 04",
        address=ADDRESS,
        vat_number="FR44732829320",
    )
    assert "Jeanne" not in event.model_dump_json()
    details = await reader.registration(incoming(event))
    assert details.display_name == "Jeanne Dupont"
    assert details.email == "jeanne@example.fr"
    assert details.phone == "+33 6 01 02 03 04"
    assert details.address == ADDRESS
    assert details.vat_number == "FR44732829320"
    assert details.account_number == "C000042" and not details.erased


async def test_a_v2_update_merges_sealed_and_clear_changes(
    keys: KeyService, reader: CustomerEvents
) -> None:
    customer_id = uuid4()
    event = keys.updated(
        customer_id,
        "C000042",
        kind="person",
        email="new@example.fr",
        vat_number=None,
        payment_terms_days=45,
    )
    changes = await reader.update(incoming(event))
    assert changes.changes == {
        "email": "new@example.fr",
        "vat_number": None,
        "payment_terms_days": 45,
    }
    assert not changes.erased


async def test_keys_are_kept_at_most_sixty_seconds_so_an_erasure_is_seen_within_a_minute(
    keys: KeyService, reader: CustomerEvents, clock: SettableClock
) -> None:
    customer_id = uuid4()
    event = incoming(keys.registered(customer_id, "C000042", display_name="Jeanne Dupont"))
    assert (await reader.registration(event)).display_name == "Jeanne Dupont"
    await reader.registration(event)
    assert keys.requests == 1  # the second read used the cached key

    keys.erase(customer_id)
    clock.advance(timedelta(seconds=59))
    assert (await reader.registration(event)).display_name == "Jeanne Dupont"
    clock.advance(timedelta(seconds=2))
    after = await reader.registration(event)
    assert keys.requests == 2
    assert after.erased
    assert after.display_name == "Erased customer C000042"
    assert after.email is None and after.phone is None and after.address is None


def test_no_key_may_be_kept_longer_than_sixty_seconds(clock: SettableClock) -> None:
    with pytest.raises(ValueError):
        PersonalDataKeys(
            base_url="http://customer",
            token=lambda: "t",
            clock=clock,
            ttl=KEY_CACHE_TTL + timedelta(seconds=1),
        )


async def test_an_erased_customers_update_reads_as_placeholders(
    keys: KeyService, reader: CustomerEvents
) -> None:
    customer_id = uuid4()
    event = incoming(
        keys.updated(customer_id, "C000007", display_name="Jeanne Martin", payment_terms_days=10)
    )
    keys.erase(customer_id)
    changes = await reader.update(event)
    assert changes.erased
    assert changes.changes == {
        "display_name": "Erased customer C000007",
        "payment_terms_days": 10,
    }


async def test_an_outage_is_retried_then_raised_as_a_transient_error(
    keys: KeyService, reader: CustomerEvents
) -> None:
    customer_id = uuid4()
    event = incoming(keys.registered(customer_id, "C000042"))
    keys.down = True
    with pytest.raises(PersonalDataUnavailable) as caught:
        await reader.registration(event)
    assert keys.requests == 2  # the reader's attempts, with backoff
    assert is_transient(caught.value)  # the inbox rewinds: no dead letter, no placeholder
    keys.down = False
    assert (await reader.registration(event)).display_name == "Menuiserie Lefèvre SARL"


async def test_an_unreachable_customer_service_is_an_outage(clock: SettableClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    keys = PersonalDataKeys(
        base_url="http://customer",
        token=lambda: "t",
        clock=clock,
        attempts=2,
        backoff_seconds=0.01,
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(PersonalDataUnavailable):
        await keys.key_of(uuid4())
    await keys.aclose()


async def test_an_unknown_customer_or_a_forged_seal_is_unreadable_not_transient(
    keys: KeyService, reader: CustomerEvents
) -> None:
    unknown = keys.registered(uuid4(), "C000001")
    keys.keys.clear()
    with pytest.raises(PersonalDataUnreadable) as caught:
        await reader.registration(incoming(unknown))
    assert not is_transient(caught.value)

    customer_id = uuid4()
    forged = keys.registered(customer_id, "C000002")
    other = keys.registered(uuid4(), "C000003")
    # Another customer's sealed fields under this customer's id: the associated data differs.
    moved = forged.model_copy(
        update={"personal": other.personal.model_copy(update={"key_id": forged.personal.key_id})}
    )
    with pytest.raises(PersonalDataUnreadable):
        await reader.registration(incoming(moved))


# -- the token ------------------------------------------------------------------------------


def test_local_and_test_runs_mint_a_service_token_with_the_keys_scope(
    clock: SettableClock,
) -> None:
    settings = ServiceSettings(COULISSE_ENV="test", COULISSE_JWT_SECRET=testing.TEST_SECRET)
    settings.service_name = "billing"
    service_token = ServiceToken(settings, clock)
    token = service_token()
    principal = TokenVerifier(settings, clock).verify(token)
    assert principal.sub == "billing"
    assert principal.scopes == frozenset({"customers:keys"})
    assert service_token() == token  # kept while young
    clock.advance(timedelta(hours=1))
    renewed = service_token()
    assert renewed != token  # minted again before it expires
    assert TokenVerifier(settings, clock).verify(renewed).sub == "billing"


def test_production_needs_a_configured_token(clock: SettableClock, tmp_path: Path) -> None:
    production: dict[str, Any] = {
        "COULISSE_ENV": "production",
        "COULISSE_JWKS_URL": "https://idp.example/jwks",
        "COULISSE_JWT_ISSUER": "https://idp.example/",
        "COULISSE_JWT_AUDIENCE": "coulisse-api",
    }
    with pytest.raises(ValueError, match="COULISSE_SERVICE_TOKEN"):
        ServiceToken(ServiceSettings(**production), clock)
    token_file = tmp_path / "token"
    token_file.write_text("issued-by-the-idp\n")
    settings = ServiceSettings(**production, COULISSE_SERVICE_TOKEN_FILE=str(token_file))
    assert ServiceToken(settings, clock)() == "issued-by-the-idp"
    assert "secret-token" not in repr(
        ServiceSettings(**production, COULISSE_SERVICE_TOKEN="secret-token")
    )


# -- in the inbox ---------------------------------------------------------------------------


async def test_in_the_inbox_an_outage_rewinds_and_an_erasure_applies_the_placeholder(
    sqlite_engine: AsyncEngine, keys: KeyService, reader: CustomerEvents
) -> None:
    sessions = session_factory(sqlite_engine)
    seen: list[tuple[UUID, str, str | None]] = []

    async def learn(event: IncomingEvent, uow: UnitOfWork) -> None:
        details = await reader.registration(event)
        seen.append((details.customer_id, details.display_name, details.email))

    consumer = InboxConsumer(
        name="billing",
        service="billing",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="billing"),
        handlers={"customer.customer.registered.v2": learn},
        max_attempts=2,
        retry_wait=0.01,
    )
    customer_id = uuid4()
    record = testing.consumed_record(keys.registered(customer_id, "C000042"))

    keys.down = True
    with pytest.raises(InfrastructureUnavailable):
        await consumer.process([record])
    assert seen == [] and consumer.dead_lettered_count == 0

    keys.down = False
    keys.erase(customer_id)
    await consumer.process([record])
    assert seen == [(customer_id, "Erased customer C000042", None)]
    assert consumer.dead_lettered_count == 0
    async with sqlite_engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(inbox_table)) == 1


async def test_a_key_request_carries_the_callers_trace_and_other_clients_carry_none(
    keys: KeyService, clock: SettableClock
) -> None:
    from opentelemetry import context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    seen: list[httpx.Request] = []
    answer = keys.transport()

    async def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await answer.handle_async_request(request)

    asker = PersonalDataKeys(
        base_url="http://customer.test",
        token=lambda: "service-token",
        clock=clock,
        transport=httpx.MockTransport(recording),
    )
    other = httpx.AsyncClient(transport=httpx.MockTransport(recording))
    customer_id = uuid4()
    keys.key_for(customer_id)
    caller = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(caller)))
    try:
        await asker.key_of(customer_id)
        await other.get("http://elsewhere.test/")
    finally:
        context.detach(token)
        await asker.aclose()
        await other.aclose()
    key_request, other_request = seen
    assert "0af7651916cd43dd8448eb211c80319c" in key_request.headers["traceparent"]
    # Only the platform's own clients are traced: any other httpx client of the process sends
    # no trace context (a dropped root span would make the called service drop its trace).
    assert "traceparent" not in other_request.headers
