from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import httpx

from coulisse.ops import demo, demo_billing

CATEGORIES = {
    "billing_question",
    "refund",
    "dispute",
    "payment_arrangement",
    "address_change",
    "other",
}
OPEN_STATES = {"open", "in_progress", "waiting_customer"}


def luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(number):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def test_customers_are_valid_and_distinct() -> None:
    assert len({c.key for c in demo.CUSTOMERS}) == len(demo.CUSTOMERS) >= 10
    assert len({c.email for c in demo.CUSTOMERS}) == len(demo.CUSTOMERS)
    for customer in demo.CUSTOMERS:
        if customer.kind == "person":
            assert customer.siren is None and customer.vat_number is None
        if customer.siren is not None:
            assert luhn(customer.siren), customer.key
            key = (12 + 3 * (int(customer.siren) % 97)) % 97
            assert customer.vat_number == f"FR{key:02d}{customer.siren}"
        assert customer.address.country == customer.country
        body = customer.body()
        assert "key" not in body and None not in body.values()


def test_requests_follow_the_lifecycle() -> None:
    keys = {c.key for c in demo.CUSTOMERS}
    assert len({r.key for r in demo.REQUESTS}) == len(demo.REQUESTS)
    assert {r.category for r in demo.REQUESTS} == CATEGORIES
    for request in demo.REQUESTS:
        assert request.customer in keys
        for status, resolution in request.then:
            if status not in OPEN_STATES:
                assert resolution, f"{request.key}: closing needs a resolution"


class FakeCustomerApi:
    """Just enough of the customer service to check what the loader sends."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.posts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer t0ken"
        path, method = request.url.path, request.method
        if method == "POST":
            self.posts += 1
            assert request.headers["Idempotency-Key"].startswith("demo-")
        if method == "GET" and path == "/v1/customers":
            q = request.url.params["q"]
            return httpx.Response(
                200, json={"items": [c for c in self.customers.values() if c["email"] == q]}
            )
        if method == "GET" and path.startswith("/v1/customers/"):
            return httpx.Response(200, json=self.customers[path.rsplit("/", 1)[1]])
        if method == "POST" and path == "/v1/customers":
            body = json.loads(request.content)
            body["id"] = str(uuid4())
            self.customers[body["id"]] = body
            return httpx.Response(201, json=body)
        if method == "GET" and path == "/v1/requests":
            owner = request.url.params["customer_id"]
            items = [r for r in self.requests.values() if r["customer_id"] == owner]
            return httpx.Response(200, json={"items": items})
        if method == "POST" and path.endswith("/requests"):
            body = json.loads(request.content)
            body.update(id=str(uuid4()), customer_id=path.split("/")[3], status="open")
            self.requests[body["id"]] = body
            return httpx.Response(201, json=body)
        if method == "PATCH":
            item = self.requests[path.rsplit("/", 1)[1]]
            item.update(json.loads(request.content))
            return httpx.Response(200, json=item)
        return httpx.Response(404)


async def test_loading_twice_creates_nothing_the_second_time() -> None:
    api = FakeCustomerApi()
    transport = httpx.MockTransport(api)
    first = await demo.load("http://customer", "t0ken", transport=transport)
    assert first.customers_created == len(demo.CUSTOMERS)
    assert first.requests_created == len(demo.REQUESTS)
    assert first.status_changes == sum(len(r.then) for r in demo.REQUESTS)
    assert set(first.requests) == {r.key for r in demo.REQUESTS}
    posts = api.posts
    second = await demo.load("http://customer", "t0ken", transport=transport)
    assert api.posts == posts
    assert second.customers_found == len(demo.CUSTOMERS)
    assert second.status_changes == 0
    assert second.requests == first.requests
    final = {r["subject"]: r["status"] for r in api.requests.values()}
    for request in demo.REQUESTS:
        assert final[request.subject] == (request.then[-1][0] if request.then else "open")


def test_the_refund_answers_a_refund_request_and_another_stays_open() -> None:
    by_key = {r.key: r for r in demo.REQUESTS}
    names = {c.key: c.display_name for c in demo.CUSTOMERS}
    answered = {s.request for s in demo_billing.STEPS if s.action == "refund"}
    assert answered and None not in answered
    for step in demo_billing.STEPS:
        if step.request is None:
            continue
        asked = by_key[step.request]
        assert asked.category == "refund" and step.action == "refund"
        assert names[asked.customer] == demo_billing.ROLES[step.customer]  # the same customer
    waiting = [
        r for r in demo.REQUESTS if r.category == "refund" and r.key not in answered and not r.then
    ]
    assert waiting, "reporting's refund lead time lists an open refund request"


async def test_the_billing_demo_names_the_request_its_refund_answers() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def billing(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/payments":
            return httpx.Response(200, json={"items": []})
        if request.method == "GET":
            return httpx.Response(200, json={})
        body = json.loads(request.content)
        sent.append((request.url.path, body))
        return httpx.Response(201, json={"id": str(uuid4()), **body})

    customers = [{"id": str(uuid4()), "display_name": name} for name in demo_billing.ROLES.values()]
    async with httpx.AsyncClient(
        base_url="http://billing", transport=httpx.MockTransport(billing)
    ) as client:
        await demo_billing.load_billing_demo(
            client, customers, requests={"grand-rivage-refund": "r-42"}
        )
    refunds = [body for path, body in sent if path == "/v1/refunds"]
    assert [r.get("request_id") for r in refunds] == ["r-42"]
