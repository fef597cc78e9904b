"""Partial batch responses: which records of an SQS, Kinesis, DynamoDB or
Kafka batch failed, which must wait, and what Lambda must be told.

Pages: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
(SQS, FIFO message groups),
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
(streams: Lambda checkpoints at the lowest reported sequence number) and
https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
(Kafka: ``{"itemIdentifier": {"partition": "<topic>-<n>", "offset": <n>}}``).

The record identifiers are the batch adapters' own declaration
(:class:`~cloudevents_wsgi.adapters.base.BatchAdapter.record_id`); this module
only decides which records count as failed and which must wait. Each record
has an *order key*: records of one key run in order and none runs after a
failed one of its key:

=====================  ==================  =======================================
batch                  order key           reported after a failure
=====================  ==================  =======================================
SQS standard queue     none (independent)  every failed ``messageId``
SQS FIFO queue         ``MessageGroupId``  the failed message and every later one
                                           of its group
Kinesis, DynamoDB      the batch (a shard) the sequence number of the first failed
                                           record (Lambda retries every later one)
Kafka (MSK, self-      ``<topic>-<n>``     per partition, the offset of its first
managed)               partition           failed record
=====================  ==================  =======================================

A failure is a non-2xx answer, an exception, or a record refused as
malformed. The deadline: when ``context.get_remaining_time_in_millis()`` is
under the margin, no further record is started (one already started
finishes); every record not started is failed, so AWS redelivers it.

- :func:`gate` gives the :class:`~cloudevents_wsgi.delivery.LambdaDelivery`
  its ``admit``/``on_failure`` pair, so the middleware holds back what must
  wait while the batch runs;
- :func:`failed_records` and :func:`item_identifiers` read the results back
  afterwards; :func:`batch_item_failures` (public) is the two together.

A record is failed when an event made from it failed, or when no result names
it (the app never saw it); a failure that names no record fails them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

from ..delivery import EventResult
from ..detect import builtin_adapter

if TYPE_CHECKING:
    from ..adapters.base import BatchAdapter

__all__ = [
    "Gate",
    "batch_adapter",
    "batch_item_failures",
    "failed_records",
    "gate",
    "item_identifiers",
    "records_of",
]

# The queue of the four: records are independent unless FIFO.
_QUEUE: Final = "aws:sqs"
_KAFKA: Final = "aws:kafka"
_KAFKA_SOURCES: Final = ("aws:kafka", "SelfManagedKafka")
# The order key of every record of a stream batch (one shard per invocation).
_SHARD: Final = "shard"
# The module of each Records eventSource's adapter, imported by its first
# batch: the first S3 event imports no batch adapter, the first SQS batch only
# SQS's. Not Kafka's: its events have no Records (a Records event from
# aws:kafka is no batch, as it never was).
_RECORDS_MODULES: Final = {
    _QUEUE: "aws_sqs",
    "aws:kinesis": "aws_kinesis",
    "aws:dynamodb": "aws_dynamodb",
}


def _adapter(module: str) -> BatchAdapter:
    return cast("BatchAdapter", builtin_adapter(module))


def batch_adapter(event: Any) -> BatchAdapter | None:
    """The adapter of ``event``'s records when Lambda can retry them one by one:
    a non-empty ``Records`` array whose records all have one ``eventSource``,
    or a Kafka event (``records`` grouped by partition) with at least one record."""
    if not isinstance(event, dict):
        return None
    if event.get("eventSource") in _KAFKA_SOURCES:
        kafka = _adapter("aws_kafka")
        return kafka if records_of(event, kafka) else None
    records = event.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    source = records[0].get("eventSource")
    module = _RECORDS_MODULES.get(source) if isinstance(source, str) else None
    adapter = None if module is None else _adapter(module)
    if adapter is None:
        return None  # the usual non-batch event (S3...): one look, no loop
    sources: set[Any] = set()
    for record in records:
        source = record.get("eventSource") if isinstance(record, dict) else None
        sources.add(source if isinstance(source, str) else None)
    return adapter if len(sources) == 1 else None


def records_of(event: Any, adapter: BatchAdapter) -> list[Any]:
    """The records of a batch, in the order Lambda sent them."""
    flatten = getattr(adapter, "records_of", None)
    return list(event["Records"]) if flatten is None else list(flatten(event))


def is_fifo(records: list[Any]) -> bool:
    """An SQS FIFO queue's batch: its ARN ends with ``.fifo``."""
    arn = records[0].get("eventSourceARN") if records and isinstance(records[0], dict) else None
    return isinstance(arn, str) and arn.endswith(".fifo")


def _message_group(record: Any) -> Any:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    return attributes.get("MessageGroupId") if isinstance(attributes, dict) else None


def order_keys(records: list[Any], adapter: BatchAdapter) -> list[Any] | None:
    """Each record's order key (see the module's table), or ``None`` when the
    records are independent (SQS standard queues)."""
    source = adapter.event_source
    if source == _QUEUE:
        return [_message_group(record) for record in records] if is_fifo(records) else None
    if source == _KAFKA:
        from ..adapters.aws_kafka import partition_key

        return [partition_key(record) for record in records]
    return [_SHARD] * len(records)


Gate = tuple[Callable[[str | None], bool], Callable[[EventResult], object]]

#: ``() -> milliseconds left`` (``context.get_remaining_time_in_millis``).
Clock = Callable[[], float]


class _Gate:
    """The state of one batch's run: blocked order keys, started records, and
    whether the deadline stopped it."""

    __slots__ = ("blocked", "clock", "everything", "keys", "margin", "past_deadline", "started")

    def __init__(self, keys: dict[str | None, Any] | None, clock: Clock | None, margin: float):
        self.keys = keys
        self.clock = clock
        self.margin = margin
        self.blocked: set[Any] = set()
        self.started: set[str | None] = set()
        self.everything = False
        self.past_deadline = False

    def admit(self, record_id: str | None) -> bool:
        if record_id in self.started:
            return True  # the rest of a record already started (several events)
        if self.everything or self.past_deadline:
            return False
        if self.keys is not None and self.keys.get(record_id) in self.blocked:
            return False
        if self.clock is not None and self.clock() < self.margin:
            self.past_deadline = True
            return False
        self.started.add(record_id)
        return True

    def on_failure(self, result: EventResult) -> None:
        if self.keys is None:
            return
        if result.record_id not in self.keys:
            self.everything = True  # a failure we cannot pin on a record
        else:
            self.blocked.add(self.keys[result.record_id])


def gate(
    event: dict[str, Any],
    adapter: BatchAdapter,
    *,
    clock: Clock | None = None,
    margin_ms: float = 0,
) -> _Gate:
    """The ``admit``/``on_failure`` pair (as the methods of the returned
    object) for the delivery of ``event``: a record waits behind a failed one
    of its order key, and none starts once ``clock()`` is under ``margin_ms``."""
    records = records_of(event, adapter)
    keys = order_keys(records, adapter)
    by_id = (
        None
        if keys is None
        else {adapter.record_id(record): key for record, key in zip(records, keys, strict=True)}
    )
    return _Gate(by_id, clock, margin_ms)


def failed_records(
    event: dict[str, Any], results: Sequence[EventResult], adapter: BatchAdapter
) -> list[int]:
    """Indexes (in :func:`records_of`) of the failed records of ``event``, in
    order: those whose event failed or that no result names, and every later
    record of a failed one's order key."""
    records = records_of(event, adapter)
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
    keys = order_keys(records, adapter) if failed else None
    if keys is not None:
        blocked: set[Any] = set()
        failed_set = set(failed)
        in_order: list[int] = []
        for index, key in enumerate(keys):
            if index in failed_set or key in blocked:
                blocked.add(key)
                in_order.append(index)
        failed = in_order
    return failed


def item_identifiers(
    event: dict[str, Any], failed: list[int], adapter: BatchAdapter
) -> list[Any] | None:
    """The ``itemIdentifier``s to report, or ``None`` when a failed record has
    none. Streams: the first failed record only (Lambda checkpoints there and
    retries every later record, so reporting more would change nothing).
    Kafka: the first failed offset of each partition."""
    records = records_of(event, adapter)
    source = adapter.event_source
    if source == _KAFKA:
        from ..adapters.aws_kafka import partition_key

        firsts: dict[str, Any] = {}
        for index in failed:
            record = records[index]
            key = partition_key(record)
            if key is None or adapter.record_id(record) is None:
                return None
            firsts.setdefault(key, {"partition": key, "offset": record["offset"]})
        return list(firsts.values())
    if source != _QUEUE:
        failed = failed[:1]
    report: list[Any] = []
    for index in failed:
        rid = adapter.record_id(records[index])
        if rid is None:
            return None
        if rid not in report:
            report.append(rid)
    return report


def batch_item_failures(event: Any, results: Sequence[EventResult]) -> dict[str, Any] | None:
    """Lambda's partial batch response for an SQS, Kinesis, DynamoDB or Kafka batch.

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
    - Kafka: ``{"partition": "<topic>-<n>", "offset": <n>}`` of the first
      failed record of each partition (Lambda retries from there).

    Reports that cannot be made (a failed record without an id) return the
    whole batch as failed: one identifier per record, as Lambda then retries it
    all. The handler raises :class:`BatchFailedError` instead.
    """
    adapter = batch_adapter(event)
    if adapter is None:
        return None
    report = item_identifiers(event, failed_records(event, results, adapter), adapter)
    if report is None:
        report = [adapter.record_id(record) or "" for record in records_of(event, adapter)]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in report]}
