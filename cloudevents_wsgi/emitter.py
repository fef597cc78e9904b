"""Send CloudEvents over HTTP: for code that produces events.

::

    from cloudevents_wsgi import CloudEvent
    from cloudevents_wsgi.emitter import emit

    answer = emit(CloudEvent({"type": "com.example.greeting", "source": "/greeter",
                              "id": "1"}), "http://127.0.0.1:8080/events")

:func:`emit` posts one event (binary or structured content mode, written by
:func:`cloudevents_wsgi.to_http`), :func:`emit_batch` a batch; both return the
:class:`Answer` for a 2xx and raise :class:`~cloudevents_wsgi.EmitError`
(naming the URL and the status) for anything else.

Without a URL they send to ``K_SINK``, the address Knative's SinkBinding and
ContainerSource put in the environment of the container that produces events,
and set the extensions of ``K_CE_OVERRIDES`` (``{"extensions": {"name":
"value"}}``) on every event they send there:
https://knative.dev/docs/eventing/custom-event-source/sinkbinding/ .

Standard library only (``http.client``): no proxies, and no redirects (a
``3xx`` is an answer that is not a success). Imported only when asked for:
``import cloudevents_wsgi`` does not load it.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

from . import spec
from .errors import ConfigurationError, EmitError, InvalidEventError
from .event import CloudEvent
from .message import Message
from .writer import to_http, to_http_batch

__all__ = ["K_CE_OVERRIDES", "K_SINK", "Answer", "emit", "emit_batch"]

#: The environment variable that holds the sink's URL (Knative SinkBinding, ContainerSource).
K_SINK: Final = "K_SINK"
#: The environment variable that holds the CloudEvent overrides (a JSON object).
K_CE_OVERRIDES: Final = "K_CE_OVERRIDES"

# Seconds to wait for the connection and for each read of the answer.
DEFAULT_TIMEOUT: Final = 10.0


class Answer(NamedTuple):
    """The answer to a delivered event: a 2xx.

    ``url``: where the event went; ``status`` and ``reason``: the HTTP
    status line; ``headers``: lower-case names (repeated headers joined with
    ``", "``); ``body``: the whole body.
    """

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    def reply(self) -> CloudEvent | None:
        """The reply event the answer carries (binary or structured mode), or
        ``None``: a ``202`` is never a reply (Knative data-plane contract), nor
        is an answer without an event. Raises
        :class:`~cloudevents_wsgi.InvalidEventError` for an invalid event."""
        if self.status == 202:
            return None
        from .receiver import from_http

        events = from_http(Message("POST", "/", self.headers, self.body))
        return events[0] if events and len(events) == 1 else None


def emit(
    event: CloudEvent,
    url: str | None = None,
    *,
    mode: str = "binary",
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """POST ``event`` to ``url`` (default: ``$K_SINK``) and return the 2xx :class:`Answer`.

    ``mode``: ``"binary"`` or ``"structured"``, as :func:`~cloudevents_wsgi.to_http`
    writes them. ``timeout``: seconds, for the connection and for each read.
    ``headers``: more request headers (``Authorization``...); they do not
    replace the event's own. Raises :class:`~cloudevents_wsgi.EmitError` for
    a non-2xx answer (``status``, ``reason``, ``body``) or no answer
    (``status`` None); :class:`~cloudevents_wsgi.ConfigurationError` for a
    missing or unusable URL, a bad ``timeout`` or ``K_CE_OVERRIDES``;
    :class:`~cloudevents_wsgi.InvalidEventError` for data JSON cannot hold.
    """
    target, overrides = _target(url)
    message = to_http(_overridden(event, overrides), mode=mode)
    return _post(target, message, timeout, headers)


def emit_batch(
    events: Iterable[CloudEvent],
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """POST ``events`` in batched content mode (``application/cloudevents-batch+json``)
    to ``url`` (default: ``$K_SINK``); otherwise as :func:`emit`."""
    target, overrides = _target(url)
    message = to_http_batch(_overridden(event, overrides) for event in events)
    return _post(target, message, timeout, headers)


# -- where to -------------------------------------------------------------------------


def _target(url: str | None) -> tuple[str, dict[str, Any]]:
    """The URL to send to, and the extensions to set (from ``K_CE_OVERRIDES``
    when the URL is ``K_SINK``'s)."""
    if url is not None:
        return url, {}
    sink = os.environ.get(K_SINK)
    if not sink:
        raise ConfigurationError(f"no URL to send to: give one, or set {K_SINK}")
    return sink, _overrides(os.environ.get(K_CE_OVERRIDES))


def _overrides(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigurationError(f"{K_CE_OVERRIDES} is not JSON: {raw[:200]!r}") from None
    extensions = value.get("extensions", {}) if isinstance(value, dict) else None
    if not isinstance(extensions, dict):
        raise ConfigurationError(f'{K_CE_OVERRIDES} must be {{"extensions": {{...}}}}')
    checked: dict[str, Any] = {}
    for name, extension in extensions.items():
        if name in spec.REQUIRED or name in spec.OPTIONAL or name in ("data", "data_base64"):
            raise ConfigurationError(
                f"{K_CE_OVERRIDES} may set extensions only, not the attribute {name!r}"
            )
        try:
            checked[spec.check_name(name)] = spec.check_extension(name, extension)
        except InvalidEventError as error:
            raise ConfigurationError(f"{K_CE_OVERRIDES}: {error}") from None
    return checked


def _overridden(event: CloudEvent, extensions: dict[str, Any]) -> CloudEvent:
    if not extensions:
        return event
    attributes = event.get_attributes()
    attributes.update(extensions)
    return CloudEvent._checked(attributes, event.get_data(), event.time_text())


# -- the request ----------------------------------------------------------------------


def _post(url: str, message: Message, timeout: float, extra: Mapping[str, str] | None) -> Answer:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, not {timeout!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"the URL to send to must be http:// or https://, not {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("give credentials in headers= (Authorization), not in the URL")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"the URL's port is not a port number: {url!r}") from None
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"user-agent": _user_agent()}
    for name, value in (extra or {}).items():
        headers[name.lower()] = value
    headers.update(message.headers)  # the event's own headers win
    connection = connection_class(parts.hostname, port, timeout=timeout)
    try:
        connection.request("POST", path, body=message.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
    except TimeoutError:
        raise EmitError(url, None, f"no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise EmitError(url, None, reason) from None
    finally:
        connection.close()
    answer = Answer(url, response.status, response.reason, _headers(response), body)
    if not 200 <= answer.status < 300:
        raise EmitError(url, answer.status, answer.reason, body)
    return answer


def _headers(response: http.client.HTTPResponse) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _user_agent() -> str:
    from . import __version__

    return f"cloudevents-wsgi/{__version__}"
