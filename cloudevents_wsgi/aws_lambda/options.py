"""The handler's options, checked once by :func:`make_lambda_handler`."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Mapping
from typing import Final

from .._options import check_flag, check_path, check_routes
from ..errors import ConfigurationError

__all__ = ["DEFAULT_DEADLINE_MARGIN_MS", "DEFAULT_TEXT_TYPES", "Options"]

# Bodies of these types go back as text; everything else (images, PDFs,
# octet-streams, fonts...) as base64, which loses nothing.
DEFAULT_TEXT_TYPES: Final = (
    "text/*",
    "application/json",
    "*+json",
    "application/xml",
    "*+xml",
    "application/javascript",
    "application/ecmascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
    "application/x-yaml",
)


# Time left (milliseconds) under which no further record of a batch starts.
# One second: room for the answer to go back and for the app's slowest
# ordinary record; raise it when a record may take longer.
DEFAULT_DEADLINE_MARGIN_MS: Final = 1000


class Options:
    """``event_path``, ``routes`` (``(pattern, path)`` pairs), ``is_text_type``
    (a media type, lower case -> truthy), ``server_name``,
    ``report_batch_item_failures``, ``deadline_margin_ms``,
    ``websocket_path``, ``authorizer_path``; see
    :func:`make_lambda_handler`."""

    __slots__ = (
        "authorizer_path",
        "deadline_margin_ms",
        "event_path",
        "is_text_type",
        "report_batch_item_failures",
        "routes",
        "server_name",
        "websocket_path",
    )

    def __init__(
        self,
        *,
        event_path: str,
        routes: Mapping[str, str] | None,
        text_types: Collection[str],
        server_name: str,
        report_batch_item_failures: bool,
        deadline_margin_ms: float = DEFAULT_DEADLINE_MARGIN_MS,
        websocket_path: str = "/websocket",
        authorizer_path: str | None = None,
    ) -> None:
        check_path("websocket_path", websocket_path)
        if authorizer_path is not None:
            check_path("authorizer_path", authorizer_path)
        if (
            isinstance(deadline_margin_ms, bool)
            or not isinstance(deadline_margin_ms, (int, float))
            or not 0 <= deadline_margin_ms < float("inf")
        ):
            raise ConfigurationError(
                "deadline_margin_ms must be a number of milliseconds >= 0, "
                f"not {deadline_margin_ms!r}"
            )
        check_path("event_path", event_path)
        route_list = check_routes("routes", routes)
        check_flag("report_batch_item_failures", report_batch_item_failures)
        if isinstance(text_types, str) or not all(isinstance(t, str) and t for t in text_types):
            raise ConfigurationError(
                f"text_types must be a collection of strings, not {text_types!r}"
            )
        if not isinstance(server_name, str) or not server_name:
            raise ConfigurationError(f"server_name must be a non-empty string, not {server_name!r}")
        text_re = re.compile("|".join(fnmatch.translate(t.lower()) for t in text_types) or "(?!)")
        self.event_path = event_path
        self.routes: tuple[tuple[str, str], ...] = route_list
        self.is_text_type: Callable[[str], object] = text_re.match
        self.server_name = server_name
        self.report_batch_item_failures = bool(report_batch_item_failures)
        self.deadline_margin_ms = deadline_margin_ms
        self.websocket_path = websocket_path
        self.authorizer_path = authorizer_path
