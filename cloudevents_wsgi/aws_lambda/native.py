"""Every Lambda event that is not an HTTP request: S3, SQS, SNS, EventBridge,
DynamoDB, Kinesis, CloudWatch Logs, SES, a CloudEvent invoked directly...

The event becomes one ``POST`` to ``event_path`` carrying a
:class:`~cloudevents_wsgi.delivery.LambdaDelivery`; the middleware the shim
wraps around the app turns it into CloudEvents, calls the app once per event
and reports each outcome to the delivery. The answer to Lambda is built from
those outcomes:

- a record batch (SQS, Kinesis, DynamoDB streams): ``{"batchItemFailures":
  [...]}`` (:mod:`.batch`), or :class:`BatchFailedError` when every record
  failed or failures may not be reported record by record;
- anything else: the app's answer (status, headers, body) when it was 2xx
  for every event, else :class:`EventFailedError`, and an exception from the
  app propagates: Lambda records an error, retries asynchronous invocations
  and sends them to the dead-letter queue or failure destination.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from functools import partial
from io import BytesIO  # a module attribute: io's __getattr__ keeps io.BytesIO unspecialised (3.11)
from typing import TYPE_CHECKING, Any, Final

from .._wsgi import Response, run
from ..delivery import EventResult, LambdaDelivery
from ..environ import LAMBDA_DELIVERY
from ..errors import log_safe
from ..middleware import CloudEventsMiddleware, takes_clean_delivery
from . import batch, http
from .errors import BatchFailedError, EventFailedError
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from ..adapters.base import BatchAdapter
    from ..event import CloudEvent

KIND: Final = "native"

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")

# Built once: json.dumps with options builds an encoder on every call.
_TO_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_STRUCTURED: Final = "application/cloudevents+json"
_BATCH: Final = "application/cloudevents-batch+json"


def infer(event: Any) -> bool:
    """Every event: this trigger is tried last, after the HTTP ones."""
    return True


def handle(
    app: WSGIApplication,
    options: Options,
    event: Any,
    context: Any,
    *,
    environ: Mapping[str, Any] | None = None,
) -> Any:
    """Run ``app`` on ``event``; ``environ`` adds keys to the request's environ."""
    adapter = batch.batch_adapter(event)
    if adapter is not None:
        return handle_batch(app, options, event, context, adapter, environ=environ)
    # A plain JSON payload no adapter recognises becomes the invocation's
    # CloudEvent: the middleware says so (fell_back), recognising it once.
    content_type = _content_type(event)
    fallback = (
        partial(_invocation_event, context=context) if content_type == "application/json" else None
    )
    delivery = LambdaDelivery(event, routes=options.routes, fallback=fallback)
    response = post(app, options, delivery, context, environ, content_type)
    results = delivery.results
    code = response.code
    for result in results:
        if not result.ok:
            failed = [r for r in results if not r.ok]
            break
    else:
        failed = []  # the usual case: no list built, no comprehension run
    if failed or not 200 <= code < 300:
        answer_body = response.body
        if response.code in (404, 405, 415) and not results:
            summary = (
                "nothing recognised this event (is there an adapter for it, and does the "
                f"app answer POST {options.event_path}?)"
            )
        elif failed and len(results) > 1:
            summary = (
                f"{len(failed)} of the {len(results)} events made from this event failed "
                f"({_paths(failed, options)})"
            )
        else:
            summary = f"the event failed ({_paths(failed or results, options)})"
        raise EventFailedError(
            f"{summary}; {_answered(response, results, answer_body)}",
            status=response.code,
            body=answer_body,
            results=results,
        ) from _first_exception(results)
    if delivery.fell_back:
        # A direct invoke, Step Functions...: the app's answer is the result.
        from . import invocation

        return invocation.result(response.body, response.header("content-type"))
    text, is_base64 = http.encode_body(response, options)
    return {
        "statusCode": code,
        "headers": http.joined(response.headers)[0],
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _invocation_event(payload: Any, context: Any) -> CloudEvent:
    """:func:`.invocation.cloudevent`, its module imported by the first
    payload no adapter recognises: the first S3 or SQS event never loads it."""
    from . import invocation

    return invocation.cloudevent(payload, context)


def deadline_clock(context: Any) -> batch.Clock | None:
    """``context.get_remaining_time_in_millis`` when the context has it."""
    clock = getattr(context, "get_remaining_time_in_millis", None)
    return clock if callable(clock) else None


def handle_batch(
    app: WSGIApplication,
    options: Options,
    event: dict[str, Any],
    context: Any,
    adapter: BatchAdapter,
    *,
    environ: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a record batch (SQS, Kinesis, DynamoDB, Kafka) through the app and
    return ``{"batchItemFailures": [...]}`` (:mod:`.batch` says which records
    wait behind a failure and which are reported); ``environ`` adds keys to
    the request's environ. Raises :class:`BatchFailedError` when every record
    failed or failures may not be reported record by record."""
    clock = deadline_clock(context)
    run_gate = batch.gate(event, adapter, clock=clock, margin_ms=options.deadline_margin_ms)
    delivery = LambdaDelivery(
        event, routes=options.routes, admit=run_gate.admit, on_failure=run_gate.on_failure
    )
    if clock is not None and clock() < options.deadline_margin_ms:
        # Not even the first record may start: every record is reported.
        run_gate.past_deadline = True
        response = Response("503 Service Unavailable")
    else:
        try:
            response = post(app, options, delivery, context, environ)
        except Exception:
            if not delivery.results:
                raise  # a Lambda error: AWS retries
            # A batch of one whose event raised (the middleware recorded it):
            # reported below like any failed batch.
            response = Response("500 Internal Server Error")
    results = delivery.results
    records = batch.records_of(event, adapter)
    failures = batch.failed_records(event, results, adapter)
    if not failures:
        return {"batchItemFailures": []}
    _log_failures(records, failures, results, adapter)
    report = batch.item_identifiers(event, failures, adapter)
    every = len(failures) == len(records)
    if every and adapter.event_source != "aws:sqs":
        # A stream or Kafka: records held back behind a failure did not fail
        # themselves; the report sends Lambda back to the first failure.
        ran_failed = {result.record_id for result in results if not result.ok}
        every = all(adapter.record_id(records[i]) in ran_failed for i in failures)
    partial = not every and options.report_batch_item_failures
    if report is None or not partial:
        count = (
            "every record"
            if len(failures) == len(records)
            else f"{len(failures)} of {len(records)} records"
        )
        late = (
            "; records were not started because the remaining time was under "
            f"deadline_margin_ms={options.deadline_margin_ms:g}"
            if run_gate.past_deadline
            else ""
        )
        raise BatchFailedError(
            f"{count} of the batch failed{late}; {_answered(response, results, response.body)}",
            status=response.code,
            body=response.body,
            results=results,
        ) from _first_exception(results)
    if run_gate.past_deadline:
        logger.warning(
            "deadline: %d record(s) not started, remaining time under %g ms; reported failed",
            len(records) - len({r.record_id for r in results}),
            options.deadline_margin_ms,
        )
    return {"batchItemFailures": [{"itemIdentifier": i} for i in report]}


def post(
    app: WSGIApplication,
    options: Options,
    delivery: LambdaDelivery,
    context: Any,
    extra: Mapping[str, Any] | None = None,
    content_type: str | None = None,
) -> Response:
    """``POST`` the delivery to the app (the middleware the shim wrapped it in).

    A native payload travels decoded in the delivery, so the body is empty;
    CloudEvents (structured, batch) travel as JSON in the body, read as any
    CloudEvents request is. ``content_type``: the payload's, when the caller
    has already told (``_content_type``).
    """
    payload = delivery.payload
    if content_type is None:
        content_type = _content_type(payload)
    if content_type == "application/json":
        body = b""
    else:
        # surrogatepass: a lone surrogate (a JSON "\ud800" escape) stays, as
        # bytes that are not UTF-8, for the middleware to refuse with a 400.
        body = _TO_JSON(payload).encode("utf-8", "surrogatepass")
    environ = post_environ(options, options.event_path, content_type, body, payload, context)
    environ[LAMBDA_DELIVERY] = delivery
    if extra:
        environ.update(extra)
    if not body and isinstance(app, CloudEventsMiddleware):
        # The shim's own middleware: no WSGI round trip. With no extra key the
        # environ is post_environ's alone: deliver's ``clean``, where the path
        # and type are plain str (a subclass may hash and compare otherwise,
        # and must not be remembered for later requests).
        if (
            not extra
            and type(options.event_path) is str
            and type(content_type) is str
            and takes_clean_delivery(app)
        ):
            return app.deliver(environ, True)
        return app.deliver(environ)
    return run(app, environ)


def post_environ(
    options: Options, path: str, content_type: str, body: bytes, event: Any, context: Any
) -> dict[str, Any]:
    """The environ of a ``POST`` the shim makes from a non-HTTP event."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": options.server_name,
        # "https", so that apps that redirect plain HTTP (Django's
        # SECURE_SSL_REDIRECT) take the event rather than answer 301.
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        # The request comes from inside the execution environment.
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        http.AWS_EVENT: event,
        http.AWS_CONTEXT: context,
    }


def _content_type(event: Any) -> str:
    if isinstance(event, dict) and "specversion" in event:
        return _STRUCTURED
    if (
        isinstance(event, list)
        and event
        and all(isinstance(item, dict) and "specversion" in item for item in event)
    ):
        return _BATCH
    return "application/json"


def _paths(results: Sequence[EventResult], options: Options) -> str:
    """Which path the events of ``results`` were POSTed to, and how to change it."""
    paths: list[str] = []
    for result in results:
        path = _path_of(result, options)
        if path not in paths:
            paths.append(path)
    called = ", ".join(f"POST {path}" for path in paths) or f"POST {options.event_path}"
    return (
        f"called {called}; non-HTTP events go to event_path "
        "(CLOUDEVENTS_WSGI_EVENT_PATH for the ready handler) unless routes "
        "(CLOUDEVENTS_WSGI_ROUTES, a JSON object of type patterns to paths) "
        "send their type elsewhere"
    )


def _path_of(result: EventResult, options: Options) -> str:
    if result.event is not None:
        event_type = result.event.get_type()
        for pattern, path in options.routes:
            if fnmatchcase(event_type, pattern):
                return path
    return options.event_path


def _log_failures(
    records: list[Any], failures: list[int], results: Sequence[EventResult], adapter: Any
) -> None:
    """One line per failed record (:mod:`cloudevents_wsgi.diagnostics`)."""
    from ..diagnostics import log_failed_record  # here: failures are the rare path (cold start)

    by_record: dict[str | None, list[EventResult]] = {}
    for result in results:
        by_record.setdefault(result.record_id, []).append(result)
    any_failed = any(not result.ok for result in results)
    for index in failures:
        record_id = adapter.record_id(records[index])
        own = by_record.get(record_id, [])
        failed = next((result for result in own if not result.ok), None)
        if failed is not None:
            log_failed_record(record_id, adapter.event_source, failed)
        elif own:
            log_failed_record(
                record_id,
                adapter.event_source,
                own[0],
                "accepted, but reported with an earlier failed message of its group, "
                "so that the group is retried in order",
            )
        elif any_failed:
            log_failed_record(
                record_id,
                adapter.event_source,
                None,
                "not handed to the application: it waits behind an earlier failed record",
            )
        else:
            log_failed_record(
                record_id, adapter.event_source, None, "no event of it reached the application"
            )


def _answered(response: Response, results: Sequence[EventResult], body: bytes) -> str:
    refused = [result.reason for result in results if result.reason is not None]
    # The field and the reason of the first refused record (never its data),
    # escaped: the field may come from the event, and this message is logged.
    detail = log_safe(f": {refused[0]}" if refused else _detail(body))
    if any(result.event is not None for result in results):
        return f"the application answered {response.status!r}{detail}"
    # The middleware refused it (an invalid event): the app never saw it.
    return f"no event reached the application; answered {response.status!r}{detail}"


def _detail(body: bytes) -> str:
    if not body:
        return ""
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    if isinstance(problem, dict) and isinstance(problem.get("reason"), str):
        # The field and the reason, not the quoted value: this message goes to
        # CloudWatch, and logs never carry event data.
        return f": {problem.get('field')}: {problem['reason']}"
    # Never the app's own page (a 404 HTML page, a body quoting the event):
    # it stays in EventFailedError.body.
    return ""


def _first_exception(results: Sequence[EventResult]) -> BaseException | None:
    for result in results:
        if result.exc_info is not None and isinstance(result.exc_info[1], BaseException):
            return result.exc_info[1]
    return None
