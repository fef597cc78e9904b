"""The per-event loop: the app called once per event, the answers combined.

A single event's own answer is replayed; a batch's answers become one JSON
answer listing each event's ``id`` and ``status`` (see
:class:`~cloudevents_wsgi.middleware.CloudEventsMiddleware`). Under the Lambda
shim each event's outcome is reported to the
:class:`~cloudevents_wsgi.delivery.LambdaDelivery`, and a record no event
could be made of (:class:`Refused`) fails alone. Also the per-event layers
around the app (:func:`with_layers`: idempotency, tracing) and the small
answers the middleware writes itself (problem+json, JSON).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import environ as keys
from ._wsgi import Response, run
from .adapters.base import BatchAdapter, Converted
from .delivery import EventResult, LambdaDelivery
from .errors import ConfigurationError, InvalidEventError, problem_response
from .message import NamedTuple

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .middleware import CloudEventsMiddleware

__all__ = [
    "Refused",
    "dispatch",
    "each_record",
    "json_answer",
    "problem",
    "problem_parts",
    "run_event",
    "run_one",
    "with_layers",
]

logger = logging.getLogger("cloudevents_wsgi")


def dispatch(
    middleware: CloudEventsMiddleware,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    items: Sequence[Converted | Refused],
    content_mode: str,
    *,
    batch: bool,
    adapter: str | None = None,
) -> Iterable[bytes]:
    """Call the app once per event, then answer once.

    A single event's own answer is replayed; several are combined.
    ``adapter`` (single events only) is set in the event's environ. With a
    :class:`LambdaDelivery`, each outcome is reported to it, a refused
    record (:class:`Refused`) fails alone, and an event the delivery does
    not admit is held back.
    """
    if not items:
        start_response("204 No Content", [])
        return []
    delivery: LambdaDelivery | None = environ.get(keys.LAMBDA_DELIVERY)
    single = items[0]
    if not batch and len(items) == 1 and isinstance(single, Converted):
        # One event (a caller records its outcome): the loop below, unrolled.
        response = run_one(middleware, environ, single, content_mode, adapter)
        start_response(response.status, response.headers)
        return response.chunks
    steps: list[tuple[Converted, dict[str, Any]] | Refused] = []
    for index, item in enumerate(items):
        if isinstance(item, Refused):
            steps.append(item)
            continue
        try:
            env = middleware._event_environ(environ, item, content_mode)
        except InvalidEventError as error:
            if delivery is None or item.record_id is None:
                # Every event is written out before the app sees any: one
                # that cannot be refuses the whole request.
                raise error.within(f"[{index}].") if batch else error from None
            steps.append(Refused(item.record_id, error))  # a Lambda record: fails alone
            continue
        if batch:
            env[keys.BATCH_INDEX] = index
            env[keys.BATCH_SIZE] = len(items)
        steps.append((item, env))
    outcomes: list[dict[str, Any]] = []
    first_failure: str | None = None
    first_refusal: InvalidEventError | None = None
    answer: Response | None = None
    for index, step in enumerate(steps):
        if isinstance(step, Refused):
            # A record of a Lambda batch: reported failed (and logged by
            # the shim, with the batch's other failures), the app never sees it.
            refusal = step.error
            reason = f"{refusal.field}: {refusal.reason}"
            if delivery is not None:
                delivery.report(
                    EventResult(index, None, refusal.status, None, step.record_id, reason)
                )
            outcomes.append({"id": None, "status": refusal.status, "reason": reason})
            if first_failure is None:
                first_failure, first_refusal = refusal.problem()["title"], refusal
            continue
        item, env = step
        if delivery is not None and not delivery.admit(item.record_id):
            continue  # held back behind a failure: no result, reported by the shim
        response, exc_info = run_event(middleware.app, env, item.record_id)
        code = response.code
        if delivery is not None:
            delivery.report(EventResult(index, item.event, code, exc_info, item.record_id))
        if not batch:
            if exc_info is not None:
                raise exc_info[1].with_traceback(exc_info[2])
            answer = response
        outcome: dict[str, Any] = {"id": item.event.get_id(), "status": code}
        if exc_info is not None or not 200 <= code < 300:
            # Why, without the app's body (it may quote the event).
            outcome["reason"] = (
                f"the application raised {exc_info[0].__name__}"
                if exc_info is not None
                else f"the application answered {response.status}"
            )
            if first_failure is None:
                first_failure = response.status
        outcomes.append(outcome)
    if answer is not None:
        start_response(answer.status, answer.headers)
        return answer.chunks
    if first_refusal is not None:
        # A 4xx is always problem+json: the first failure was a refused record.
        return problem(first_refusal, start_response)
    return json_answer(first_failure or "200 OK", {"results": outcomes}, start_response)


def run_one(
    middleware: CloudEventsMiddleware,
    environ: WSGIEnvironment,
    item: Converted,
    content_mode: str,
    adapter: str | None = None,
    clean: bool = False,
) -> Response:
    """The app's whole answer to one event, reported to the environ's
    :class:`LambdaDelivery` if it has one; re-raises what the app raised.
    Raises :class:`InvalidEventError` when the event cannot be written into
    the environ (the app is not called). ``clean`` as for
    :meth:`CloudEventsMiddleware.deliver`."""
    env = (
        middleware._event_environ(environ, item, content_mode, None, adapter, True)
        if clean
        else middleware._event_environ(environ, item, content_mode, None, adapter)
    )
    event, _, record_id = item  # once: a named tuple's fields are looked up unspecialised
    response, exc_info = run_event(middleware.app, env, record_id)
    delivery: LambdaDelivery | None = environ.get(keys.LAMBDA_DELIVERY)
    if delivery is not None:
        delivery.report(EventResult(0, event, response.code, exc_info, record_id))
    if exc_info is not None:
        raise exc_info[1].with_traceback(exc_info[2])
    return response


def with_layers(app: WSGIApplication, idempotency: Any, tracing: Any) -> WSGIApplication:
    """``app`` inside the per-event layers chosen: tracing outside idempotency,
    so that a redelivery answered from the store has its span too."""
    if idempotency is not None:
        from .idempotency import idempotent

        app = idempotent(app, idempotency)
    if tracing is not False:
        if tracing is not True and not callable(getattr(tracing, "get_tracer", None)):
            raise ConfigurationError(
                f"tracing must be True, False or an OpenTelemetry TracerProvider, not {tracing!r}"
            )
        try:
            from .tracing import traced
        except ImportError as exc:
            raise ConfigurationError(
                "tracing needs OpenTelemetry: pip install 'cloudevents-wsgi[otel]'"
            ) from exc
        app = traced(app, None if tracing is True else tracing)
    return app


class Refused(NamedTuple):
    """A record of a Lambda batch that no event could be made of: it fails alone."""

    record_id: str | None
    error: InvalidEventError


def each_record(
    adapter: BatchAdapter, payload: Any, outcomes: list[list[Converted] | InvalidEventError]
) -> list[Converted | Refused]:
    """The events of every record, in order, a refused record in its place."""
    # convert_each returned: the payload is a batch of records (Kafka's are grouped).
    records_of = getattr(adapter, "records_of", None)
    records = payload["Records"] if records_of is None else records_of(payload)
    items: list[Converted | Refused] = []
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(outcome, InvalidEventError):
            items.append(Refused(adapter.record_id(record), outcome))
        else:
            items += outcome
    return items


def run_event(
    app: WSGIApplication, environ: dict[str, Any], record_id: str | None = None
) -> tuple[Response, Any]:
    """The app's whole answer to one event, or a 500 and the exception it raised."""
    try:
        return run(app, environ), None
    except Exception:
        if record_id is not None:
            logger.exception("the application raised for record %r", record_id)
        else:
            logger.exception("the application raised while handling an event")
        return Response("500 Internal Server Error"), sys.exc_info()


def json_answer(status: str, obj: Any, start_response: StartResponse) -> Iterable[bytes]:
    body = json.dumps(obj).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def problem(error: InvalidEventError, start_response: StartResponse) -> Iterable[bytes]:
    status, headers, body = problem_response(error)
    start_response(status, headers)
    return [body]


def problem_parts(error: InvalidEventError) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """``Response(*problem_parts(error))``: the problem+json answer, collected."""
    status, headers, body = problem_response(error)
    return status, headers, [body]
