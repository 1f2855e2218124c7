"""The benchmark's client: customers, invoices and payments over HTTP, as a front end sends them.

One client class for every target (billing and the bare endpoint alike): same HTTP library,
same connection limits, same headers, same `Idempotency-Key` on every POST. Durations are taken
on the client's monotonic clock.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from coulisse.platform.clock import default_clock, today

BOOKS_LINE = {"description": "Livres", "quantity": "2", "unit_price": "12.50", "vat_rate": "5.5"}


def invoice_body(customer_id: str) -> dict[str, Any]:
    """An invoice of 146.38 (a subscription at 20 % VAT, two books at 5.5 %), issued today."""
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [
            {
                "description": "Abonnement",
                "quantity": "1",
                "unit_price": "100.00",
                "vat_rate": "20.0",
            },
            BOOKS_LINE,
        ],
    }


def payment_body(customer_id: str, external_ref: str, amount: str = "50.00") -> dict[str, Any]:
    """A transfer received today, allocated by billing to the oldest due invoices."""
    return {
        "customer_id": customer_id,
        "amount": amount,
        "currency": "EUR",
        "method": "transfer",
        "received_on": today(default_clock()).isoformat(),
        "external_ref": external_ref,
    }


@dataclass(frozen=True)
class Answer:
    """A created resource and the client's view of its request (monotonic seconds)."""

    resource_id: str
    sent: float
    answered: float

    @property
    def seconds(self) -> float:
        return self.answered - self.sent


def client(base_url: str, token: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
        limits=limits,
    )


class Poster:
    """Creating POSTs to one base URL, each with its own `Idempotency-Key`."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = client(base_url, token)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def create(self, path: str, body: dict[str, Any]) -> Answer:
        """A POST retried on a dropped keep-alive connection: the key makes the retry safe (the
        effect happens once, the first answer is replayed). Anything but 201 stops the run."""
        headers = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
        sent = time.monotonic()
        for attempt in range(3):
            try:
                response = await self.http.post(path, json=body, headers=headers)
                break
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                if attempt == 2:
                    raise
                await asyncio.sleep(0.1)
        answered = time.monotonic()
        if response.status_code != 201:
            raise RuntimeError(
                f"POST {self.http.base_url}{path}: {response.status_code} {response.text[:300]}"
            )
        return Answer(str(response.json()["id"]), sent, answered)


class Documents:
    """Invoices and payments spread over the bench's customers, in turn."""

    def __init__(self, poster: Poster, customer_ids: list[str]) -> None:
        self.poster = poster
        self.customer_ids = customer_ids
        self._sequence = 0

    def _customer(self) -> str:
        self._sequence += 1
        return self.customer_ids[self._sequence % len(self.customer_ids)]

    async def invoice(self) -> Answer:
        return await self.poster.create("/v1/invoices", invoice_body(self._customer()))

    async def payment(self) -> Answer:
        body = payment_body(self._customer(), f"BENCH-{uuid.uuid4().hex}")
        return await self.poster.create("/v1/payments", body)


Make = Callable[[], Coroutine[Any, Any, Answer]]


@dataclass
class Load:
    """What a load generator got: the answers, the seconds it ran (client's monotonic clock),
    the requests that failed (any answer but 201, or no answer), and the requests a fixed rate
    could not start because too many were still unanswered."""

    answers: list[Answer]
    seconds: float
    failures: list[str]
    skipped: int = 0


async def _attempt(make: Make, answers: list[Answer], failures: list[str]) -> None:
    try:
        answers.append(await make())
    except (RuntimeError, httpx.HTTPError) as exc:
        failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")


async def closed_loop(makes: list[Make], concurrency: int) -> Load:
    """Each of `concurrency` clients sends its next request when its last one is answered; the
    seconds run from the first send to the last answer."""
    queue: asyncio.Queue[Make] = asyncio.Queue()
    for make in makes:
        queue.put_nowait(make)
    answers: list[Answer] = []
    failures: list[str] = []

    async def one_client() -> None:
        while not queue.empty():
            await _attempt(queue.get_nowait(), answers, failures)

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return Load(answers, time.monotonic() - started, failures)


async def open_loop(make: Make, rate: float, seconds: float, max_in_flight: int) -> Load:
    """Requests started at a fixed rate whatever the answers take, as independent users would,
    for `seconds`; a slot that finds `max_in_flight` requests unanswered is skipped (counted),
    so that a system slower than the rate is measured at the rate it sustains rather than
    queued without end. The seconds are those over which requests were started."""
    interval = 1.0 / rate
    answers: list[Answer] = []
    failures: list[str] = []
    tasks: set[asyncio.Task[None]] = set()
    skipped = 0
    started = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = started + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= max_in_flight:
            skipped += 1
            continue
        task = asyncio.create_task(_attempt(make, answers, failures))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sending = time.monotonic() - started
    await asyncio.gather(*tasks)
    return Load(answers, sending, failures, skipped)


async def create_customers(customer_url: str, billing: Poster, token: str, count: int) -> list[str]:
    """Companies created through the customer service, returned once billing knows them all."""
    run = uuid.uuid4().hex[:6]
    ids: list[str] = []
    async with client(customer_url, token) as customers:
        for i in range(count):
            response = await customers.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": f"Bench client {run}-{i}",
                    "email": f"bench-{run}-{i}@example.fr",
                    "country": "FR",
                    "payment_terms_days": 30,
                },
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
    deadline = time.monotonic() + 60
    for customer_id in ids:
        while (await billing.http.get(f"/v1/customers/{customer_id}/balance")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("billing did not learn the bench customers within 60 s")
            await asyncio.sleep(0.2)
    return ids


async def account_number(customer_url: str, token: str, customer_id: str) -> str:
    """The customer's account number (`C000042`), as the customer service assigned it."""
    async with client(customer_url, token) as customers:
        response = await customers.get(f"/v1/customers/{customer_id}")
        response.raise_for_status()
        return str(response.json()["account_number"])
