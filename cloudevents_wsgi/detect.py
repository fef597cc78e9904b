"""Which adapter, if any, recognises a native payload.

The built-in adapters are imported on first use, not with the package: a
process that only ever sees CloudEvents never loads them. Each is recognised
by its own predicate, and the test suite proves that every sample event
matches at most one of them, so their order never decides. A user's own
adapters are tried first.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Final

from .adapters.base import Adapter
from .message import Message

__all__ = ["BUILTIN_MODULES", "builtin_adapters", "find_adapter"]

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

_builtin: dict[bool, tuple[Adapter, ...]] = {}


def builtin_adapters(*, unwrap: bool = True) -> tuple[Adapter, ...]:
    """The built-in adapters, imported on the first call."""
    if unwrap not in _builtin:
        adapters: list[Adapter] = []
        for name in BUILTIN_MODULES:
            module = importlib.import_module(f"cloudevents_wsgi.adapters.{name}")
            if not unwrap and name in ENVELOPES:
                adapters.append(getattr(module, ENVELOPES[name])(unwrap=False))
            else:
                adapters.append(module.ADAPTER)
        _builtin[unwrap] = tuple(adapters)
    return _builtin[unwrap]


def find_adapter(
    payload: Any,
    message: Message,
    user_adapters: Sequence[Adapter] = (),
    *,
    unwrap: bool = True,
) -> Adapter | None:
    """The first of the user's adapters that matches, else the built-in one."""
    for adapter in user_adapters:
        if adapter.matches(payload, message):
            return adapter
    for adapter in builtin_adapters(unwrap=unwrap):
        if adapter.matches(payload, message):
            return adapter
    return None
