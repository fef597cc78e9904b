"""Trace context: one OpenTelemetry span per event, with the real SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.tracing import xray_span_context

from . import builders

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


class App:
    """Answers ``status`` (or raises) and starts a span of its own."""

    def __init__(self, provider: TracerProvider, status: str = "204 No Content") -> None:
        self.tracer = provider.get_tracer("app")
        self.status = status

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.tracer.start_as_current_span("app work"):
            if self.status == "raise":
                raise RuntimeError("the app failed")
            start_response(self.status, [])
            return []


def structured(**extra: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "e-1",
        "source": "tests/orders",
        "type": "order.created",
        **extra,
    }


def post_structured(app: Any, event: Any, headers: dict[str, str] | None = None) -> Any:
    content_type = (
        "application/cloudevents-batch+json"
        if isinstance(event, list)
        else "application/cloudevents+json"
    )
    response = Client(app).post(
        "/", data=json.dumps(event), content_type=content_type, headers=headers or {}
    )
    response.get_data()
    response.close()
    return response


def event_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("CloudEvents")]


def test_one_consumer_span_with_the_cloudevents_attributes(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    middleware = CloudEventsMiddleware(App(provider), tracing=provider)
    post_structured(middleware, structured(subject="books/1"))
    [span] = event_spans(exporter)
    assert span.name == "CloudEvents Process order.created"
    assert span.kind is SpanKind.CONSUMER
    assert dict(span.attributes or {}) == {
        "cloudevents.event_id": "e-1",
        "cloudevents.event_source": "tests/orders",
        "cloudevents.event_type": "order.created",
        "cloudevents.event_subject": "books/1",
        "cloudevents.event_spec_version": "1.0",
    }
    assert span.status.status_code is StatusCode.UNSET


def test_no_subject_attribute_for_an_event_without_one(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    post_structured(CloudEventsMiddleware(App(provider), tracing=provider), structured())
    [span] = event_spans(exporter)
    assert "cloudevents.event_subject" not in (span.attributes or {})


def test_the_parent_is_the_events_traceparent_extension(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    middleware = CloudEventsMiddleware(App(provider), tracing=provider)
    post_structured(middleware, structured(traceparent=TRACEPARENT, tracestate="k=v"))
    [span] = event_spans(exporter)
    assert span.parent is not None
    assert (span.parent.trace_id, span.parent.span_id) == (int(TRACE_ID, 16), int(SPAN_ID, 16))
    assert span.parent.is_remote
    assert span.context.trace_state.get("k") == "v"


def test_the_apps_own_spans_are_children_of_the_event_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    post_structured(
        CloudEventsMiddleware(App(provider), tracing=provider),
        structured(traceparent=TRACEPARENT),
    )
    [work] = [s for s in exporter.get_finished_spans() if s.name == "app work"]
    [span] = event_spans(exporter)
    assert work.parent is not None and work.parent.span_id == span.context.span_id


def test_a_binary_request_continues_its_http_traceparent_header(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "b-1",
        "ce-source": "tests/orders",
        "ce-type": "order.created",
        "traceparent": TRACEPARENT,
    }
    Client(CloudEventsMiddleware(App(provider), tracing=provider)).post(
        "/", data=b"{}", content_type="application/json", headers=headers
    ).close()
    [span] = event_spans(exporter)
    assert span.parent is not None and span.parent.trace_id == int(TRACE_ID, 16)


def test_the_extension_wins_over_the_http_header(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    other = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "b-1",
        "ce-source": "tests/orders",
        "ce-type": "order.created",
        "ce-traceparent": TRACEPARENT,
        "traceparent": other,
    }
    Client(CloudEventsMiddleware(App(provider), tracing=provider)).post(
        "/", data=b"{}", content_type="application/json", headers=headers
    ).close()
    [span] = event_spans(exporter)
    assert span.parent is not None and span.parent.trace_id == int(TRACE_ID, 16)


def test_a_structured_requests_http_traceparent_is_not_the_events_parent(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    middleware = CloudEventsMiddleware(App(provider), tracing=provider)
    post_structured(middleware, structured(), headers={"traceparent": TRACEPARENT})
    [span] = event_spans(exporter)
    assert span.parent is None


@pytest.mark.parametrize("traceparent", ["garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"])
def test_a_malformed_traceparent_starts_a_new_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter, traceparent: str
) -> None:
    middleware = CloudEventsMiddleware(App(provider), tracing=provider)
    post_structured(middleware, structured(traceparent=traceparent))
    [span] = event_spans(exporter)
    assert span.parent is None


def test_each_event_of_a_batch_gets_its_own_span_and_parent(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    parents = [f"00-{n:032x}-{n:016x}-01" for n in (1, 2, 3)]
    batch = [structured(id=f"e-{n}", traceparent=p) for n, p in enumerate(parents)]
    post_structured(CloudEventsMiddleware(App(provider), tracing=provider), batch)
    spans = event_spans(exporter)
    assert [s.attributes["cloudevents.event_id"] for s in spans] == ["e-0", "e-1", "e-2"]  # type: ignore[index]
    assert [s.parent.trace_id for s in spans] == [1, 2, 3]  # type: ignore[union-attr]


def test_a_non_2xx_answer_marks_the_span_as_an_error(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    post_structured(
        CloudEventsMiddleware(App(provider, "503 Service Unavailable"), tracing=provider),
        structured(),
    )
    [span] = event_spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert "503" in (span.status.description or "")


def test_an_exception_is_recorded_on_the_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(RuntimeError, match="the app failed"):
        post_structured(
            CloudEventsMiddleware(App(provider, "raise"), tracing=provider), structured()
        )
    [span] = event_spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


def test_requests_without_an_event_get_no_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    Client(CloudEventsMiddleware(App(provider), tracing=provider)).get("/").close()
    assert event_spans(exporter) == []


def test_under_lambda_the_xray_trace_is_linked(
    provider: TracerProvider, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    handler = make_lambda_handler(CloudEventsMiddleware(App(provider), tracing=provider))
    handler(
        builders.sqs_messages("m-1", queue="orders"),
        object(),
    )
    [span] = event_spans(exporter)
    [link] = span.links
    assert link.context.trace_id == int("5759e988bd862e3fe1be46a994272793", 16)
    assert link.context.span_id == int("53995c3f42cd8ad8", 16)
    assert link.context.trace_flags.sampled


def test_over_http_the_xray_variable_is_not_linked(
    provider: TracerProvider, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
    )
    post_structured(CloudEventsMiddleware(App(provider), tracing=provider), structured())
    [span] = event_spans(exporter)
    assert span.links == ()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            (0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8, False),
            id="unsampled",
        ),
        pytest.param(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:1",
            (0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8, True),
            id="lineage",
        ),
        pytest.param("Root=1-5759e988-bd862e3fe1be46a994272793", None, id="no-parent"),
        pytest.param(
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", None, id="version-2"
        ),
        pytest.param(
            "Root=1-5759e988-bd862e3fe1be46a99427279x;Parent=53995c3f42cd8ad8", None, id="not-hex"
        ),
        pytest.param(
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8", None, id="zero"
        ),
        pytest.param("", None, id="empty"),
    ],
)
def test_xray_trace_header(header: str, expected: tuple[int, int, bool] | None) -> None:
    context = xray_span_context(header)
    if expected is None:
        assert context is None
    else:
        assert context is not None
        assert (context.trace_id, context.span_id, context.trace_flags.sampled) == expected


@pytest.mark.parametrize("tracing", ["yes", 1, object()])
def test_tracing_must_be_a_bool_or_a_tracer_provider(tracing: Any) -> None:
    with pytest.raises(ConfigurationError, match="tracing must be"):
        CloudEventsMiddleware(App(TracerProvider()), tracing=tracing)


GLOBAL_PROVIDER = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.test import Client
from cloudevents_wsgi import CloudEventsMiddleware

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

def app(environ, start_response):
    start_response("204 No Content", [])
    return []

event = {"specversion": "1.0", "id": "1", "source": "s", "type": "t"}
Client(CloudEventsMiddleware(app, tracing=True)).post(
    "/", data=json.dumps(event), content_type="application/cloudevents+json"
).close()
print([span.name for span in exporter.get_finished_spans()])
"""


def test_tracing_true_uses_the_global_tracer_provider() -> None:
    out = subprocess.run(
        [sys.executable, "-c", GLOBAL_PROVIDER], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['CloudEvents Process t']"


LEAN = """
import json, sys
from cloudevents_wsgi import CloudEventsMiddleware

def app(environ, start_response):
    start_response("204 No Content", [])
    return []

event = {"specversion": "1.0", "id": "1", "source": "s", "type": "t"}
body = json.dumps(event).encode()
import io
environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/cloudevents+json",
           "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "PATH_INFO": "/"}
list(CloudEventsMiddleware(app)(environ, lambda *args: None))
print(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"))
"""


def test_without_tracing_no_opentelemetry_module_is_imported() -> None:
    out = subprocess.run([sys.executable, "-c", LEAN], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
try:
    CloudEventsMiddleware(lambda environ, start_response: [], tracing=True)
except ConfigurationError as error:
    print(error)
"""


def test_tracing_without_the_otel_extra_is_a_configuration_error() -> None:
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_OTEL], capture_output=True, text=True, check=True
    )
    assert "pip install 'cloudevents-wsgi[otel]'" in out.stdout
