"""Send CloudEvents, and the native events of AWS, Azure and Google, to any WSGI app."""

from .errors import (
    CloudEventsWSGIError,
    ConfigurationError,
    EmitError,
    InvalidEventError,
    PayloadTooLargeError,
    UnsupportedFormatError,
)
from .event import CloudEvent
from .message import Message
from .middleware import CloudEventsMiddleware
from .receiver import from_http
from .writer import to_http, to_http_batch

__version__ = "0.1.0"

__all__ = [
    "CloudEvent",
    "CloudEventsMiddleware",
    "CloudEventsWSGIError",
    "ConfigurationError",
    "EmitError",
    "InvalidEventError",
    "Message",
    "PayloadTooLargeError",
    "UnsupportedFormatError",
    "from_http",
    "to_http",
    "to_http_batch",
]
