"""Answers for Dapr's pub/sub deliveries.

Dapr delivers each message to the subscriber as a CloudEvent in structured
mode, which the core receiver reads. What Dapr does next depends on the
subscriber's answer (https://docs.dapr.io/reference/api/pubsub_api/,
"Expected HTTP Response"):

* a 2xx status: the JSON body's ``status`` decides: ``SUCCESS`` (also for an
  empty body), ``RETRY`` or ``DROP`` (a warning is logged, the message dropped
  or sent to the dead letter topic);
* 404: an error is logged and the message is dropped;
* any other status: a warning is logged and the message is retried.

Answering a 2xx with an explicit status makes the outcome of the app's answer
plain to Dapr. :func:`dapr_status` maps the app's HTTP status onto Dapr's
statuses, and :func:`dapr_response_body` writes the body to send with 200.
"""

from __future__ import annotations

import json
from typing import Final

__all__ = ["DROP", "RETRY", "STATUSES", "SUCCESS", "dapr_response_body", "dapr_status"]

SUCCESS: Final = "SUCCESS"
RETRY: Final = "RETRY"
DROP: Final = "DROP"
STATUSES: Final = (SUCCESS, RETRY, DROP)

#: Client errors that a later delivery of the same message may not repeat:
#: a timeout, a conflict, a locked resource, "too early" and rate limiting.
#: Every other 4xx says the message itself is wrong (400, 422...) or has no
#: handler (404, as Dapr itself treats it), so retrying cannot help: DROP.
RETRYABLE_CLIENT_ERRORS: Final = frozenset({408, 409, 423, 425, 429})


def dapr_status(http_status: int) -> str:
    """The Dapr status for the app's HTTP status.

    2xx -> ``SUCCESS``; 4xx -> ``DROP``, except those of
    :data:`RETRYABLE_CLIENT_ERRORS`; everything else (5xx, and the 500 that
    stands for an exception raised by the app) -> ``RETRY``.
    """
    if 200 <= http_status < 300:
        return SUCCESS
    if 400 <= http_status < 500 and http_status not in RETRYABLE_CLIENT_ERRORS:
        return DROP
    return RETRY


def dapr_response_body(status: str) -> bytes:
    """The JSON body telling Dapr ``status``; send it with HTTP 200 and
    ``Content-Type: application/json`` (Dapr reads it only after a 2xx)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    return json.dumps({"status": status}).encode("ascii")
