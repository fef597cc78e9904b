"""Amazon MSK and self-managed Apache Kafka event source mappings.

Pages: https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (event),
https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html (self-managed)
and https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
(partial batch response, ``ReportBatchItemFailures``).

Reads ``{"eventSource": "aws:kafka" | "SelfManagedKafka", "records":
{"<topic>-<n>": [...]}}``; the app is called once per record
(:mod:`cloudevents_wsgi.adapters.aws_kafka` makes the CloudEvents), in offset
order within each partition. Within a partition nothing runs after a failed
record; the other partitions go on. Answers::

    {"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 15}}]}

one entry per partition that failed, at its first failed offset (Lambda
retries that partition from there). Every record failed:
:class:`~cloudevents_wsgi.aws_lambda.BatchFailedError`. An event with no
record at all: ``{"batchItemFailures": []}``, the app not called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from . import batch, native
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "kafka"

_SOURCES: Final = ("aws:kafka", "SelfManagedKafka")


def infer(event: Any) -> bool:
    """A Kafka event: an ``eventSource`` of MSK or self-managed Kafka and a
    ``records`` object."""
    return (
        isinstance(event, dict)
        and event.get("eventSource") in _SOURCES
        and isinstance(event.get("records"), dict)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    adapter = batch.batch_adapter(event)
    if adapter is None:
        return {"batchItemFailures": []}  # no record: nothing to do, nothing failed
    return native.handle_batch(app, options, event, context, adapter)
