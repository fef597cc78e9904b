"""Send CloudEvents, and the native events of AWS, Azure and Google, to any WSGI app."""

from typing import TYPE_CHECKING, Any

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
from .writer import to_http, to_http_batch

if TYPE_CHECKING:
    from . import detect as detect
    from . import receiver as receiver
    from .receiver import from_http

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


# Not for type checkers, which would take any name this module lacks for a
# lazy one (a misspelled import typed as Any): they see the import above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """``from_http``, whose module (the receiver) is imported on first
        use (PEP 562): a Lambda function that never sees a CloudEvent over
        HTTP never loads it."""
        if name == "from_http":
            from .receiver import from_http

            globals()[name] = from_http
            return from_http
        if name in _SUBMODULES:
            from importlib import import_module

            return import_module(f"{__name__}.{name}")  # as when the package imported them
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__, *_SUBMODULES})

    # The submodules the package imported before they were imported on first
    # use: still its attributes.
    _SUBMODULES = frozenset(("detect", "receiver"))
