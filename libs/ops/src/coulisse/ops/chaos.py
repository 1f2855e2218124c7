"""`coulisse chaos`: documents at a steady rate while processes die, then the books are checked.

Against a running stack (`coulisse up --no-demo`, or a test's own), the campaign:

1. creates customers (two of them dunned by e-mail at every run, for collections' crash points);
2. drives invoices, payments and credit notes over HTTP at `rate` documents per second, each with
   its own `Idempotency-Key`: a 503 is retried after its `Retry-After`, a dropped connection after
   half a second, always with the same key, so a document is created once however often it is
   sent; a 500 is retried too, and counted against the run;
3. meanwhile injects faults one after the other, in an order and at instants drawn from `seed`:
   SIGKILL of each service process, SIGSTOP then SIGCONT of the broker, SIGKILL of the broker,
   SIGKILL of PostgreSQL's postmaster, and each failpoint (`coulisse.platform.failpoints`) in a
   one-off process of the program that reaches it (the service, or its relay), started with
   `COULISSE_FAILPOINTS` while that supervised program is stopped; after each fault it measures
   the time until every service is ready again;
4. waits for the system to settle (outboxes empty, consumers caught up, every document
   journaled), then checks: each accepted document exists once in billing, has one event and one
   journal entry; invoice, credit note and entry numbers have no gap; the trial balance balances;
   each customer's billing balance is its 411 sub-ledger and reporting's balance; reporting's
   timeline holds every document's event; no suspense, no dead letter, no 500; collections'
   interrupted runs are recorded once and their notices sent.

Anything that cannot be true (fewer restarts counted by supervisord than kills made, a figure
that does not add up) fails the run as loudly as a lost document.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import re
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import psutil
from rich.markup import escape
from rich.table import Table

from coulisse.contracts.topics import BILLING_EVENTS, CONSUMER_GROUPS, dlq_topic
from coulisse.ops import signals
from coulisse.ops.bench import BOOKS_LINE, Offsets, invoice_body, payment_body, percentile, read_all
from coulisse.ops.kafka import PROGRAM as KAFKA
from coulisse.ops.postgres import PROGRAM as POSTGRES
from coulisse.ops.services import Service, by_name
from coulisse.ops.stack import Stack
from coulisse.platform.clock import default_clock, today

Status = Callable[[str], None]

SERVICES = ("customer", "billing", "collections", "accounting-gateway", "reporting")
CUSTOMER, BILLING, COLLECTIONS, GATEWAY, REPORTING = SERVICES
# The supervised programs that run only a service's outbox relay (see `Stack.programs`).
RELAYS = tuple(by_name(service).relay_program for service in SERVICES)
BILLING_RELAY, GATEWAY_RELAY = by_name(BILLING).relay_program, by_name(GATEWAY).relay_program
# Each failpoint is armed in the program that reaches it.
FAILPOINTS: dict[str, tuple[str, ...]] = {
    "relay.before_publish": (BILLING_RELAY, GATEWAY_RELAY),
    "relay.after_publish": (GATEWAY_RELAY, BILLING_RELAY),
    "accounting.after_commit": (GATEWAY,),
    "collections.run.recorded": (COLLECTIONS,),
    "collections.notice.sent": (COLLECTIONS,),
}
# The money path first: a short campaign with two kills hits billing and the gateway.
KILL_ORDER = (BILLING, GATEWAY, COLLECTIONS, REPORTING, CUSTOMER)
INFRASTRUCTURE_FAULTS = ("broker_pause", "broker_kill", "postgres_kill")
MONEY_EVENTS = {
    "billing.invoice.issued.v1": "invoice_id",
    "billing.payment.received.v1": "payment_id",
    "billing.credit_note.issued.v1": "credit_note_id",
}
PAYMENT_AMOUNTS = ("20.00", "50.00", "80.00", "146.38")
# A dunned customer's policy: one e-mail for every open invoice at the next run.
DUNNED_POLICY = {"levels": [{"days": -90, "channel": "email", "name": "Relance"}]}


def _quiet(_: str) -> None:
    pass


@dataclass
class ChaosConfig:
    documents: int = 10_000
    """Documents to get accepted (invoices, payments, credit notes); the campaign also lasts
    until every fault is over."""
    rate: float = 20.0
    """Documents started per second (open loop: a slow answer does not slow the next one)."""
    service_kills: int = 55
    """SIGKILLs of the service processes, spread evenly over the five services."""
    infrastructure_faults: int = 5
    """Of each: broker paused, broker killed, PostgreSQL killed."""
    failpoint_faults: int = 2
    """Of each failpoint."""
    failpoints: tuple[str, ...] = tuple(FAILPOINTS)
    seed: int = 1
    customers: int = 20
    dunned_customers: int = 2
    pause_seconds: tuple[float, float] = (2.0, 8.0)
    """How long the broker stays stopped (SIGSTOP), drawn in this range."""
    warm_up_seconds: float = 5.0
    recovery_timeout: float = 120.0
    """Not ready again within this time: a human would have had to step in."""
    failpoint_timeout: float = 60.0
    settle_timeout: float = 600.0
    max_in_flight: int = 64
    request_deadline: float = 600.0
    """A document not accepted within this time is abandoned (and fails the run)."""

    @property
    def expected_seconds(self) -> float:
        return self.documents / self.rate


@dataclass(frozen=True)
class Fault:
    kind: str
    """`service_kill`, `broker_pause`, `broker_kill`, `postgres_kill` or `failpoint`."""
    target: str
    """The supervised program it hits (a service, `kafka`, `postgres`)."""
    failpoint: str | None = None

    @property
    def label(self) -> str:
        if self.failpoint is not None:
            return f"failpoint {self.failpoint} in {self.target}"
        return self.kind if self.kind != "service_kill" else f"kill {self.target}"

    @property
    def family(self) -> str:
        """What recovery times are grouped by."""
        return f"failpoint:{self.failpoint}" if self.failpoint else self.kind


def schedule(config: ChaosConfig, rng: random.Random) -> list[tuple[float, Fault]]:
    """Every fault asked for, in a seeded order, each at an instant (seconds from the start)
    spread over the time the documents take; a fault still recovering delays the next ones."""
    faults = [
        Fault("service_kill", KILL_ORDER[i % len(KILL_ORDER)]) for i in range(config.service_kills)
    ]
    for kind in INFRASTRUCTURE_FAULTS:
        target = POSTGRES if kind == "postgres_kill" else KAFKA
        faults += [Fault(kind, target) for _ in range(config.infrastructure_faults)]
    for name in config.failpoints:
        targets = FAILPOINTS[name]
        faults += [
            Fault("failpoint", targets[i % len(targets)], name)
            for i in range(config.failpoint_faults)
        ]
    rng.shuffle(faults)
    span = max(config.expected_seconds - config.warm_up_seconds, 1.0)
    step = span / max(len(faults), 1)
    return [
        (config.warm_up_seconds + (i + rng.uniform(0.1, 0.9)) * step, fault)
        for i, fault in enumerate(faults)
    ]


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass
class Document:
    kind: str
    """`invoice`, `payment` or `credit_note`."""
    key: str
    customer_id: str
    body: dict[str, Any]
    path: str
    id: str | None = None
    number: str | None = None
    seconds: float | None = None
    """From the first attempt to the 201, retries included."""


@dataclass
class Customer:
    id: str
    account_number: str
    dunned: bool


class Abandoned(RuntimeError):
    pass


@dataclass
class Http:
    """Every answer and failed attempt of the campaign's clients, counted."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    retries: int = 0


def retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), 5.0)
    except ValueError:
        return 1.0


async def send(
    http: Http,
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    key: str | None = None,
    deadline: float = 600.0,
) -> httpx.Response:
    """One request, retried with the same `Idempotency-Key` until it gets an answer that is not
    a 5xx: after `Retry-After` on a 503, half a second after a dropped or refused connection."""
    headers = {"Idempotency-Key": key} if key else {}
    give_up = time.monotonic() + deadline
    while True:
        try:
            response = await client.request(method, path, json=body, params=params, headers=headers)
        except httpx.TransportError as exc:
            http.transport_errors[type(exc).__name__] += 1
            wait = 0.5
        else:
            http.statuses[response.status_code] += 1
            if response.status_code < 500:
                return response
            if response.status_code == 503:
                wait = retry_after(response)
            else:
                http.server_errors.append(
                    f"{method} {client.base_url}{path}: {response.status_code} "
                    f"{response.text[:300]}"
                )
                wait = 1.0
        if time.monotonic() + wait > give_up:
            raise Abandoned(f"{method} {path}: no answer but errors for {deadline:.0f} s")
        http.retries += 1
        await asyncio.sleep(wait)


class Clients:
    """One HTTP client per service of the stack, with a token holding every scope."""

    def __init__(self, services: Iterable[Service], token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        self.by_name = {
            s.name: httpx.AsyncClient(
                base_url=s.base_url, headers=headers, timeout=30, limits=limits
            )
            for s in services
        }

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.by_name[name]

    async def close(self) -> None:
        for client in self.by_name.values():
            await client.aclose()


class Traffic:
    """The documents, started at a steady rate by one loop, each sent until accepted."""

    def __init__(
        self, config: ChaosConfig, clients: Clients, http: Http, rng: random.Random, run: str
    ) -> None:
        self.config = config
        self.clients = clients
        self.http = http
        self.rng = rng
        self.run = run
        self.customers: list[Customer] = []
        self.started = 0
        self.accepted: list[Document] = []
        self.refused: list[str] = []
        self.abandoned: list[str] = []
        self.creditable: list[Document] = []
        self.in_flight = 0
        self.slots = asyncio.Semaphore(config.max_in_flight)
        self.saturated_seconds = 0.0
        """Time the loop waited because `max_in_flight` documents were still unanswered."""

    async def create_customers(self) -> None:
        for i in range(self.config.customers):
            dunned = i < self.config.dunned_customers
            response = await send(
                self.http,
                self.clients[CUSTOMER],
                "POST",
                "/v1/customers",
                body={
                    "kind": "company",
                    "display_name": f"Chaos client {self.run}-{i}",
                    "email": f"chaos-{self.run}-{i}@example.fr",
                    "country": "FR",
                    "payment_terms_days": 30,
                },
                key=f"chaos-{self.run}-customer-{i}",
            )
            if response.status_code != 201:
                raise RuntimeError(f"customer {i}: {response.status_code} {response.text[:300]}")
            found = response.json()
            self.customers.append(Customer(found["id"], found["account_number"], dunned))
        for customer in self.customers:
            await self._until(
                BILLING, "GET", f"/v1/customers/{customer.id}/balance", None, "billing knows"
            )
            if customer.dunned:
                path = f"/v1/customers/{customer.id}/dunning"
                body = {"policy": DUNNED_POLICY}
                await self._until(COLLECTIONS, "PUT", path, body, "collections knows")

    async def _until(
        self, service: str, method: str, path: str, body: dict[str, Any] | None, what: str
    ) -> None:
        """Until the request answers 200: a customer reaches the consumers through Kafka."""
        deadline = time.monotonic() + 120
        client = self.clients[service]
        while (
            response := await send(self.http, client, method, path, body=body)
        ).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} {path}: still {response.status_code} after 120 s")
            await asyncio.sleep(0.3)

    def _next(self) -> Document:
        self.started += 1
        sequence = self.started
        customer = self.customers[sequence % len(self.customers)]
        key = f"chaos-{self.run}-{sequence}"
        draw = self.rng.random()
        if draw < 0.15 and self.creditable:
            invoice = self.creditable.pop(self.rng.randrange(len(self.creditable)))
            return Document(
                "credit_note",
                key,
                invoice.customer_id,
                {"reason": "Livre abîmé", "lines": [{**BOOKS_LINE, "quantity": "1"}]},
                f"/v1/invoices/{invoice.id}/credit-notes",
            )
        if draw < 0.5:
            amount = self.rng.choice(PAYMENT_AMOUNTS)
            body = payment_body(customer.id, f"CHAOS-{self.run}-{sequence}", amount)
            return Document("payment", key, customer.id, body, "/v1/payments")
        return Document("invoice", key, customer.id, invoice_body(customer.id), "/v1/invoices")

    async def _drive(self, document: Document) -> None:
        started = time.monotonic()
        try:
            response = await send(
                self.http,
                self.clients[BILLING],
                "POST",
                document.path,
                body=document.body,
                key=document.key,
                deadline=self.config.request_deadline,
            )
        except Abandoned as exc:
            self.abandoned.append(str(exc))
            return
        finally:
            self.in_flight -= 1
            self.slots.release()
        if response.status_code != 201:
            self.refused.append(f"{document.kind} {response.status_code} {response.text[:300]}")
            return
        found = response.json()
        document.id = str(found["id"])
        document.number = str(found.get("number") or found.get("external_ref") or "")
        document.seconds = time.monotonic() - started
        self.accepted.append(document)
        if document.kind == "invoice":
            self.creditable.append(document)

    async def drive(self, keep_going: Callable[[], bool]) -> None:
        """Start documents every 1/rate s while `keep_going()`; then wait for their answers."""
        interval = 1.0 / self.config.rate
        tasks: set[asyncio.Task[None]] = set()
        next_at = time.monotonic()
        while keep_going():
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at = max(next_at + interval, time.monotonic() - 1.0)
            waited = time.monotonic()
            await self.slots.acquire()
            self.saturated_seconds += time.monotonic() - waited
            self.in_flight += 1
            task = asyncio.create_task(self._drive(self._next()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)


# ---------------------------------------------------------------------------------------------
# Faults


@dataclass
class Outcome:
    fault: str
    family: str
    at_seconds: float
    injected: bool
    recovery_seconds: float | None = None
    human_steps: int = 0
    detail: str = ""


@dataclass
class DunningRunCheck:
    """A collections run a failpoint interrupted, to be checked once the system settled."""

    failpoint: str
    as_of: str
    key: str
    run_id: str | None = None
    notice_ids: list[str] = field(default_factory=list)
    answer: str = ""
    """What the one-off process answered, when it answered instead of dying."""
    made_again_is_the_same: bool = False
    """Asked again for its date with another key once the service is back, the run answers
    as the one already recorded (`repeated`): it was recorded once."""


class Injector:
    def __init__(self, stack: Stack, config: ChaosConfig, clients: Clients, http: Http) -> None:
        self.stack = stack
        self.config = config
        self.clients = clients
        self.http = http
        self.supervisor = stack.supervisor
        self.services = {s.name: s for s in stack.services() if s.name in SERVICES}
        self.owners = {p: s for s in self.services.values() for p in (s.name, s.relay_program)}
        """The service each supervised program runs."""
        self.programs = [*SERVICES, *RELAYS, KAFKA] + (
            [POSTGRES] if stack.state.database == "postgres" else []
        )
        self.next_run_on = first_run_on(config)
        self.runs: list[DunningRunCheck] = []
        self.kills: Counter[str] = Counter()
        """SIGKILLs made per supervised program, for the check against supervisord's count."""

    async def processes(self) -> dict[str, dict[str, Any]]:
        return await asyncio.to_thread(self.supervisor.processes)

    async def pid(self, program: str) -> int:
        pid = int((await self.processes()).get(program, {}).get("pid") or 0)
        if not pid:
            raise RuntimeError(f"{program} is not running under supervisord")
        return pid

    async def ready(self) -> bool:
        async def one(service: Service) -> bool:
            try:
                return (
                    await self.clients[service.name].get("/readyz", timeout=3)
                ).status_code == 200
            except httpx.HTTPError:
                return False

        return all(await asyncio.gather(*(one(s) for s in self.services.values())))

    async def wait_recovered(
        self, since: float, program: str | None = None, old_pid: int | None = None
    ) -> tuple[float | None, int]:
        """Seconds from `since` until every program runs (`program` with a new pid) and every
        service answers ready; None and a human step when that takes more than the recovery
        timeout (then restarted as a person would, so the campaign goes on)."""
        human_steps = 0
        deadline = since + self.config.recovery_timeout
        while True:
            processes = await self.processes()
            # STARTING too: supervisord says RUNNING only after `startsecs`; readiness is what
            # tells that a service serves again.
            running = all(
                processes.get(p, {}).get("statename") in {"STARTING", "RUNNING"}
                and processes.get(p, {}).get("pid")
                for p in self.programs
            )
            if program is not None and old_pid is not None:
                running = running and processes.get(program, {}).get("pid") not in (
                    None,
                    0,
                    old_pid,
                )
            if running and await self.ready():
                return (time.monotonic() - since if not human_steps else None), human_steps
            if time.monotonic() > deadline:
                if human_steps:
                    return None, human_steps + 1  # not even restarting helped: checks will say
                human_steps += 1
                for name in self.programs:
                    if processes.get(name, {}).get("statename") != "RUNNING":
                        with contextlib.suppress(Exception):
                            await asyncio.to_thread(self.supervisor.start_program, name)
                deadline = time.monotonic() + self.config.recovery_timeout
            await asyncio.sleep(0.2)

    async def inject(self, fault: Fault, at: float, rng: random.Random) -> Outcome:
        outcome = Outcome(fault.label, fault.family, round(at, 3), injected=False)
        if fault.kind == "failpoint":
            await self._failpoint(fault, outcome)
            return outcome
        pid = await self.pid(fault.target)
        process = psutil.Process(pid)
        if fault.kind == "broker_pause":
            pause = rng.uniform(*self.config.pause_seconds)
            process.suspend()
            try:
                await asyncio.sleep(pause)
            finally:
                process.resume()
            outcome.detail = f"stopped {pause:.1f} s"
            outcome.injected = True
            seconds, steps = await self.wait_recovered(time.monotonic())
        else:
            process.kill()
            self.kills[fault.target] += 1
            outcome.injected = True
            seconds, steps = await self.wait_recovered(time.monotonic(), fault.target, pid)
        outcome.recovery_seconds = None if seconds is None else round(seconds, 3)
        outcome.human_steps = steps
        return outcome

    async def _failpoint(self, fault: Fault, outcome: Outcome) -> None:
        """The service's program stopped, a one-off process of it with the failpoint armed until
        it kills itself there, then the program started again."""
        assert fault.failpoint is not None
        name = fault.target
        service = self.owners[name]
        environment = await asyncio.to_thread(self.supervisor.program_environment, name)
        environment["COULISSE_FAILPOINTS"] = fault.failpoint
        run: DunningRunCheck | None = None
        if fault.failpoint.startswith("collections."):
            run = DunningRunCheck(
                fault.failpoint, self.next_run_on.isoformat(), f"chaos-run-{uuid.uuid4()}"
            )
            self.next_run_on += timedelta(days=1)
            # The notice is sent at once, not at the next poll.
            environment["COULISSE_NOTICE_POLL_SECONDS"] = "0.5"
        await asyncio.to_thread(self.supervisor.stop_program, name)
        log = self.stack.paths.logs / f"{name}.failpoints.log"
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                service.module,
                env={**os.environ, **environment},
                cwd=self.stack.paths.root,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        crashed_at: float | None = None
        try:
            if run is not None:
                await self._run_dunning(service, process, run)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.failpoint_timeout):
                    await process.wait()
            if process.returncode == -signal.SIGKILL:
                crashed_at = time.monotonic()
            else:
                answered = f"; the run answered {run.answer}" if run and run.answer else ""
                outcome.detail = f"not reached (exit {process.returncode}){answered}; see {log}"
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    async with asyncio.timeout(30):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
            await asyncio.to_thread(self._start_again, name)
        if crashed_at is None:
            return
        outcome.injected = True
        seconds, steps = await self.wait_recovered(crashed_at)
        outcome.recovery_seconds = None if seconds is None else round(seconds, 3)
        outcome.human_steps = steps
        if run is not None:
            if run.failpoint == "collections.run.recorded":
                # The run died before its commit: made again with the same key, it is recorded.
                await self._run_dunning(service, None, run)
            again = await send(
                self.http,
                self.clients[COLLECTIONS],
                "POST",
                "/v1/dunning/runs",
                body={"as_of": run.as_of},
                key=f"chaos-run-again-{uuid.uuid4()}",
            )
            found = again.json() if again.status_code in (200, 201) else {}
            run.made_again_is_the_same = (
                bool(found.get("repeated"))
                and bool(run.run_id)
                and (str(found.get("id") or found.get("run_id")) == run.run_id)
            )
            outcome.detail = f"run of {run.as_of}"
            self.runs.append(run)

    def _start_again(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.supervisor.start_program(name)

    async def _run_dunning(
        self, service: Service, process: asyncio.subprocess.Process | None, run: DunningRunCheck
    ) -> None:
        """POST the run to the service; with a one-off `process`, first wait until it answers
        (a dropped connection is then the expected crash)."""
        client = self.clients[service.name]
        if process is not None:
            deadline = time.monotonic() + self.config.failpoint_timeout
            while process.returncode is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz", timeout=2)).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            if process.returncode is not None:
                return
            try:
                response = await client.post(
                    "/v1/dunning/runs",
                    json={"as_of": run.as_of},
                    headers={"Idempotency-Key": run.key},
                    timeout=30,
                )
            except httpx.TransportError:
                return  # the process died in the run: the failpoint
            self.http.statuses[response.status_code] += 1
            run.answer = f"{response.status_code} {response.text[:300]}"
            last = _json(response.content).get("last_run_on")
            if response.status_code == 409 and isinstance(last, str):
                # Dunning already ran on a later date: the next runs are dated after it.
                later = date.fromisoformat(last) + timedelta(days=1)
                self.next_run_on = max(self.next_run_on, later)
            if response.status_code >= 500 and response.status_code != 503:
                self.http.server_errors.append(f"POST dunning run (one-off): {run.answer}")
        else:
            response = await send(
                self.http,
                client,
                "POST",
                "/v1/dunning/runs",
                body={"as_of": run.as_of},
                key=run.key,
            )
        if response.status_code == 201:
            found = response.json()
            run.run_id = str(found.get("id") or found.get("run_id") or "")
            run.notice_ids = [str(n.get("id") or n.get("notice_id")) for n in found["notices"]]


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class Check:
    name: str
    ok: bool
    value: Any
    expected: Any


@dataclass
class Report:
    started_at: str
    machine: dict[str, Any]
    config: dict[str, Any]
    seconds: float = 0.0
    documents: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    recovery: dict[str, Any] = field(default_factory=dict)
    books: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    passed: bool = False

    def check(self, name: str, value: Any, expected: Any, ok: bool | None = None) -> None:
        self.checks.append(Check(name, value == expected if ok is None else ok, value, expected))

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def gaps(numbers: Iterable[str]) -> dict[str, Any]:
    """Per series (the number without its last digits), the count, the highest number, and the
    numbers missing below it."""
    series: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        found = re.fullmatch(r"(.*?)(\d+)", number)
        if found is None:
            series["unparsed"].append(0)
            continue
        series[found.group(1)].append(int(found.group(2)))
    result: dict[str, Any] = {}
    for prefix, values in sorted(series.items()):
        present = set(values)
        highest = max(values)
        missing = [n for n in range(1, highest + 1) if n not in present]
        result[prefix] = {
            "count": len(values),
            "highest": highest,
            "missing": missing[:20],
            "missing_count": len(missing),
            "repeated": len(values) - len(present),
        }
    return result


def _no_gap(found: dict[str, Any]) -> bool:
    return all(s["missing_count"] == 0 and s["repeated"] == 0 for s in found.values())


def first_run_on(config: ChaosConfig) -> date:
    """The date of the campaign's first interrupted dunning run. Runs are dated in the past, one
    day after the other, the last one before today: a run may not go back before the last one,
    and today stays free for the daily run."""
    faults = config.failpoint_faults
    runs = faults * sum(1 for name in config.failpoints if name.startswith("collections."))
    return today(default_clock()) - timedelta(days=runs + 1)


async def last_run_on(stack: Stack) -> date | None:
    """The date of the last dunning run collections recorded, if any."""
    found = await _fetch(
        stack.postgres.admin_url,
        stack.service(COLLECTIONS).database,
        "SELECT max(last_run_on) FROM run_log",
    )
    last = found[0][0] if found else None
    return last if isinstance(last, date) else None


def _database_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + database


async def _fetch(admin_url: str, database: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_database_url(admin_url, database))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "p50_s": None, "max_s": None}
    return {
        "count": len(values),
        "p50_s": round(percentile(values, 0.5), 3),
        "max_s": round(max(values), 3),
    }


# ---------------------------------------------------------------------------------------------
# The campaign


class Campaign:
    def __init__(self, stack: Stack, config: ChaosConfig, token: str, status: Status) -> None:
        self.stack = stack
        self.config = config
        self.status = status
        self.rng = random.Random(config.seed)
        self.run = uuid.uuid4().hex[:6]
        self.http = Http()
        self.clients = Clients(stack.services(), token)
        self.traffic = Traffic(
            config, self.clients, self.http, random.Random(config.seed + 1), self.run
        )
        self.injector = Injector(stack, config, self.clients, self.http)
        self.admin_url = stack.postgres.admin_url
        self.report = Report(
            started_at=default_clock().now().isoformat(),
            machine={
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            config=asdict(config),
        )

    async def run_all(self) -> Report:
        started = time.monotonic()
        try:
            async with Offsets(self.stack.kafka.bootstrap_servers) as offsets:
                since = await offsets.end(BILLING_EVENTS)
                dead_before = await self._dead_letters(offsets)
                restarts_before = self._restarts()
                self.status("creating the campaign's customers")
                await self.traffic.create_customers()
                await self._campaign()
                self.status("waiting for the system to settle")
                settle = await self._settle(offsets, since)
                await self._check(offsets, since, dead_before, restarts_before, settle)
        finally:
            await self.clients.close()
        self.report.seconds = round(time.monotonic() - started, 1)
        self.report.passed = not self.report.failures
        return self.report

    async def _campaign(self) -> None:
        plan = schedule(self.config, self.rng)
        self.report.faults["scheduled"] = dict(Counter(f.family for _, f in plan))
        faults_over = asyncio.Event()
        start = time.monotonic()

        def keep_going() -> bool:
            return (
                not faults_over.is_set()
                or len(self.traffic.accepted) + (self.traffic.in_flight) < self.config.documents
            )

        async def faults() -> None:
            try:
                for index, (at, fault) in enumerate(plan, start=1):
                    delay = start + at - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    self.status(
                        f"fault {index}/{len(plan)}: {fault.label}; "
                        f"{len(self.traffic.accepted)} documents accepted"
                    )
                    at_seconds = time.monotonic() - start
                    try:
                        outcome = await self.injector.inject(fault, at_seconds, self.rng)
                    except Exception as exc:  # reported as a fault not injected, run goes on
                        outcome = Outcome(
                            fault.label, fault.family, round(at_seconds, 3), False, detail=repr(exc)
                        )
                    self.report.outcomes.append(outcome)
            finally:
                faults_over.set()

        driving = asyncio.create_task(self.traffic.drive(keep_going))
        try:
            await faults()
            while not driving.done():
                self.status(f"{len(self.traffic.accepted)} documents accepted")
                await asyncio.wait({driving}, timeout=2)
            await driving
        finally:
            faults_over.set()
            if not driving.done():
                driving.cancel()
        self.report.documents["driving_seconds"] = round(time.monotonic() - start, 1)

    async def _dead_letters(self, offsets: Offsets) -> dict[str, int]:
        """Records on each consumer group's dead-letter topic."""
        found: dict[str, int] = {}
        for group in CONSUMER_GROUPS:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    found[group] = sum((await offsets.end(dlq_topic(group))).values())
        return found

    def _restarts(self) -> dict[str, int]:
        return {
            name: int(record.get("restarts", 0))
            for name, record in self.stack.supervisor.restarts().items()
        }

    async def _journaled(self, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        rows = await _fetch(
            self.admin_url,
            self.stack.service(GATEWAY).database,
            "SELECT source_event_id, count(*) AS entries FROM journal_entries "
            "WHERE source_event_id = ANY($1::uuid[]) GROUP BY source_event_id",
            event_ids,
        )
        return {row["source_event_id"]: int(row["entries"]) for row in rows}

    async def _not_in_timeline(self, event_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """The documents' events reporting's timeline does not hold (it holds each at most once:
        the event id is its key)."""
        rows = await _fetch(
            self.admin_url,
            self.stack.service(REPORTING).database,
            "SELECT event_id FROM rm_timeline WHERE event_id = ANY($1::uuid[])",
            event_ids,
        )
        return sorted(set(event_ids) - {row["event_id"] for row in rows})

    async def _events(self, offsets: Offsets, since: Any) -> dict[str, list[str]]:
        """Accepted document id → the ids of the billing events about it (records counted once
        per event id: a republished record is the same event)."""
        wanted = {d.id for d in self.traffic.accepted}
        events: dict[str, set[str]] = defaultdict(set)
        records = await read_all(offsets, self.stack.kafka.bootstrap_servers, BILLING_EVENTS, since)
        republished = 0
        seen: set[str] = set()
        for record in records:
            event = _json(record.value)
            field_name = MONEY_EVENTS.get(str(event.get("type")))
            if field_name is None:
                continue
            subject = str(event.get("data", {}).get(field_name))
            if subject in wanted:
                if event["id"] in seen:
                    republished += 1
                seen.add(event["id"])
                events[subject].add(str(event["id"]))
        self.report.books["billing_event_records_republished"] = republished
        return {k: sorted(v) for k, v in events.items()}

    async def _settle(self, offsets: Offsets, since: Any) -> dict[str, Any]:
        """Until every service is ready, no outbox holds a row, no consumer lags and every
        accepted document's event is journaled; the time it took."""
        started = time.monotonic()
        deadline = started + self.config.settle_timeout
        state: dict[str, Any] = {}
        while True:
            ready = await self.injector.ready()
            read = await asyncio.gather(
                *(signals.read(self.clients[s.name], s) for s in self.injector.services.values())
            )
            backlog = sum(s.outbox_pending for s in read)
            lag = sum(s.lag or 0 for s in read)
            events = await self._events(offsets, since)
            wanted = [uuid.UUID(i) for ids in events.values() for i in ids]
            journaled = await self._journaled(wanted) if ready else {}
            state = {
                "ready": ready,
                "outbox_backlog": backlog,
                "consumer_lag": lag,
                "documents_with_events": len(events),
                "events_journaled": len(journaled),
                "events": len(wanted),
            }
            done = (
                ready
                and backlog == 0
                and lag == 0
                and len(events) == len(self.traffic.accepted)
                and len(journaled) == len(wanted)
            )
            if done and await self._notices_sent():
                state["seconds"] = round(time.monotonic() - started, 1)
                return state
            if time.monotonic() > deadline:
                state["seconds"] = None
                return state
            self.status(
                f"settling: outbox {backlog}, lag {lag}, journaled {len(journaled)}/{len(wanted)}"
            )
            await asyncio.sleep(2)

    async def _notices_sent(self) -> bool:
        for run in self.injector.runs:
            for notice_id in run.notice_ids:
                response = await send(
                    self.http, self.clients[COLLECTIONS], "GET", f"/v1/notices/{notice_id}"
                )
                if response.status_code != 200 or response.json().get("delivery_status") != "sent":
                    return False
        return True

    async def _check(
        self,
        offsets: Offsets,
        since: Any,
        dead_before: dict[str, int],
        restarts_before: dict[str, int],
        settle: dict[str, Any],
    ) -> None:
        report, traffic = self.report, self.traffic
        accepted = traffic.accepted
        kinds = Counter(d.kind for d in accepted)
        seconds = report.documents.get("driving_seconds") or 1
        report.documents.update(
            {
                "started": traffic.started,
                "accepted": len(accepted),
                "accepted_by_kind": dict(kinds),
                "refused": len(traffic.refused),
                "refused_examples": traffic.refused[:5],
                "abandoned": len(traffic.abandoned),
                "abandoned_examples": traffic.abandoned[:5],
                "rate_asked_per_s": self.config.rate,
                "rate_achieved_per_s": round(len(accepted) / seconds, 1),
                "saturated_seconds": round(traffic.saturated_seconds, 1),
                "accept_p50_s": summary([d.seconds or 0 for d in accepted])["p50_s"],
                "accept_max_s": summary([d.seconds or 0 for d in accepted])["max_s"],
            }
        )
        report.http = {
            "statuses": {str(k): v for k, v in sorted(self.http.statuses.items())},
            "responses_500": sum(v for k, v in self.http.statuses.items() if 500 <= k != 503),
            "responses_503": self.http.statuses.get(503, 0),
            "transport_errors": dict(self.http.transport_errors),
            "retries": self.http.retries,
            "server_error_examples": self.http.server_errors[:5],
        }
        outcomes = report.outcomes
        injected = Counter(o.family for o in outcomes if o.injected)
        report.faults.update(
            {
                "injected": dict(injected),
                "not_injected": [asdict(o) for o in outcomes if not o.injected],
                "service_kills": sum(
                    1 for o in outcomes if o.family == "service_kill" and o.injected
                ),
                "infrastructure_faults": {k: injected.get(k, 0) for k in INFRASTRUCTURE_FAULTS},
                "failpoints": {k: v for k, v in injected.items() if k.startswith("failpoint:")},
                "human_steps": sum(o.human_steps for o in outcomes),
            }
        )
        families = sorted({o.family for o in outcomes})
        report.recovery = {
            family: summary(
                [
                    o.recovery_seconds
                    for o in outcomes
                    if o.family == family and o.recovery_seconds is not None
                ]
            )
            for family in families
        }
        report.recovery["all"] = summary(
            [o.recovery_seconds for o in outcomes if o.recovery_seconds is not None]
        )
        report.recovery["settle_seconds"] = settle.get("seconds")
        report.books["settle"] = settle

        # Every accepted document: one billing row, one event, one journal entry.
        events = await self._events(offsets, since)
        event_ids = [uuid.UUID(i) for ids in events.values() for i in ids]
        journaled = await self._journaled(event_ids)
        lost: list[Document] = []
        duplicated_documents: list[Document] = []
        once = 0
        for document in accepted:
            ids = events.get(document.id or "", [])
            entries = [journaled.get(uuid.UUID(i), 0) for i in ids]
            if not ids or 0 in entries:
                lost.append(document)
            elif len(ids) > 1 or any(n > 1 for n in entries):
                duplicated_documents.append(document)
            else:
                once += 1
        billing_db = self.stack.service(BILLING).database
        customers = [uuid.UUID(c.id) for c in traffic.customers]
        rows: dict[str, set[str]] = {}
        for kind, query in (
            ("invoice", "SELECT id FROM invoices WHERE customer_id = ANY($1::uuid[])"),
            ("payment", "SELECT id FROM payments WHERE customer_id = ANY($1::uuid[])"),
            (
                "credit_note",
                "SELECT n.id FROM credit_notes n JOIN invoices i ON i.id = n.invoice_id "
                "WHERE i.customer_id = ANY($1::uuid[])",
            ),
        ):
            rows[kind] = {
                str(r["id"]) for r in await _fetch(self.admin_url, billing_db, query, customers)
            }
        accepted_ids = {kind: {d.id for d in accepted if d.kind == kind} for kind in rows}
        unacknowledged = sum(len(rows[k] - accepted_ids[k]) for k in rows)
        missing_in_billing = sum(len(accepted_ids[k] - rows[k]) for k in rows)
        invoice_numbers = [
            r["number"]
            for r in await _fetch(
                self.admin_url, billing_db, "SELECT number FROM invoices WHERE number IS NOT NULL"
            )
        ]
        note_numbers = [
            r["number"]
            for r in await _fetch(self.admin_url, billing_db, "SELECT number FROM credit_notes")
        ]
        entry_numbers = [
            r["entry_number"]
            for r in await _fetch(
                self.admin_url,
                self.stack.service(GATEWAY).database,
                "SELECT entry_number FROM journal_entries",
            )
        ]
        numbering = {
            "invoices": gaps(invoice_numbers),
            "credit_notes": gaps(note_numbers),
            "journal_entries": gaps(entry_numbers),
        }
        gateway = self.clients[GATEWAY]
        trial = (await send(self.http, gateway, "GET", "/v1/trial-balance")).json()
        debit, credit = Decimal(trial["totals"]["debit"]), Decimal(trial["totals"]["credit"])
        mismatched: list[dict[str, str]] = []
        for customer in traffic.customers:
            billed = await send(
                self.http, self.clients[BILLING], "GET", f"/v1/customers/{customer.id}/balance"
            )
            ledger = await send(
                self.http,
                gateway,
                "GET",
                "/v1/accounts/411/ledger",
                body=None,
                params={"auxiliary": customer.account_number, "limit": 1},
            )
            shown = await send(
                self.http, self.clients[REPORTING], "GET", f"/v1/customers/{customer.id}/360"
            )
            balances = (
                Decimal(billed.json()["balance"]),
                Decimal(ledger.json()["balance"]),
                Decimal(shown.json()["balance"]["balance"]),
            )
            if len(set(balances)) > 1:
                mismatched.append(
                    {
                        "account": customer.account_number,
                        "billing": str(balances[0]),
                        "ledger_411": str(balances[1]),
                        "reporting": str(balances[2]),
                    }
                )
        not_in_timeline = await self._not_in_timeline(event_ids)
        suspense = (await send(self.http, gateway, "GET", "/v1/suspense")).json()["items"]
        dead_after = await self._dead_letters(offsets)
        dead_letters = {g: dead_after.get(g, 0) - dead_before.get(g, 0) for g in dead_after}
        restarts_after = self._restarts()
        restarts = {p: restarts_after.get(p, 0) - restarts_before.get(p, 0) for p in restarts_after}
        runs = await self._check_runs()
        report.books.update(
            {
                "documents_journaled_exactly_once": once,
                "lost": len(lost),
                "lost_examples": [f"{d.kind} {d.id} {d.number}" for d in lost[:5]],
                "duplicated": len(duplicated_documents) + unacknowledged,
                "billing_rows_not_acknowledged": unacknowledged,
                "accepted_missing_in_billing": missing_in_billing,
                "numbering": numbering,
                "trial_balance": {"debit": str(debit), "credit": str(credit)},
                "customers_checked": len(traffic.customers),
                "balance_mismatches": mismatched,
                "events_missing_in_reporting_timeline": len(not_in_timeline),
                "suspense_open": len(suspense),
                "dead_letters_added": dead_letters,
                "restarts_counted_by_supervisord": restarts,
                "kills_made": dict(self.injector.kills),
                "dunning_runs": runs,
            }
        )
        books = report.books
        # What must hold.
        report.check(
            "documents accepted (201)",
            len(accepted),
            self.config.documents,
            ok=len(accepted) >= self.config.documents,
        )
        report.check("documents abandoned", len(traffic.abandoned), 0)
        report.check("documents refused (4xx)", len(traffic.refused), 0)
        report.check("documents journaled exactly once", once, len(accepted))
        report.check("lost", len(lost), 0)
        report.check("duplicated", books["duplicated"], 0)
        report.check("accepted but missing in billing", missing_in_billing, 0)
        report.check(
            "numbering gapless",
            {k: _no_gap(v) for k, v in numbering.items()},
            {k: True for k in numbering},
        )
        report.check("trial balance balanced", str(debit - credit), "0.00", ok=debit == credit)
        report.check(
            "billing balance = 411 sub-ledger = reporting per customer", len(mismatched), 0
        )
        report.check("documents' events in reporting's timeline", len(not_in_timeline), 0)
        report.check("suspense open", len(suspense), 0)
        report.check("dead letters added", sum(dead_letters.values()), 0)
        report.check("500 responses", report.http["responses_500"], 0)
        report.check("human steps needed", report.faults["human_steps"], 0)
        report.check("faults not injected", len(report.faults["not_injected"]), 0)
        report.check("settled", settle.get("seconds") is not None, True)
        report.check(
            "dunning runs recorded once, notices sent",
            [r["ok"] for r in runs],
            [True] * len(runs),
        )
        asked = self.config.service_kills
        report.check(
            "service kills",
            report.faults["service_kills"],
            asked,
            ok=report.faults["service_kills"] >= asked,
        )
        # What cannot be otherwise: a figure that fails here is a broken measurement.
        report.check(
            "sanity: accepted ≤ started",
            len(accepted) <= traffic.started,
            True,
        )
        report.check(
            "sanity: every kill seen by supervisord",
            {p: restarts.get(p, 0) >= n for p, n in self.injector.kills.items()},
            {p: True for p in self.injector.kills},
        )
        report.check(
            "sanity: entries carry money",
            debit > 0 or not accepted,
            True,
        )
        report.check(
            # The gateway keeps one entry per source event (a unique key): more is impossible.
            "sanity: at most one entry per event",
            max(journaled.values(), default=0) <= 1,
            True,
        )
        report.check(
            "sanity: a 201 for every document and customer accepted",
            self.http.statuses.get(201, 0) >= len(accepted) + len(traffic.customers),
            True,
        )
        report.check(
            "sanity: recovery times measured",
            # Beyond the recovery timeout a fault counts a human step instead of a time.
            all(
                o.recovery_seconds is None
                or 0 <= o.recovery_seconds <= self.config.recovery_timeout
                for o in outcomes
            )
            and all(
                o.recovery_seconds is not None for o in outcomes if o.injected and not o.human_steps
            ),
            True,
        )

    async def _check_runs(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        collections = self.clients[COLLECTIONS]
        for run in self.injector.runs:
            item: dict[str, Any] = {
                "failpoint": run.failpoint,
                "as_of": run.as_of,
                "run_id": run.run_id,
            }
            item["made_again_is_the_same_run"] = run.made_again_is_the_same
            statuses = []
            for notice_id in run.notice_ids:
                response = await send(self.http, collections, "GET", f"/v1/notices/{notice_id}")
                statuses.append(response.json().get("delivery_status"))
            item["notices"] = len(run.notice_ids)
            item["notices_sent"] = statuses.count("sent")
            item["ok"] = (
                bool(run.run_id)
                and item["made_again_is_the_same_run"]
                and (statuses.count("sent") == len(statuses))
                and (run.failpoint != "collections.notice.sent" or len(statuses) > 0)
            )
            found.append(item)
        return found


def _json(value: bytes | None) -> dict[str, Any]:
    try:
        found = json.loads(value or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def run(stack: Stack, config: ChaosConfig, token: str, status: Status = _quiet) -> Report:
    return await Campaign(stack, config, token, status).run_all()


def tables(report: Report) -> list[Table]:
    """The figures, the recovery times and the checks, for a terminal."""
    documents, books, faults, http = report.documents, report.books, report.faults, report.http
    figures = Table(title="Chaos campaign: figures", title_justify="left")
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    numbering = books.get("numbering", {})
    rows = [
        (
            "documents accepted (201)",
            f"{documents.get('accepted')} {documents.get('accepted_by_kind')}",
        ),
        (
            "rate asked / achieved (per s)",
            f"{documents.get('rate_asked_per_s')} / {documents.get('rate_achieved_per_s')}",
        ),
        ("journaled exactly once", books.get("documents_journaled_exactly_once")),
        ("lost", books.get("lost")),
        ("duplicated", books.get("duplicated")),
        *(
            (
                f"numbering {what}",
                ", ".join(
                    f"{p}: {s['count']} to {s['highest']}, {s['missing_count']} missing"
                    for p, s in series.items()
                )
                or "none",
            )
            for what, series in numbering.items()
        ),
        (
            "trial balance (debit / credit)",
            f"{books.get('trial_balance', {}).get('debit')} / {books.get('trial_balance', {}).get('credit')}",
        ),
        (
            "customers: billing balance = 411 sub-ledger",
            f"{books.get('customers_checked', 0) - len(books.get('balance_mismatches', []))}/{books.get('customers_checked')}",
        ),
        ("suspense open", books.get("suspense_open")),
        ("dead letters added", books.get("dead_letters_added")),
        ("500 responses", http.get("responses_500")),
        ("503 responses (retried after Retry-After)", http.get("responses_503")),
        ("dropped connections (retried)", sum(http.get("transport_errors", {}).values())),
        ("service kills", faults.get("service_kills")),
        ("infrastructure faults", faults.get("infrastructure_faults")),
        ("failpoints", faults.get("failpoints")),
        ("human steps needed", faults.get("human_steps")),
        ("settled after (s)", report.recovery.get("settle_seconds")),
        ("campaign (s)", report.seconds),
    ]
    for name, value in rows:
        figures.add_row(name, escape(str(value)))
    recovery = Table(title="Time to recover (s)", title_justify="left")
    for column in ("fault", "count", "p50", "max"):
        recovery.add_column(column, justify="left" if column == "fault" else "right")
    for family, found in report.recovery.items():
        if isinstance(found, dict):
            recovery.add_row(family, str(found["count"]), str(found["p50_s"]), str(found["max_s"]))
    checks = Table(title="Checks", title_justify="left")
    for column in ("check", "", "value", "expected"):
        checks.add_column(column)
    for check in report.checks:
        mark = "[green]ok[/]" if check.ok else "[bold red]FAILED[/]"
        checks.add_row(check.name, mark, escape(str(check.value)), escape(str(check.expected)))
    return [figures, recovery, checks]
