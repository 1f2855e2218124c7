from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from coulisse.platform.telemetry import TraceIdFilter, setup_logging


def test_json_log_lines_carry_the_trace_id() -> None:
    setup_logging("customer", "INFO")
    handler = logging.getLogger().handlers[0]
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        logging.getLogger("coulisse.test").info("invoice issued")
        trace_id = f"{span.get_span_context().trace_id:032x}"
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "invoice issued"
    assert line["service"] == "customer"
    assert line["trace_id"] == trace_id
    assert line["level"] == "INFO"
    assert any(isinstance(f, TraceIdFilter) for f in handler.filters)
