"""What an adapter is: a predicate that recognises one kind of native payload,
and a conversion of that payload into CloudEvents.

Adapters are IO-free: they see the decoded JSON payload (and the request's
headers through :class:`Message`), never the environ. A user's own adapter
satisfies :class:`Adapter` without importing anything from this package.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message, NamedTuple

__all__ = ["Adapter", "BatchAdapter", "Converted"]


class Converted(NamedTuple):
    """One CloudEvent made from a native payload.

    ``native`` is the record (or whole payload) the event was made from, handed
    to the app as ``environ["cloudevents_wsgi.native"]``. ``record_id`` names
    the outermost batch record it came from, for Lambda's partial batch
    failure reports (SQS ``messageId``, Kinesis/DynamoDB sequence number);
    ``None`` where the payload is not a batch of records.
    """

    event: CloudEvent
    native: Any
    record_id: str | None = None


@runtime_checkable
class Adapter(Protocol):
    """Recognises one kind of native payload and turns it into CloudEvents."""

    #: Short, unique, stable name ("aws.s3", "azure.eventgrid"...).
    name: str

    def matches(self, payload: Any, message: Message) -> bool:
        """Whether ``payload`` (decoded JSON) is this adapter's kind of message.

        Must not raise, whatever ``payload`` is; must be cheap.
        """
        ...

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        """The CloudEvents ``payload`` becomes, in order.

        Raises :class:`cloudevents_wsgi.InvalidEventError` naming the field
        (``"Records[0].s3.bucket.name"``) when the payload is malformed.
        """
        ...


@runtime_checkable
class BatchAdapter(Adapter, Protocol):
    """An adapter of Lambda record batches that Lambda can retry record by record
    (SQS, Kinesis, DynamoDB streams: "partial batch responses").

    It declares, once, each record's identifier, and converts each record on
    its own so that an invalid record fails alone.
    """

    #: The records' ``eventSource`` (``"aws:sqs"``).
    event_source: str

    def record_id(self, record: Any) -> str | None:
        """The record's ``itemIdentifier`` for ``batchItemFailures`` (SQS
        ``messageId``, stream sequence number); ``None`` if it has none. Must not raise."""
        ...

    def convert_each(
        self, payload: Any, message: Message
    ) -> list[list[Converted] | InvalidEventError]:
        """Per record, in order: its CloudEvents (each with ``record_id`` set),
        or the error that refuses that record alone. Raises
        :class:`~cloudevents_wsgi.InvalidEventError` when the payload as a
        whole is not a batch."""
        ...
