"""Trace context: one OpenTelemetry span per CloudEvent handled.

``CloudEventsMiddleware(app, tracing=True)`` (the ``otel`` extra:
``pip install cloudevents-wsgi[otel]``) wraps each call of the app for an event,
every event of a batch separately, in a span:

- kind ``CONSUMER``, named ``CloudEvents Process <type>``;
- its parent is the trace the event carries: the ``traceparent`` and
  ``tracestate`` attributes of the CloudEvents distributed-tracing extension
  (https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/distributed-tracing.md),
  or else, for a binary-mode request, its HTTP ``traceparent`` and
  ``tracestate`` headers (W3C Trace Context); with neither, the span that is
  current (a WSGI instrumentation's server span, say), if any;
- the OpenTelemetry semantic-convention attributes for CloudEvents
  (https://opentelemetry.io/docs/specs/semconv/cloudevents/cloudevents-spans/):
  ``cloudevents.event_id``, ``cloudevents.event_source``,
  ``cloudevents.event_type``, ``cloudevents.event_spec_version`` and, when the
  event has one, ``cloudevents.event_subject``;
- status ``ERROR`` when the app answers a non-2xx status or raises (the
  exception is recorded);
- under the Lambda shim, a link to the invocation's AWS X-Ray trace: the
  ``_X_AMZN_TRACE_ID`` environment variable the Lambda runtime sets for each
  invocation, ``Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>``
  (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader),
  read as trace id ``<8 hex><24 hex>``, span id ``<16 hex>``. A header that is
  not of this form is not linked.

The span is current while the app is called, so spans the app starts are its
children; it ends when the server closes the answer. Nothing of OpenTelemetry
is imported unless ``tracing`` is on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import __version__
from .environ import CLOUDEVENT, CONTENT_MODE

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from opentelemetry.context import Context

__all__ = ["traced", "xray_span_context"]

_PROPAGATOR: Final = TraceContextTextMapPropagator()
_LAMBDA_CONTEXT: Final = "aws.context"


def traced(app: WSGIApplication, tracer_provider: Any = None) -> WSGIApplication:
    """``app``, each call for a CloudEvent in a span (see the module).

    ``tracer_provider`` is an OpenTelemetry ``TracerProvider``; ``None`` uses
    the global one. Requests without ``environ["cloudevent"]`` pass straight
    to ``app``.
    """
    tracer = trace.get_tracer("cloudevents_wsgi", __version__, tracer_provider=tracer_provider)

    def call(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        event = environ.get(CLOUDEVENT)
        if event is None:
            return app(environ, start_response)
        attributes = {
            "cloudevents.event_id": event.get_id(),
            "cloudevents.event_source": event.get_source(),
            "cloudevents.event_type": event.get_type(),
            "cloudevents.event_spec_version": event.get_specversion(),
        }
        subject = event.get_subject()
        if subject is not None:
            attributes["cloudevents.event_subject"] = subject
        links = []
        if _LAMBDA_CONTEXT in environ:
            xray = xray_span_context(os.environ.get("_X_AMZN_TRACE_ID", ""))
            if xray is not None:
                links.append(Link(xray))
        span = tracer.start_span(
            f"CloudEvents Process {event.get_type()}",
            context=_parent(environ, event),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            links=links,
        )
        return _Spanned(app, environ, start_response, span)

    return call


def _parent(environ: WSGIEnvironment, event: Any) -> Context | None:
    """The context the event's trace continues, or None for the current one."""
    traceparent = event.get_extension("traceparent")
    carrier: dict[str, str] = {}
    if isinstance(traceparent, str):
        carrier["traceparent"] = traceparent
        tracestate = event.get_extension("tracestate")
        if isinstance(tracestate, str):
            carrier["tracestate"] = tracestate
    elif environ.get(CONTENT_MODE) == "binary" and "HTTP_TRACEPARENT" in environ:
        carrier["traceparent"] = environ["HTTP_TRACEPARENT"]
        if "HTTP_TRACESTATE" in environ:
            carrier["tracestate"] = environ["HTTP_TRACESTATE"]
    if not carrier:
        return None
    context = _PROPAGATOR.extract(carrier)
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None  # a malformed traceparent continues nothing
    return context


def xray_span_context(header: str) -> SpanContext | None:
    """The span an X-Ray trace header names (``Root=1-…;Parent=…;Sampled=…``),
    or None when ``header`` has no valid ``Root`` and ``Parent``."""
    fields = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    root = fields.get("Root", "").split("-")
    parent = fields.get("Parent", "")
    if len(root) != 3 or root[0] != "1" or len(root[1]) != 8 or len(root[2]) != 24:
        return None
    if len(parent) != 16 or not _is_hex(root[1] + root[2] + parent):
        return None
    trace_id, span_id = int(root[1] + root[2], 16), int(parent, 16)
    if trace_id == 0 or span_id == 0:
        return None
    return SpanContext(
        trace_id=trace_id,
        span_id=span_id,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if fields.get("Sampled") == "1" else 0),
    )


def _is_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdefABCDEF" for c in text)


class _Spanned:
    """The app called inside ``span``; the span ends when the answer is closed."""

    def __init__(
        self,
        app: WSGIApplication,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        span: trace.Span,
    ) -> None:
        self.span = span
        self.ended = False

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            code = status[:3]
            if not (code.isdigit() and 200 <= int(code) < 300):
                span.set_status(Status(StatusCode.ERROR, f"answered {status}"))
            return start_response(status, headers, exc_info)

        try:
            with trace.use_span(span, end_on_exit=False, record_exception=False):
                self.iterable = app(environ, recording_start_response)
        except BaseException as exc:
            self._fail(exc)
            self._end()
            raise

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.iterable
        except BaseException as exc:
            self._fail(exc)
            self._end()  # now: not every server closes an answer that raised
            raise

    def close(self) -> None:
        try:
            close = getattr(self.iterable, "close", None)
            if close is not None:
                close()
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            self._end()

    def _fail(self, exc: BaseException) -> None:
        self.span.record_exception(exc)
        self.span.set_status(Status(StatusCode.ERROR, type(exc).__name__))

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self.span.end()
