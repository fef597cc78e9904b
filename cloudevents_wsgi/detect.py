"""Which adapter, if any, recognises a native payload.

The built-in adapters are imported on first use, not with the package, and
only those that might match: each module has a cheap predicate here
(:data:`MIGHT_MATCH`, a necessary condition of its adapter's ``matches``, read
from the payload's shape: the ``eventSource`` of its first record, or the
members only that kind has), so the first S3 event imports the S3 adapter
alone. Each adapter is recognised by its own predicate, and the test suite
proves that every sample event matches at most one of them, so their order
never decides. A user's own adapters are tried first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Final

from .adapters.base import Adapter
from .message import Message

__all__ = [
    "BUILTIN_MODULES",
    "MIGHT_MATCH",
    "builtin_adapter",
    "builtin_adapters",
    "candidates",
    "find_adapter",
    "nested_adapter",
]

BUILTIN_MODULES: Final = (
    "aws_s3",
    "aws_eventbridge",
    "aws_sns",
    "aws_sqs",
    "aws_dynamodb",
    "aws_kinesis",
    "aws_kafka",
    "aws_logs",
    "aws_ses",
    "azure_eventgrid",
    "google_pubsub",
    "google_legacy",
)

# The envelopes that can hold other events; built with unwrap=False they keep
# the envelope as the event.
ENVELOPES: Final = {"aws_sns": "SNSAdapter", "aws_sqs": "SQSAdapter"}


def _record_source(payload: Any, key: str = "eventSource") -> Any:
    """``payload["Records"][0][key]``, or None; never raises."""
    if not isinstance(payload, dict):
        return None
    records = payload.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    return records[0].get(key)


def _has(*names: str) -> Callable[[Any], bool]:
    """A payload that is an object holding any of ``names``."""
    return lambda payload: isinstance(payload, dict) and any(name in payload for name in names)


def _from(source: str, key: str = "eventSource") -> Callable[[Any], bool]:
    return lambda payload: _record_source(payload, key) == source


def _event_grid(payload: Any) -> bool:
    first = (payload[0] if payload else None) if type(payload) is list else payload
    return isinstance(first, dict) and "eventType" in first


# Module -> a necessary condition of its adapter's matches(): cheap, never
# raises, never imports. Over-approximate (the adapter decides), never under:
# tests/test_detect.py runs every sample through both.
MIGHT_MATCH: Final[dict[str, Callable[[Any], bool]]] = {
    "aws_s3": lambda p: _record_source(p) == "aws:s3" or _has("Event")(p),
    "aws_eventbridge": _has("detail-type"),
    "aws_sns": lambda p: _record_source(p, "EventSource") == "aws:sns" or _has("TopicArn")(p),
    "aws_sqs": _from("aws:sqs"),
    "aws_dynamodb": _from("aws:dynamodb"),
    "aws_kinesis": _from("aws:kinesis"),
    "aws_kafka": lambda p: (
        isinstance(p, dict) and p.get("eventSource") in ("aws:kafka", "SelfManagedKafka")
    ),
    "aws_logs": _has("awslogs", "messageType"),
    "aws_ses": _from("aws:ses"),
    "azure_eventgrid": _event_grid,
    "google_pubsub": _has("subscription"),
    "google_legacy": lambda p: (
        isinstance(p, dict) and ("eventId" in p or isinstance(p.get("context"), dict))
    ),
}

_builtin: dict[tuple[str, bool], Adapter] = {}


def _adapter(name: str, unwrap: bool) -> Adapter:
    """The built-in adapter of module ``name``, imported on the first call."""
    adapter = _builtin.get((name, unwrap))
    if adapter is None:
        module = importlib.import_module(f"cloudevents_wsgi.adapters.{name}")
        if not unwrap and name in ENVELOPES:
            adapter = getattr(module, ENVELOPES[name])(unwrap=False)
        else:
            adapter = module.ADAPTER
        _builtin[(name, unwrap)] = adapter
    return adapter


def builtin_adapter(name: str) -> Adapter:
    """The adapter of built-in module ``name`` (:data:`BUILTIN_MODULES`),
    the module imported on the first call."""
    return _adapter(name, True)


def nested_adapter(payload: Any, names: Sequence[str], message: Message) -> Adapter | None:
    """The adapter of the first of the built-in modules ``names`` that
    recognises ``payload`` (the body of an envelope: an SQS message, an SNS
    notification), or ``None``; a module is imported only when its
    :data:`MIGHT_MATCH` predicate holds."""
    for name in names:
        if MIGHT_MATCH[name](payload):
            adapter = _adapter(name, True)
            if adapter.matches(payload, message):
                return adapter
    return None


def builtin_adapters(*, unwrap: bool = True) -> tuple[Adapter, ...]:
    """Every built-in adapter (all of them imported), in :data:`BUILTIN_MODULES` order."""
    return tuple(_adapter(name, unwrap) for name in BUILTIN_MODULES)


def candidates(payload: Any) -> list[str]:
    """The modules of :data:`BUILTIN_MODULES` whose adapter might match ``payload``."""
    return [name for name in BUILTIN_MODULES if MIGHT_MATCH[name](payload)]


def find_adapter(
    payload: Any,
    message: Message,
    user_adapters: Sequence[Adapter] = (),
    *,
    unwrap: bool = True,
) -> Adapter | None:
    """The first of the user's adapters that matches, else the built-in one
    (only the modules that might match are imported and asked)."""
    for adapter in user_adapters:
        if adapter.matches(payload, message):
            return adapter
    builtin = _builtin
    for name in BUILTIN_MODULES:
        loaded = builtin.get((name, unwrap))
        if loaded is None:
            # Not imported yet: only if it might match (MIGHT_MATCH is implied
            # by matches(), so an imported adapter is asked at once).
            if not MIGHT_MATCH[name](payload):
                continue
            loaded = _adapter(name, unwrap)
        if loaded.matches(payload, message):
            return loaded
    return None
