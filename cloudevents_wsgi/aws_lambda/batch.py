"""Partial batch responses: which records of an SQS, Kinesis or DynamoDB
batch failed, and what Lambda must be told.

Pages: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
(SQS, FIFO message groups) and
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
(streams: Lambda checkpoints at the lowest reported sequence number).

The record identifiers are the batch adapters' own declaration
(:class:`~cloudevents_wsgi.adapters.base.BatchAdapter.record_id`); this module
only decides which records count as failed and which must wait:

- :func:`gate` gives the :class:`~cloudevents_wsgi.delivery.LambdaDelivery`
  its ``admit``/``on_failure`` pair, so the middleware holds back what must
  wait behind a failure while the batch runs (FIFO groups; a stream after a
  refused record);
- :func:`failed_records` and :func:`item_identifiers` read the results back
  afterwards; :func:`batch_item_failures` (public) is the two together.

A record is failed when an event made from it failed, or when no result names
it (the app never saw it); a failure that names no record fails them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from ..delivery import EventResult

if TYPE_CHECKING:
    from ..adapters.base import BatchAdapter

__all__ = ["batch_adapter", "batch_item_failures", "failed_records", "gate", "item_identifiers"]

# The queue of the three: records are independent (a stream stops at a failure).
_QUEUE: Final = "aws:sqs"
# The eventSource of each of _adapters(), looked at before they are imported:
# the first S3 event imports no batch adapter.
_BATCH_SOURCES: Final = frozenset((_QUEUE, "aws:kinesis", "aws:dynamodb"))


@lru_cache(maxsize=1)
def _adapters() -> dict[str, BatchAdapter]:
    # Imported on first use: a function that never sees a batch never loads them.
    from ..adapters import aws_dynamodb, aws_kinesis, aws_sqs

    batch: tuple[BatchAdapter, ...] = (aws_sqs.ADAPTER, aws_kinesis.ADAPTER, aws_dynamodb.ADAPTER)
    return {adapter.event_source: adapter for adapter in batch}


def batch_adapter(event: Any) -> BatchAdapter | None:
    """The adapter of ``event``'s records when Lambda can retry them one by one:
    a non-empty ``Records`` array whose records all have one ``eventSource``."""
    if not isinstance(event, dict):
        return None
    records = event.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    source = records[0].get("eventSource")
    adapter = (
        _adapters().get(source) if isinstance(source, str) and source in _BATCH_SOURCES else None
    )
    if adapter is None:
        return None  # the usual non-batch event (S3...): one look, no loop
    sources: set[Any] = set()
    for record in records:
        source = record.get("eventSource") if isinstance(record, dict) else None
        sources.add(source if isinstance(source, str) else None)
    return adapter if len(sources) == 1 else None


def is_fifo(records: list[Any]) -> bool:
    """An SQS FIFO queue's batch: its ARN ends with ``.fifo``."""
    arn = records[0].get("eventSourceARN")
    return isinstance(arn, str) and arn.endswith(".fifo")


def _message_group(record: Any) -> Any:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    return attributes.get("MessageGroupId") if isinstance(attributes, dict) else None


Gate = tuple[Callable[[str | None], bool], Callable[[EventResult], object]]


def gate(event: dict[str, Any], adapter: BatchAdapter) -> Gate | None:
    """``(admit, on_failure)`` for the delivery of ``event``, or ``None`` when
    every record may run whatever happens to the others (SQS standard queues).

    - SQS FIFO: after a message fails, the later messages of its group wait
      (they are reported with it, and the group is retried in order).
    - Streams: after a record is refused (no event could be made of it), the
      later records wait; Lambda retries from it.
    """
    records: list[Any] = event["Records"]
    if adapter.event_source == _QUEUE:
        if not is_fifo(records):
            return None
        groups = {adapter.record_id(record): _message_group(record) for record in records}
        blocked: set[Any] = set()

        def admit_fifo(record_id: str | None) -> bool:
            return groups.get(record_id) not in blocked

        def block_group(result: EventResult) -> None:
            if result.record_id in groups:
                blocked.add(groups[result.record_id])

        return admit_fifo, block_group
    stopped: list[bool] = []

    def admit_stream(record_id: str | None) -> bool:
        return not stopped

    def stop_at_refusal(result: EventResult) -> None:
        if result.event is None:  # refused; issue 11 widens this to any failure
            stopped.append(True)

    return admit_stream, stop_at_refusal


def failed_records(
    event: dict[str, Any], results: Sequence[EventResult], adapter: BatchAdapter
) -> list[int]:
    """Indexes of the failed records of ``event``, in order; for FIFO queues also
    every later record of a failed record's message group."""
    records: list[Any] = event["Records"]
    ids = [adapter.record_id(record) for record in records]
    known = set(ids)
    seen: set[str] = set()
    failed_ids: set[str] = set()
    for result in results:
        if result.record_id in known and result.record_id is not None:
            seen.add(result.record_id)
            if not result.ok:
                failed_ids.add(result.record_id)
        elif not result.ok:
            # A failure we cannot pin on a record: all of them have failed.
            return list(range(len(records)))
    failed = [i for i, rid in enumerate(ids) if rid is None or rid not in seen or rid in failed_ids]
    if adapter.event_source == _QUEUE and failed and is_fifo(records):
        blocked: set[Any] = set()
        in_order: list[int] = []
        failed_set = set(failed)
        for index, record in enumerate(records):
            group = _message_group(record)
            if index in failed_set or group in blocked:
                blocked.add(group)
                in_order.append(index)
        failed = in_order
    return failed


def item_identifiers(
    event: dict[str, Any], failed: list[int], adapter: BatchAdapter
) -> list[str] | None:
    """The ``itemIdentifier``s to report, or ``None`` when a failed record has
    none. Streams: the first failed record only (Lambda checkpoints there and
    retries every later record, so reporting more would change nothing)."""
    records = event["Records"]
    if adapter.event_source != _QUEUE:
        failed = failed[:1]
    report: list[str] = []
    for index in failed:
        rid = adapter.record_id(records[index])
        if rid is None:
            return None
        if rid not in report:
            report.append(rid)
    return report


def batch_item_failures(event: Any, results: Sequence[EventResult]) -> dict[str, Any] | None:
    """Lambda's partial batch response for an SQS, Kinesis or DynamoDB batch.

    ``None`` when ``event`` is not such a batch. A record has failed when an
    event made from it failed (non-2xx or exception) or when no result names
    it (the app never saw it); a failed result that names no record of the
    batch fails them all. Reported:

    - SQS: the ``messageId`` of every failed record. FIFO queues (the ARN ends
      with ``.fifo``): also every later record of the same ``MessageGroupId``,
      even one the app accepted, so the group is retried in order (the app may
      see those records again: make it idempotent).
    - Kinesis and DynamoDB streams: the sequence number of the first failed
      record only. Lambda checkpoints there and retries every later record, so
      reporting more would change nothing.

    Reports that cannot be made (a failed record without an id) return the
    whole batch as failed: one identifier per record, as Lambda then retries it
    all. The handler raises :class:`BatchFailedError` instead.
    """
    adapter = batch_adapter(event)
    if adapter is None:
        return None
    report = item_identifiers(event, failed_records(event, results, adapter), adapter)
    if report is None:
        report = [adapter.record_id(record) or "" for record in event["Records"]]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in report]}
