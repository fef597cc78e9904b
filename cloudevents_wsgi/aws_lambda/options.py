"""The handler's options, checked once by :func:`make_lambda_handler`."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Mapping
from typing import Final

from .._options import check_flag, check_path, check_routes
from ..errors import ConfigurationError

__all__ = ["DEFAULT_TEXT_TYPES", "Options"]

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


class Options:
    """``event_path``, ``routes`` (``(pattern, path)`` pairs), ``is_text_type``
    (a media type, lower case -> truthy), ``server_name``,
    ``report_batch_item_failures``; see :func:`make_lambda_handler`."""

    __slots__ = (
        "event_path",
        "is_text_type",
        "report_batch_item_failures",
        "routes",
        "server_name",
    )

    def __init__(
        self,
        *,
        event_path: str,
        routes: Mapping[str, str] | None,
        text_types: Collection[str],
        server_name: str,
        report_batch_item_failures: bool,
    ) -> None:
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
