"""OpenTelemetry tracing and JSON logs carrying the trace id.

Where spans go is `COULISSE_TRACES_EXPORTER`: `otlp` (the default) exports over OTLP/HTTP when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set, `zipkin` posts Zipkin JSON to `COULISSE_ZIPKIN_ENDPOINT`
(the local run's trace viewer), `none` exports nothing. Spans are created in every case: the
trace id reaches logs, events and response headers.

A database statement run outside any traced work (the relay's polls, readiness pings, metric
scrapes, a worker's loop) starts no trace of its own: it would bury the business flows.

Neither carries personal data: request bodies are never logged or recorded, the values of query
parameters (a search by name or e-mail) are masked in request spans (`redact_request_span`),
and SQL errors leave their bound parameters out (`db.create_engine`).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import requests
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.propagators import (
    TraceResponsePropagator,
    set_global_response_propagator,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from pythonjsonlogger.json import JsonFormatter

from coulisse.platform.settings import ServiceSettings

HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)

log = logging.getLogger("coulisse.telemetry")

_configured = False


class TraceIdFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.service = self._service
        record.trace_id = f"{context.trace_id:032x}" if context.is_valid else None
        record.span_id = f"{context.span_id:016x}" if context.is_valid else None
        return True


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(TraceIdFilter(service))
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request line at INFO: the personal-data key fetches would flood the logs.
    for noisy in ("aiokafka", "kafka", "faststream", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class NoStrayStatements(Sampler):
    """The root sampler: a span without a parent is kept unless it is a client call (in practice
    a database statement) that no traced work asked for."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "NoStrayStatements"


SAMPLER = ParentBased(root=NoStrayStatements())


class TolerantExporter(SpanExporter):
    """A trace viewer that is down or still starting costs a warning a minute, not a traceback
    per batch: the spans of that batch are dropped, the service goes on."""

    def __init__(self, inner: SpanExporter, target: str) -> None:
        self._inner = inner
        self._target = target
        self._last_warning = -60.0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            return self._inner.export(spans)
        except (requests.RequestException, OSError) as exc:
            if time.monotonic() - self._last_warning >= 60:
                self._last_warning = time.monotonic()
                log.warning("spans not exported to %s: %s", self._target, type(exc).__name__)
            return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def span_exporter(settings: ServiceSettings) -> SpanExporter | None:
    """The exporter the settings ask for; None when spans are not to leave the process."""
    if settings.traces_exporter == "zipkin":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        endpoint = settings.zipkin_endpoint
        return TolerantExporter(ZipkinExporter(endpoint=endpoint, timeout=5), endpoint)
    if settings.traces_exporter == "otlp" and settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    return None


def setup_tracing(service: str, settings: ServiceSettings) -> TracerProvider | Any:
    global _configured
    if _configured:
        return trace.get_tracer_provider()
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"coulisse-{service}"}), sampler=SAMPLER
    )
    exporter = span_exporter(settings)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    # Each answer names its server span (`traceresponse`, W3C Trace Context level 2): a front end
    # acting on what it got (a refund for a customer's refund request) sends it back as its
    # `traceparent`, and its call joins the same trace.
    set_global_response_propagator(TraceResponsePropagator())  # type: ignore[no-untyped-call]
    _configured = True
    return provider


def traced(client: HttpClient) -> HttpClient:
    """`client`, carrying the caller's trace to the service it asks (billing asking customer for
    a personal-data key): the answering service's spans join the flow instead of starting their
    own. Only the platform's own clients are instrumented, never every httpx client of the
    process: a client outside any traced work would send a not-sampled `traceparent` (its root
    client span is dropped) and the service it calls would drop its whole trace."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client)
    return client


REDACTED = "REDACTED"
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def _masked_query(query: str) -> str:
    return urlencode([(name, REDACTED) for name, _ in parse_qsl(query, keep_blank_values=True)])


def redact_request_span(span: Any, scope: Mapping[str, Any]) -> None:
    """Masks the values of query parameters in a request's span (`?q=REDACTED`): a search names
    people. The FastAPI instrumentation's `server_request_hook`, run once the span has its
    attributes."""
    if not scope.get("query_string") or not span.is_recording():
        return
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            parts = urlsplit(value)
            span.set_attribute(name, urlunsplit(parts._replace(query=_masked_query(parts.query))))
    if isinstance(attributes.get("url.query"), str):
        span.set_attribute("url.query", _masked_query(str(attributes["url.query"])))


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
