"""The operations dashboard (`GET /`) in a real headless Chromium, driven by Playwright.

The reporting service runs in-process behind a real HTTP server, on the session's PostgreSQL,
its consumer reading the real broker; the events of a small scenario are published on the
topics. The page is opened with a token in its fragment, as `make up` prints it: no console
error, no failed request; the pulse tiles show what `GET /v1/reports/pulse` answers; every chart
is drawn; an event published while the page is open appears in its live feed.

Chromium is Debian's (`/usr/bin/chromium`), installed by `coulisse tools` (`make install`) and,
when missing, by this module through the same code; where apt-get cannot run (no root, no
password-less sudo), the tests skip saying so. Playwright drives it: no browser download.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    ViewportSize,
    async_playwright,
)
from reporting_harness import (
    CLOCK_START,
    Reporting,
    account_of,
    invoice,
    payment,
    registration,
    running_reporting,
    serving,
)

from coulisse.contracts.accounting import EntryLine, EntryPosted
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import InvoiceIssued, RefundIssued
from coulisse.contracts.customer import RequestOpened
from coulisse.ops.testing import DatabaseFactory
from coulisse.ops.tools import ensure_program
from coulisse.platform import testing
from coulisse.platform.envelope import OutgoingEvent, build_envelope
from coulisse.reporting.entrypoints import dashboard
from coulisse.reporting.entrypoints.consumers import TOPICS

pytestmark = pytest.mark.integration

TOKEN = testing.token(["reports:read"], sub="operations-1")
TODAY = CLOCK_START.date()
CHARTS = ("chart-aged", "chart-dso", "chart-refunds", "chart-rate")
VIEWPORT = ViewportSize(width=1400, height=1000)


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, installed by the project's own code when it is missing."""
    outcome = ensure_program("chromium", report=lambda _: None)
    if outcome.path is None:
        pytest.skip(f"no Chromium to run the dashboard in: {outcome.message}")
    return outcome.path


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(executable_path=chromium, headless=True)
        yield found
        await found.close()


class Watched:
    """What went wrong in a page: console errors, uncaught exceptions, failed requests."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _failed(self, request: Request) -> None:
        self.errors.append(f"failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"answered {response.status}: {response.url}")

    def stop(self) -> list[str]:
        """The errors so far; what closing the page does (the feed's stream cut) is not one."""
        self.page.remove_listener("console", self._console)
        self.page.remove_listener("requestfailed", self._failed)
        self.page.remove_listener("response", self._response)
        return list(self.errors)


# -- the service and its events ----------------------------------------------------------------


@pytest.fixture
async def site(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> AsyncIterator[tuple[Reporting, str]]:
    """Reporting with its Kafka consumer (a group of its own, at the topics' end) and the API on
    a real HTTP server."""
    group = f"reporting-dashboard-{uuid4().hex[:8]}"
    await testing.start_group_at_end(kafka_bootstrap, group, TOPICS)
    url = await make_database("reporting_dashboard")
    async with (
        running_reporting(
            url,
            kafka_bootstrap=kafka_bootstrap,
            roles="api,consumers",
            env={"COULISSE_CONSUMER_GROUP": group},
        ) as reporting,
        serving(reporting.service.app) as base_url,
    ):
        yield reporting, base_url


def published_at(payload: EventPayload, time: datetime) -> OutgoingEvent:
    """The event as its service would publish it, at `time` (the service's clock, not the
    machine's: the reports count events by their time)."""
    return build_envelope(
        payload,
        service=payload.TYPE.split(".")[0],
        actor="test-agent",
        correlation_id=None,
        traceparent=None,
        time=time,
    )


async def publish(reporting: Reporting, *payloads: EventPayload) -> list[UUID]:
    events = [published_at(p, CLOCK_START - timedelta(hours=1)) for p in payloads]
    await testing.publish(reporting.kafka_bootstrap, events)
    return [e.event_id for e in events]


async def read_by_reporting(api: httpx.AsyncClient, customer_id: UUID, events: int) -> None:
    async def read() -> bool:
        response = await api.get(f"/v1/customers/{customer_id}/timeline?limit=100")
        return response.status_code == 200 and len(response.json()["items"]) >= events

    await testing.eventually(read, what=f"{events} events read by reporting", timeout=30)


MANUAL_ENTRY_NUMBER = "OD-2026-000042"


def issued(customer_id: UUID, gross: str, *, on: date, due: date) -> InvoiceIssued:
    found: InvoiceIssued = invoice(customer_id, gross, due_date=due).model_copy(
        update={"issue_date": on}
    )
    return found


async def scenario(reporting: Reporting, api: httpx.AsyncClient) -> UUID:
    """A customer with invoices not due, overdue and long overdue, a payment, a refund request
    refunded five days later, and a manual journal entry on their account (a red tile)."""
    customer_id = uuid4()
    account = account_of(customer_id)
    overdue = issued(customer_id, "1250.00", on=date(2026, 9, 27), due=TODAY - timedelta(days=20))
    request_id = uuid4()
    opened_at = CLOCK_START - timedelta(days=5, hours=1)
    payloads: list[EventPayload] = [
        registration(customer_id),
        issued(customer_id, "840.00", on=TODAY, due=TODAY + timedelta(days=30)),
        overdue,
        issued(customer_id, "310.50", on=date(2026, 8, 3), due=TODAY - timedelta(days=75)),
        issued(customer_id, "1099.90", on=date(2026, 6, 1), due=date(2026, 6, 30)),
        payment(customer_id, overdue, "250.00"),
        RequestOpened.model_validate(
            {
                "request_id": request_id,
                "customer_id": customer_id,
                "category": "refund",
                "subject": "Double payment",
                "opened_at": opened_at,
                "due_at": opened_at + timedelta(days=10),
            }
        ),
        RefundIssued(
            refund_id=uuid4(),
            customer_id=customer_id,
            account_number=account,
            amount=Decimal("60.00"),
            method="transfer",
            issued_on=TODAY,
            reason="overpayment",
            request_id=request_id,
        ),
        EntryPosted(
            entry_id=uuid4(),
            journal_code="OD",
            entry_number=MANUAL_ENTRY_NUMBER,
            entry_date=TODAY,
            lines=[
                EntryLine(
                    account="411000",
                    auxiliary_account=account,
                    label="Fix",
                    debit=Decimal("15.00"),
                    credit=Decimal("0.00"),
                ),
                EntryLine(
                    account="706000", label="Fix", debit=Decimal("0.00"), credit=Decimal("15.00")
                ),
            ],
            manual=True,
        ),
    ]
    await publish(reporting, *payloads)
    # The entry is about no customer: the timeline shows the others.
    await read_by_reporting(api, customer_id, len(payloads) - 1)

    async def booked() -> bool:
        pulse = (await api.get("/v1/reports/pulse?days=45")).json()
        return bool(pulse["manual_entries"]["count"] == 1)

    await testing.eventually(booked, what="the manual entry in the pulse", timeout=30)
    return customer_id


def grouped(value: Any) -> str:
    """A figure as the page writes it: decimal strings with their thousands grouped."""
    text = str(value)
    try:
        number = Decimal(text)
    except ArithmeticError:
        return text
    if not number.is_finite() or text.strip() != text:
        return text
    whole, dot, fraction = text.lstrip("-").partition(".")
    return ("-" if text.startswith("-") else "") + f"{int(whole):,}" + dot + fraction


def days(value: Any) -> str:
    return "—" if value is None else f"{grouped(value)} d"


TILES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "manual_entries": ("Manual journal entries", lambda f: grouped(f["count"])),
    "out_of_band_writes": ("Out-of-band database writes", lambda f: grouped(f["count"])),
    "suspense": ("Suspended events", lambda f: grouped(f["count"])),
    "drift": ("Reconciliation drift", lambda f: grouped(f["drift"])),
    "unresolved_requests": ("Unresolved requests", lambda f: grouped(f["count"])),
    "late_requests": ("Late requests", lambda f: grouped(f["count"])),
    "corrections": ("Corrections", lambda f: grouped(f["total"])),
    "refund_lead_time": ("Refund lead time (p50)", lambda f: days(f["p50_days"])),
    "dso": ("DSO (count-back)", lambda f: days(f["count_back_days"])),
    "overdue": ("Overdue receivables", lambda f: grouped(f["amount"])),
}
"""Each tile of the page, in its order: its label and the figure it shows, as the page writes it."""


# -- the tests ---------------------------------------------------------------------------------


async def test_the_dashboard_shows_the_api_s_figures_charts_and_live_events(
    site: tuple[Reporting, str], browser: Browser, tmp_path: Path
) -> None:
    reporting, base_url = site
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as api:
        customer_id = await scenario(reporting, api)

        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        watched = Watched(page)
        await page.goto(f"{base_url}/#token={TOKEN}")
        await page.wait_for_selector("body[data-state=ready]", timeout=15_000)
        await page.wait_for_selector("#feed-state[data-state=live]", timeout=15_000)

        # The token left the address bar for the tab's session storage.
        assert page.url == f"{base_url}/"
        stored = await page.evaluate("sessionStorage.getItem('coulisse.reporting.token')")
        assert stored == TOKEN

        # The tiles show what the API answers, green or red, each linking to its list.
        pulse = (await api.get("/v1/reports/pulse?days=45")).json()
        tiles = await page.eval_on_selector_all(
            "#tiles .tile",
            """tiles => tiles.map(t => ({
                figure: t.dataset.figure, status: t.dataset.status, href: t.getAttribute('href'),
                label: t.querySelector('.label').textContent,
                value: t.querySelector('.value').textContent}))""",
        )
        assert tiles == [
            {
                "figure": figure,
                "status": pulse[figure]["status"] or "info",
                "href": pulse[figure]["href"],
                "label": label,
                "value": shown(pulse[figure]),
            }
            for figure, (label, shown) in TILES.items()
        ]
        assert {t["status"] for t in tiles} >= {"green", "red"}  # the scenario makes both
        assert await page.get_attribute("#overall", "data-status") == pulse["status"]

        # A tile opens the list behind it, read with the token.
        await page.click("#tiles .tile[data-figure=manual_entries]")
        await page.wait_for_selector("#list[data-state=loaded]", timeout=10_000)
        assert await page.get_attribute("#list", "data-href") == pulse["manual_entries"]["href"]
        listed = await page.text_content("#list-body")
        assert listed is not None and MANUAL_ENTRY_NUMBER in listed

        # Every chart is drawn from the reports.
        drawn = await page.evaluate(DRAWN, list(CHARTS))
        for chart in drawn:
            assert chart["chart"] and chart["points"] > 0 and chart["painted"] > 0, chart

        # An event published now reaches the live feed, and the events-per-minute chart.
        [event_id] = await publish(reporting, invoice(customer_id, "42.00"))
        await page.wait_for_selector(f"#feed li[data-event-id='{event_id}']", timeout=15_000)
        line = await page.text_content(f"#feed li[data-event-id='{event_id}']")
        assert line is not None and "billing.invoice.issued.v1" in line
        rate = await page.evaluate(
            "Chart.getChart(document.getElementById('chart-rate')).data.datasets[0].data"
        )
        assert sum(rate) >= 1

        await page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
        errors = watched.stop()
        await context.close()
    assert errors == []
    assert (tmp_path / "dashboard.png").stat().st_size > 0


async def test_without_a_token_the_page_asks_for_one_and_a_refused_one_asks_again(
    site: tuple[Reporting, str], browser: Browser
) -> None:
    _, base_url = site
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    await page.goto(f"{base_url}/")
    await page.wait_for_selector("body[data-state=sign-in]")
    assert await page.is_hidden("#board")

    await page.fill("#token-input", "not-a-token")
    await page.click("#token-form button[type=submit]")
    await page.wait_for_selector("body[data-state=sign-in] #sign-in-reason:has-text('refused')")
    assert await page.evaluate("sessionStorage.getItem('coulisse.reporting.token')") is None

    await page.fill("#token-input", TOKEN)
    await page.click("#token-form button[type=submit]")
    await page.wait_for_selector("body[data-state=ready]", timeout=15_000)
    await context.close()


DRAWN = """ids => ids.map(id => {
    const canvas = document.getElementById(id);
    const chart = Chart.getChart(canvas);
    const points = chart ? chart.data.datasets.reduce(
        (n, d) => n + d.data.filter(v => v !== null && v !== undefined).length, 0) : 0;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) painted += 1; }
    return {id, chart: Boolean(chart), points, painted};
})"""


@pytest.fixture
async def assets() -> AsyncIterator[str]:
    """The page's assets alone, behind a real HTTP server: no database, no broker."""
    app = FastAPI()
    app.include_router(dashboard.router)
    async with serving(app) as base_url:
        yield base_url


READ_CHUNKS = """async () => {
    const { EventParser } = await import('/static/js/sse.js');
    const events = [];
    const retries = [];
    const parser = new EventParser(e => events.push(e), ms => retries.push(ms));
    for (const chunk of [
        ': stream open\\r', '\\nretry: 2500\\r\\n\\r\\nid: 7\\nev', 'ent: a.b.v1\\ndata: {"x"',
        ':1}\\ndata: second line\\r', '\\n\\r', '\\nid: 8\\ndata: plain\\n', '\\n',
        'id: 9\\n\\n', 'data:no space\\n\\n',
    ]) {
        parser.push(chunk);
    }
    return { events, retries, last: parser.lastEventId };
}"""

RECONNECT = """async () => {
    const { follow } = await import('/static/js/sse.js');
    const calls = [];
    const states = [];
    const received = [];
    const controller = new AbortController();
    const answers = [
        () => new Response('{"title": "Service unavailable"}', { status: 503 }),
        () => new Response('retry: 40\\n\\nid: 41\\nevent: t\\ndata: one\\n\\nid: 42\\ndata: two\\n\\n',
            { headers: { 'content-type': 'text/event-stream' } }),
        () => new Response('id: 43\\ndata: three\\n\\n',
            { headers: { 'content-type': 'text/event-stream' } }),
        () => new Response('', { status: 401 }),
    ];
    await follow('/v1/events/stream', {
        signal: controller.signal,
        retryMs: 20,
        headers: () => ({ Authorization: 'Bearer T' }),
        onEvent: (event) => received.push(event),
        onState: (state) => states.push(state),
        fetch: async (url, init) => {
            calls.push({ url, last: init.headers['Last-Event-ID'] ?? null,
                         auth: init.headers.Authorization });
            return answers.shift()();
        },
    });
    return { calls, states, received };
}"""


async def test_the_stream_reader_parses_any_cut_and_resumes_after_the_last_id(
    assets: str, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{assets}/static/favicon.svg")  # an origin for the module to load from

    parsed = await page.evaluate(READ_CHUNKS)
    assert parsed["retries"] == [2500]
    assert parsed["events"] == [
        {
            "id": "7",
            "type": "a.b.v1",
            "data": json.dumps({"x": 1}, separators=(",", ":")) + "\nsecond line",
        },
        {"id": "8", "type": "message", "data": "plain"},
        {"id": "9", "type": "message", "data": "no space"},
    ]
    assert parsed["last"] == "9"

    followed = await page.evaluate(RECONNECT)
    # After a 503 and after each end of the stream it connects again, resuming after the last
    # id received; a 401 ends it.
    assert [c["last"] for c in followed["calls"]] == [None, None, "42", "43"]
    assert {c["auth"] for c in followed["calls"]} == {"Bearer T"}
    assert [e["data"] for e in followed["received"]] == ["one", "two", "three"]
    assert [e["id"] for e in followed["received"]] == ["41", "42", "43"]
    assert followed["states"][-1] == "refused"
    assert "reconnecting" in followed["states"]
    await page.close()
