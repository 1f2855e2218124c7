"""Customers' personal data in events: sealed by the customer service, opened by its consumers.

From `customer.customer.registered.v2` and `updated.v2` on, the personal fields travel sealed
(`coulisse.contracts.customer.PersonalData`) with the customer's data key (`crypto.py`). This
module is the one place that seals and opens them:

- `seal_personal` / `open_personal`: the JSON object of the fields, AES-256-GCM, the customer
  id as associated data;
- `PersonalDataKeys`: asks the customer service for a customer's key (`GET
  /v1/customers/{id}/personal-data-key`, scope `customers:keys`) with retries and backoff, and
  keeps each answer at most `KEY_CACHE_TTL` (60 s), so an erasure reaches every consumer within
  that time. A 410 means the customer was erased: the consumer sees placeholders, never an
  error. An outage raises `PersonalDataUnavailable`, a `ConnectionError`, which the inbox
  treats as infrastructure: it rewinds and retries, and never writes a placeholder for it;
- `CustomerEvents`: reads `registered` and `updated`, v1 (clear) and v2 (sealed), into one
  shape each (`CustomerDetails`, `CustomerChanges`), so a consumer has one code path. The
  runtime builds one per service process (`Runtime.customer_events`), with the service token of
  `service_token.py`.

Nothing here logs a value of a personal field, a key or a token.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from pydantic_core import to_jsonable_python
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from coulisse.contracts.customer import (
    SEALING_ALGORITHM,
    Address,
    CustomerKind,
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
    PersonalData,
)
from coulisse.platform.clock import Clock
from coulisse.platform.crypto import (
    ALGORITHM,
    DataKey,
    DecryptionFailed,
    Sealed,
    b64decode,
    b64encode,
)
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.telemetry import traced

log = logging.getLogger("coulisse.personal_data")

KEY_CACHE_TTL = timedelta(seconds=60)
"""How long a consumer keeps a key: an erasure is seen by every consumer within this time."""
KEY_SCOPE = "customers:keys"
KEY_PATH = "/v1/customers/{customer_id}/personal-data-key"
ERASED_DISPLAY_NAME = "Erased customer {account_number}"
"""The pseudonym of an erased customer, the same in every service (billing's erasure too)."""

assert ALGORITHM == SEALING_ALGORITHM


def erased_display_name(account_number: str) -> str:
    return ERASED_DISPLAY_NAME.format(account_number=account_number)


class PersonalDataUnavailable(ConnectionError):
    """The customer service cannot hand out the key now (network, 5xx, refused token): the
    event is fine, the inbox retries it later."""


class PersonalDataUnreadable(Exception):
    """The sealed fields cannot be read with the customer's key: the customer service does not
    know the customer, or the ciphertext does not match the key (changed or forged). Retrying
    will not help: the event goes to the dead-letter topic."""


def _associated_data(customer_id: UUID) -> bytes:
    return str(customer_id).encode()


def seal_personal(key: DataKey, customer_id: UUID, fields: Mapping[str, Any]) -> PersonalData:
    """The fields (values in their wire form: an address as an object) sealed with `key`."""
    plaintext = json.dumps(
        to_jsonable_python(dict(fields)), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    sealed = key.seal(plaintext, _associated_data(customer_id))
    return PersonalData(
        algorithm="AES-256-GCM",
        key_id=key.key_id,
        fields=sorted(fields),
        nonce=b64encode(sealed.nonce),
        ciphertext=b64encode(sealed.ciphertext),
    )


def open_personal(key: DataKey, customer_id: UUID, sealed: PersonalData) -> dict[str, Any]:
    """The sealed fields, by name; `DecryptionFailed` when the key or the bytes do not match."""
    if sealed.key_id != key.key_id:
        raise DecryptionFailed(f"sealed with key {sealed.key_id}, not {key.key_id}")
    plaintext = key.open(
        Sealed(b64decode(sealed.nonce), b64decode(sealed.ciphertext)), _associated_data(customer_id)
    )
    try:
        opened = json.loads(plaintext)
    except ValueError as exc:
        raise DecryptionFailed("the opened data is not JSON") from exc
    if not isinstance(opened, dict):
        raise DecryptionFailed("the opened data is not a JSON object")
    return {name: opened.get(name) for name in sealed.fields}


# -- the keys, from the customer service -------------------------------------------------------


@dataclass(frozen=True)
class _Cached:
    fetched_at: datetime
    key: DataKey | None
    """None: the customer was erased (410)."""


class PersonalDataKeys:
    """Customers' data keys, asked of the customer service and kept at most `ttl`."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Callable[[], str],
        clock: Clock,
        ttl: timedelta = KEY_CACHE_TTL,
        attempts: int = 4,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 5.0,
        max_cached: int = 10_000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if ttl > KEY_CACHE_TTL:
            raise ValueError(f"a key may be kept at most {KEY_CACHE_TTL.total_seconds():g} s")
        self._token = token
        self._clock = clock
        self._ttl = ttl
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._max_cached = max_cached
        self._cache: OrderedDict[UUID, _Cached] = OrderedDict()
        self._client = traced(
            httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds, transport=transport)
        )
        self.requests = 0
        """How many times the customer service was asked (tests check the cache with it)."""

    async def aclose(self) -> None:
        await self._client.aclose()

    def forget(self, customer_id: UUID | None = None) -> None:
        """Drops a cached answer (all of them without a customer)."""
        if customer_id is None:
            self._cache.clear()
        else:
            self._cache.pop(customer_id, None)

    async def key_of(self, customer_id: UUID) -> DataKey | None:
        """The customer's data key; None when the customer was erased."""
        now = self._clock.now()
        cached = self._cache.get(customer_id)
        if cached is not None and timedelta(0) <= now - cached.fetched_at < self._ttl:
            return cached.key
        key = await self._fetch_with_retries(customer_id)
        self._cache[customer_id] = _Cached(now, key)
        self._cache.move_to_end(customer_id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return key

    async def _fetch_with_retries(self, customer_id: UUID) -> DataKey | None:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff, max=2),
            retry=retry_if_exception_type(PersonalDataUnavailable),
            reraise=True,
        ):
            with attempt:
                return await self._fetch(customer_id)
        raise AssertionError("unreachable: the last attempt re-raises")  # pragma: no cover

    async def _fetch(self, customer_id: UUID) -> DataKey | None:
        self.requests += 1
        path = KEY_PATH.format(customer_id=customer_id)
        try:
            response = await self._client.get(
                path, headers={"Authorization": f"Bearer {self._token()}"}
            )
        except httpx.HTTPError as exc:
            raise PersonalDataUnavailable(
                f"the customer service cannot be reached: {type(exc).__name__}"
            ) from exc
        status = response.status_code
        if status == 200:
            return _key_from(response, customer_id)
        if status == 410:
            return None
        if status == 404:
            raise PersonalDataUnreadable(f"the customer service knows no customer {customer_id}")
        # 401/403: this service's token is refused, a configuration to fix, not the event's
        # fault; 5xx, 429: the customer service is struggling. Either way: later.
        log.warning("personal-data key of customer %s: HTTP %d", customer_id, status)
        raise PersonalDataUnavailable(f"the customer service answered {status}")


def _key_from(response: httpx.Response, customer_id: UUID) -> DataKey:
    try:
        body = response.json()
        if body["algorithm"] != ALGORITHM or UUID(str(body["customer_id"])) != customer_id:
            raise ValueError("another algorithm or customer")
        return DataKey(UUID(str(body["key_id"])), b64decode(str(body["key"])))
    except (ValueError, KeyError, TypeError, DecryptionFailed) as exc:
        raise PersonalDataUnavailable("the customer service's key answer is not usable") from exc


# -- customer events, v1 and v2, in one shape --------------------------------------------------


@dataclass(frozen=True)
class CustomerDetails:
    """What a registration says, whichever version carried it."""

    customer_id: UUID
    account_number: str
    kind: CustomerKind
    country: str
    payment_terms_days: int
    display_name: str
    email: str | None
    phone: str | None
    vat_number: str | None
    siren: str | None
    address: Address | None
    erased: bool = False
    """The customer was erased: the personal fields are placeholders (a pseudonym, no e-mail)."""


@dataclass(frozen=True)
class CustomerChanges:
    """What an update says: the new value of each changed field this code knows, by name."""

    customer_id: UUID
    changes: dict[str, Any]
    erased: bool = False
    """The customer was erased: the personal fields in `changes` are placeholders."""


REGISTERED_TYPES = (CustomerRegistered.TYPE, CustomerRegisteredV2.TYPE)
UPDATED_TYPES = (CustomerUpdated.TYPE, CustomerUpdatedV2.TYPE)


def _placeholders(fields: list[str], account_number: str) -> dict[str, Any]:
    return {
        name: erased_display_name(account_number) if name == "display_name" else None
        for name in fields
    }


def _typed(values: Mapping[str, Any]) -> dict[str, Any]:
    typed = dict(values)
    if typed.get("address") is not None:
        typed["address"] = Address.model_validate(typed["address"])
    for name in ("display_name", "email", "phone", "vat_number"):
        if name in typed and typed[name] is not None:
            typed[name] = str(typed[name])
    return typed


class CustomerEvents:
    """Reads customer events for a consumer, opening their sealed fields when they have some."""

    def __init__(self, keys: PersonalDataKeys) -> None:
        self.keys = keys

    async def aclose(self) -> None:
        await self.keys.aclose()

    async def open(
        self, customer_id: UUID, account_number: str, sealed: PersonalData
    ) -> tuple[dict[str, Any], bool]:
        """(the sealed fields, erased): placeholders when the customer was erased."""
        key = await self.keys.key_of(customer_id)
        if key is None:
            return _placeholders(sealed.fields, account_number), True
        try:
            return _typed(open_personal(key, customer_id, sealed)), False
        except DecryptionFailed as exc:
            raise PersonalDataUnreadable(
                f"the personal data of customer {customer_id} does not open with its key: {exc}"
            ) from exc

    async def registration(self, event: IncomingEvent) -> CustomerDetails:
        payload = event.payload
        if isinstance(payload, CustomerRegistered):
            return CustomerDetails(
                customer_id=payload.customer_id,
                account_number=payload.account_number,
                kind=payload.kind,
                country=payload.country,
                payment_terms_days=payload.payment_terms_days,
                display_name=payload.display_name,
                email=payload.email,
                phone=payload.phone,
                vat_number=payload.vat_number,
                siren=payload.siren,
                address=payload.address,
            )
        v2 = event.payload_as(CustomerRegisteredV2)
        opened, erased = await self.open(v2.customer_id, v2.account_number, v2.personal)
        name = opened.get("display_name")
        return CustomerDetails(
            customer_id=v2.customer_id,
            account_number=v2.account_number,
            kind=v2.kind,
            country=v2.country,
            payment_terms_days=v2.payment_terms_days,
            display_name=name if name else erased_display_name(v2.account_number),
            email=opened.get("email"),
            phone=opened.get("phone"),
            vat_number=opened.get("vat_number", v2.vat_number),
            siren=v2.siren,
            address=opened.get("address"),
            erased=erased,
        )

    async def update(self, event: IncomingEvent) -> CustomerChanges:
        payload = event.payload
        if isinstance(payload, CustomerUpdated):
            return CustomerChanges(payload.customer_id, payload.changes())
        v2 = event.payload_as(CustomerUpdatedV2)
        changes = v2.clear_changes()
        erased = False
        if v2.personal is not None:
            opened, erased = await self.open(v2.customer_id, v2.account_number, v2.personal)
            changes.update({name: opened[name] for name in v2.changed if name in opened})
        return CustomerChanges(v2.customer_id, changes, erased)
