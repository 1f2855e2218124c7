"""The local run's trace viewer and health signals: Zipkin as a supervised program, the services
pointed at it, and what `coulisse status` reads from `/metrics`."""

from __future__ import annotations

from pathlib import Path

from supervisor.options import ServerOptions

from coulisse.ops import signals, zipkin
from coulisse.ops.dead_letters import from_headers
from coulisse.ops.paths import Layout
from coulisse.ops.services import by_name
from coulisse.ops.stack import Stack, State
from coulisse.ops.supervise import render_config


def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path, tmp_path / "run")


def test_zipkin_runs_from_the_cached_jar_on_the_loopback_only(tmp_path: Path) -> None:
    paths = layout(tmp_path)
    program = zipkin.program(paths, 9411)
    command = list(program.command)
    assert command[command.index("-jar") + 1] == str(paths.cache / "zipkin" / zipkin.JAR_NAME)
    assert "--armeria.ports[0].port=9411" in command
    assert "--armeria.ports[0].ip=127.0.0.1" in command
    env = program.environment
    assert env["STORAGE_TYPE"] == "mem" and int(env["MEM_MAX_SPANS"]) > 0
    # The broker of the developer's shell must not become a span source.
    assert env["COLLECTOR_KAFKA_ENABLED"] == "false" and env["KAFKA_BOOTSTRAP_SERVERS"] == ""


def test_supervisord_reads_the_zipkin_program(tmp_path: Path) -> None:
    paths = layout(tmp_path)
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "supervisord.conf"
    conf.write_text(render_config(tmp_path, [zipkin.program(paths, 19411)]))
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    [group] = options.process_group_configs
    [process] = group.process_configs
    assert process.name == "zipkin"
    assert "--armeria.ports[0].port=19411" in process.command
    assert process.environment["KAFKA_BOOTSTRAP_SERVERS"] == ""


def test_the_services_send_their_spans_to_the_local_zipkin(tmp_path: Path) -> None:
    stack = Stack(layout(tmp_path), State(zipkin_port=19411, traces=True))
    env = stack.tracing_environment()
    assert env == {
        "COULISSE_TRACES_EXPORTER": "zipkin",
        "COULISSE_ZIPKIN_ENDPOINT": "http://127.0.0.1:19411/api/v2/spans",
    }
    assert stack.environment(by_name("billing"), "sqlite+aiosqlite:///x").items() >= env.items()


def test_without_zipkin_the_spans_stay_in_the_process(tmp_path: Path) -> None:
    stack = Stack(layout(tmp_path), State(traces=False))
    assert stack.tracing_environment() == {"COULISSE_TRACES_EXPORTER": "none"}


METRICS = """\
# TYPE coulisse_http_requests_total counter
coulisse_http_requests_total{method="POST",route="/v1/invoices",status="201"} 4.0
coulisse_http_requests_total{method="POST",route="/v1/invoices",status="503"} 2.0
coulisse_http_requests_total{method="GET",route="/readyz",status="503"} 1.0
# TYPE coulisse_outbox_pending gauge
coulisse_outbox_pending 3.0
# TYPE coulisse_outbox_oldest_pending_age_seconds gauge
coulisse_outbox_oldest_pending_age_seconds 75.5
# TYPE coulisse_consumer_lag gauge
coulisse_consumer_lag{group="accounting-gateway",partition="0",topic="billing.events"} 4.0
coulisse_consumer_lag{group="accounting-gateway",partition="1",topic="billing.events"} 6.0
# TYPE coulisse_dead_letter_topic_records gauge
coulisse_dead_letter_topic_records{group="accounting-gateway"} 1.0
# TYPE coulisse_gateway_suspense_open gauge
coulisse_gateway_suspense_open 2.0
"""


def test_status_sums_up_the_signals_of_a_service() -> None:
    found = signals.parse(METRICS)
    assert found.outbox_pending == 3
    assert found.outbox_oldest_seconds == 75.5
    assert found.lag == 10
    assert found.dead_letters == 1
    assert found.suspense == 2
    assert found.unavailable == 3
    assert signals.age(found.outbox_oldest_seconds) == "76 s"


def test_a_service_that_consumes_nothing_shows_no_lag() -> None:
    found = signals.parse("# TYPE coulisse_outbox_pending gauge\ncoulisse_outbox_pending 0.0\n")
    assert found.lag is None and found.dead_letters is None and found.suspense is None
    assert found.outbox_pending == 0 and found.unavailable == 0


def test_a_dead_letter_is_described_by_its_headers() -> None:
    letter = from_headers(
        "accounting-gateway",
        0,
        7,
        {
            "ce_type": "billing.invoice.issued.v1",
            "ce_id": "0b5c",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "dlq-error": "ValueError: no rule",
            "dlq-attempts": "3",
            "dlq-source-topic": "billing.events",
            "dlq-source-partition": "4",
            "dlq-source-offset": "12",
            "dlq-failed-at": "2026-06-15T10:00:00+00:00",
        },
    )
    assert letter.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert letter.source == "billing.events/4@12"
    assert (letter.event_type, letter.attempts, letter.error) == (
        "billing.invoice.issued.v1",
        "3",
        "ValueError: no rule",
    )
    assert from_headers("billing", 0, 0, {}).trace_id is None
