"""Checks of the options shared by the middleware and the Lambda shim: each
error is a :class:`~cloudevents_wsgi.ConfigurationError` that names the
option and says what it accepts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .adapters.base import Adapter


def check_flag(option: str, value: Any) -> None:
    """``value`` must be ``True`` or ``False`` (not a truthy string: ``"false"`` is)."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{option} must be True or False, not {value!r}")


def check_path(option: str, path: Any) -> str:
    """A request path: ASCII, starting with ``/``, without query or fragment."""
    if not isinstance(path, str) or not path.startswith("/") or not path.isascii():
        raise ConfigurationError(f"{option} must be an ASCII path starting with '/', not {path!r}")
    if "?" in path or "#" in path:
        raise ConfigurationError(f"{option} must be a path without query or fragment, not {path!r}")
    return path


def check_routes(option: str, routes: Any) -> tuple[tuple[str, str], ...]:
    """``{type glob pattern: path}`` (or ``None``) as ``(pattern, path)`` pairs."""
    if routes is None:
        return ()
    if not isinstance(routes, Mapping):
        raise ConfigurationError(
            f"{option} must map CloudEvent type glob patterns to paths "
            f"({{'com.amazonaws.s3.*': '/hooks/s3'}}), not {routes!r}"
        )
    pairs: list[tuple[str, str]] = []
    for pattern, path in routes.items():
        if not isinstance(pattern, str) or not pattern:
            raise ConfigurationError(
                f"{option}: a pattern must be a non-empty string (a CloudEvent type glob "
                f"pattern), not {pattern!r}"
            )
        pairs.append((pattern, check_path(f"{option}[{pattern!r}]", path)))
    return tuple(pairs)


def check_native_names(
    native_over_http: bool | Collection[str], adapters: Sequence[Adapter]
) -> None:
    """Every name in ``native_over_http`` must be an adapter's, built in or the user's."""
    if isinstance(native_over_http, bool):
        return
    from .detect import builtin_adapters

    known = sorted({a.name for a in builtin_adapters()} | {a.name for a in adapters})
    unknown = sorted(set(native_over_http) - set(known))
    if unknown:
        raise ConfigurationError(
            f"native_over_http names no adapter {', '.join(map(repr, unknown))}: "
            f"give True, False or adapter names among {', '.join(known)}"
        )
