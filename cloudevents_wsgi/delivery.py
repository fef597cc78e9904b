"""The one object the Lambda shim hands the middleware: :class:`LambdaDelivery`.

The shim puts it in the environ of the ``POST`` it makes from a non-HTTP
Lambda event, under ``environ["cloudevents_wsgi.lambda_delivery"]``
(:data:`cloudevents_wsgi.environ.LAMBDA_DELIVERY`). No header can set it: the
middleware trusts a native payload from Lambda only when that key holds a
:class:`LambdaDelivery` instance, which only code running in the function can
make. The same object carries the answers back: one :class:`EventResult` per
record (or per event) that the middleware handled or refused, from which the
shim computes Lambda's ``batchItemFailures``.

Shape of the exchange for an SQS batch of three messages, the second invalid::

    delivery = LambdaDelivery(event, routes=(("com.amazonaws.s3.*", "/s3"),))
    # ... the middleware runs the app for messages 1 and 3, refuses message 2:
    delivery.results == [
        EventResult(0, <CloudEvent m-1>, 204, record_id="m-1"),
        EventResult(1, None, 400, record_id="m-2", reason="Records[1].body: is missing"),
        EventResult(2, <CloudEvent m-3>, 204, record_id="m-3"),
    ]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .event import CloudEvent

__all__ = ["EventResult", "LambdaDelivery"]

_UNSET: Final[Any] = object()


class EventResult:
    """What became of one event, or of one record no event could be made of.

    ``index``
        position in the batch the middleware handled (0-based).
    ``event``
        the CloudEvent the app was called with; ``None`` for a record the
        middleware refused (then ``reason`` says why, and the app never saw it).
    ``status``
        the HTTP status code (``int``): the app's answer, 500 where it raised,
        or the refusal's 400/413/415.
    ``exc_info``
        ``sys.exc_info()`` of the exception the app raised, else ``None``.
    ``record_id``
        the outer batch record the event came from, as the batch adapter
        declares it (SQS ``messageId``, Kinesis/DynamoDB sequence number), for
        Lambda's ``batchItemFailures``; ``None`` for CloudEvents.
    ``reason``
        for a refused record, ``"<field>: <reason>"`` (never the event data).
    """

    __slots__ = ("event", "exc_info", "index", "reason", "record_id", "status")

    def __init__(
        self,
        index: int,
        event: CloudEvent | None,
        status: int,
        exc_info: Any = None,
        record_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.index = index
        self.event = event
        self.status = status
        self.exc_info = exc_info
        self.record_id = record_id
        self.reason = reason

    @property
    def ok(self) -> bool:
        """A 2xx answer and no exception."""
        return self.exc_info is None and 200 <= self.status < 300

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventResult):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"EventResult(index={self.index}, event={self.event!r}, status={self.status}, "
            f"record_id={self.record_id!r}, failed={not self.ok}, reason={self.reason!r})"
        )


class LambdaDelivery:
    """One Lambda invocation handed to the middleware, and what came of it.

    ``payload``
        the Lambda event as Lambda decoded it (any JSON value). When it is not
        given, the middleware reads the request body as the JSON payload,
        with its usual limits.
    ``routes``
        ``(type glob pattern, path)`` pairs: the first pattern matching an
        event's type sets ``PATH_INFO`` for its call; empty to use the
        middleware's own ``routes``.
    ``admit``
        ``record_id -> bool``, asked before each event of a record batch is
        handed to the app; ``False`` holds it back (an SQS FIFO message
        behind a failed one of its group). A held-back event gets no result.
        By default every event is admitted.
    ``on_failure``
        called with each failed :class:`EventResult` as it is reported, so
        that ``admit`` can hold back what must wait behind it.
    ``fallback``
        ``payload -> CloudEvent``, called by the middleware when no adapter
        recognises the payload: that event is delivered in its place (the
        shim's ``com.amazonaws.lambda.invocation``), and ``fell_back`` is then
        true. Without it, such a payload is refused (415). Recognising the
        payload is left to the middleware, so that it is done once.
    ``results``
        filled by the middleware through :meth:`report`, in the order the
        events were handled.
    """

    __slots__ = (
        "_admit",
        "_on_failure",
        "fallback",
        "fell_back",
        "has_payload",
        "payload",
        "results",
        "routes",
    )

    def __init__(
        self,
        payload: Any = _UNSET,
        *,
        routes: Iterable[tuple[str, str]] = (),
        admit: Callable[[str | None], bool] | None = None,
        on_failure: Callable[[EventResult], object] | None = None,
        fallback: Callable[[Any], CloudEvent] | None = None,
    ) -> None:
        #: Whether the payload was handed over (else it is in the request body).
        self.has_payload = payload is not _UNSET
        #: The decoded Lambda event (``None`` when ``has_payload`` is false).
        self.payload: Any = payload if self.has_payload else None
        self.routes: tuple[tuple[str, str], ...] = (
            routes if type(routes) is tuple else tuple(routes)
        )
        self._admit = admit
        self._on_failure = on_failure
        self.fallback = fallback
        #: Whether the middleware delivered ``fallback(payload)`` (no adapter recognised it).
        self.fell_back = False
        self.results: list[EventResult] = []

    def admit(self, record_id: str | None) -> bool:
        """Whether the event of record ``record_id`` may be handed to the app now."""
        return self._admit is None or self._admit(record_id)

    def report(self, result: EventResult) -> None:
        """Record the outcome of one event (or one refused record)."""
        self.results.append(result)
        if self._on_failure is not None and not result.ok:
            self._on_failure(result)

    def __repr__(self) -> str:
        return f"LambdaDelivery(routes={self.routes!r}, results={self.results!r})"
