"""What the Lambda handler raises so that Lambda records an invocation error."""

from __future__ import annotations

from collections.abc import Sequence

from ..delivery import EventResult
from ..errors import CloudEventsWSGIError

__all__ = ["BatchFailedError", "EventFailedError"]


class EventFailedError(CloudEventsWSGIError):
    """The app did not accept a non-HTTP event: a non-2xx answer, or a failed event.

    Raised so that Lambda reports an invocation error and AWS retries the event
    (and finally dead-letters it). ``status`` is the app's answer, ``body`` its
    bytes, ``results`` the outcome of each event the middleware dispatched.
    """

    def __init__(
        self, message: str, *, status: int, body: bytes, results: Sequence[EventResult]
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.results = list(results)


class BatchFailedError(EventFailedError):
    """Every record of an SQS, Kinesis or DynamoDB batch failed (or a failure
    could not be reported record by record): the whole batch must be retried."""
