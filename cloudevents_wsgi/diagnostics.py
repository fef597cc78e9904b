"""What the package logs about refused events and failed Lambda records.

Two loggers, both children of ``cloudevents_wsgi`` (so a handler on that one
sees them), each writing one ``WARNING`` line per event or record, once:

``cloudevents_wsgi.refused``
    every request or batch member the middleware refuses (the 400, 403, 413
    or 415 problem+json answer it gives instead of calling the app), and
    every request that a view decorator (``cloudevent_required``) or an
    :class:`~cloudevents_wsgi.router.EventRouter` refuses::

        refused POST '/hooks' (400): 'time': is not an RFC 3339 timestamp

    A refused record of a Lambda batch is not logged here but on
    ``cloudevents_wsgi.lambda``, with the other failed records of its batch.
``cloudevents_wsgi.lambda``
    every failed record of an SQS, Kinesis or DynamoDB batch, as the Lambda
    shim reports it (``batchItemFailures``, or the whole batch failed)::

        failed record 'm-2' of an aws:sqs batch: refused: 'body': is not JSON
        failed record 'm-3' of an aws:sqs batch (event id 'm-3'): the application answered 500

Each line names the field and the reason, the event id where it is safe (an
id that passed validation: the id of an event the app was called with) and
the record identifier; never a value of the event. Whatever comes from the
request (a field name, a path, an id) is quoted with ``repr``, so it never
ends or forges a log line.

The exception an application raises is logged separately, with its
traceback, at ``ERROR`` on ``cloudevents_wsgi``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .delivery import EventResult
    from .errors import InvalidEventError

__all__ = [
    "LAMBDA_LOGGER",
    "REFUSED_LOGGER",
    "failure_reason",
    "log_failed_record",
    "log_refusal",
    "log_refused",
]

#: Name of the logger of refused requests and batch members.
REFUSED_LOGGER: Final = "cloudevents_wsgi.refused"
#: Name of the logger of failed records of Lambda batches.
LAMBDA_LOGGER: Final = "cloudevents_wsgi.lambda"

_refused = logging.getLogger(REFUSED_LOGGER)

#: Environ key: set by a caller that logs each refusal's outcome itself (Dapr's
#: DROP line), so that a refusal is logged once.
LOGGED_BY_CALLER: Final = "cloudevents_wsgi.refusal_logged_by_caller"
_lambda = logging.getLogger(LAMBDA_LOGGER)

# The longest field or reason written (characters): both may echo a request.
_TEXT_MAX: Final = 200


def log_refusal(
    error: InvalidEventError, environ: Mapping[str, Any], *, event_id: str | None = None
) -> None:
    """One ``WARNING`` line on ``cloudevents_wsgi.refused`` for ``error``:
    the request's method and path, the status, the field and the reason
    (never ``error.value``), and ``event_id`` when the caller knows it valid."""
    log_refused(environ, error.status, error.field, error.reason, event_id=event_id)


def log_refused(
    environ: Mapping[str, Any],
    status: int,
    field: str,
    reason: str,
    *,
    event_id: str | None = None,
) -> None:
    """:func:`log_refusal` for a refusal that is no exception (the router's 404)."""
    if environ.get(LOGGED_BY_CALLER) or not _refused.isEnabledFor(logging.WARNING):
        return  # a caller (Dapr's answer) logs the outcome in its own line
    _refused.warning(
        "refused %s %r (%d): %r: %s%s",
        _plain(str(environ.get("REQUEST_METHOD", "?"))),
        _cut(str(environ.get("PATH_INFO", ""))),
        status,
        _cut(field),
        _plain(reason),
        "" if event_id is None else f" (event id {_cut(event_id)!r})",
    )


def failure_reason(result: EventResult) -> str:
    """Why ``result`` failed, in a few words, without event data: the
    refusal's ``field: reason``, the status the app answered, or the kind of
    exception it raised."""
    if result.event is None and result.reason is not None:
        return f"refused: {result.reason}"
    if result.exc_info is not None and result.exc_info[0] is not None:
        return f"the application raised {result.exc_info[0].__name__}"
    return f"the application answered {result.status}"


def log_failed_record(
    record_id: str | None, source: str, result: EventResult | None, why: str | None = None
) -> None:
    """One ``WARNING`` line on ``cloudevents_wsgi.lambda`` for a failed record
    of a ``source`` batch (``"aws:sqs"``...): its identifier, the id of its
    event if the app was called with one, and :func:`failure_reason` (or
    ``why`` for a record that has no result: held back, never started)."""
    event = None if result is None else result.event
    if why is not None:
        reason = why
    elif result is not None:
        reason = failure_reason(result)
    else:
        reason = "failed"  # no result and no reason given
    _lambda.warning(
        "failed record %r of an %s batch%s: %s",
        None if record_id is None else _cut(record_id),
        _plain(source),
        "" if event is None else f" (event id {_cut(event.get_id())!r})",
        _plain(reason),
    )


def _cut(text: str) -> str:
    """``text`` cut to a bounded length (then quoted with ``%r``)."""
    return text if len(text) <= _TEXT_MAX else text[:_TEXT_MAX] + "..."


def _plain(text: str) -> str:
    """``text`` cut, with control characters escaped (written as it is)."""
    text = _cut(text)
    return text if text.isprintable() else repr(text)[1:-1]
