"""Kinesis and DynamoDB stream batches with a tumbling window.

Pages: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html
and https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html.

Event: a stream batch (``Records``) with ``window`` (``{"start", "end"}``),
``state`` (an object of strings, empty at the start of a window), ``shardId``,
``eventSourceARN``, ``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly``.
The answer must hold ``state``, or Lambda takes the invocation as failed::

    {"state": {...}, "batchItemFailures": [...]}

The app reads and sets the state through ``environ["aws.window"]``, a
:class:`TumblingWindow` shared by every record's call of the invocation::

    window = environ["aws.window"]
    counts = dict(window.state)           # the incoming state
    counts[key] = str(int(counts.get(key, "0")) + 1)
    window.state = counts                  # the state returned to Lambda
    if window.is_final:                    # isFinalInvokeForWindow
        ...                                # act on the aggregate

Records run as in any stream batch: in order, none after a failed one, none
started past the deadline; ``batchItemFailures`` reports the first failed
one. An invocation with no record (the final one of a window often has none)
calls the app once, ``POST event_path`` with the window event as the
CloudEvent ``com.amazonaws.lambda.invocation`` (see :mod:`.invocation`), so
that it can act on the final state; its failure is an invocation error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..errors import InvalidEventError
from . import batch, native
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["KIND", "WINDOW", "TumblingWindow", "handle", "infer"]

KIND: Final = "tumbling-window"

#: The environ key of the :class:`TumblingWindow`.
WINDOW: Final = "aws.window"


class TumblingWindow:
    """One invocation of a tumbling window.

    ``start``, ``end``: the window's bounds (RFC 3339 text, as Lambda sent them);
    ``state``: the incoming state, which the app replaces (any JSON value;
    Lambda documents an object of strings, at most 1 MB per shard);
    ``is_final``: ``isFinalInvokeForWindow``; ``terminated_early``:
    ``isWindowTerminatedEarly``; ``shard_id``: ``shardId``.
    """

    __slots__ = ("end", "is_final", "shard_id", "start", "state", "terminated_early")

    def __init__(self, event: dict[str, Any]) -> None:
        window = event.get("window")
        if not isinstance(window, dict):
            raise InvalidEventError("window", "must be an object", window)
        self.start: Any = window.get("start")
        self.end: Any = window.get("end")
        state = event.get("state")
        self.state: Any = {} if state is None else state
        self.is_final = event.get("isFinalInvokeForWindow") is True
        self.terminated_early = event.get("isWindowTerminatedEarly") is True
        self.shard_id: Any = event.get("shardId")

    def __repr__(self) -> str:
        return f"TumblingWindow(start={self.start!r}, end={self.end!r}, final={self.is_final})"


def infer(event: Any) -> bool:
    """A stream batch with ``window`` and ``Records`` (possibly empty)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("window"), dict)
        and isinstance(event.get("Records"), list)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    window = TumblingWindow(event)
    adapter = batch.batch_adapter(event)
    if adapter is None:
        # No record (or not a stream's): one call with the window itself.
        native.handle(app, options, event, context, environ={WINDOW: window})
        return {"state": window.state, "batchItemFailures": []}
    answer = native.handle_batch(app, options, event, context, adapter, environ={WINDOW: window})
    return {"state": window.state, **answer}
