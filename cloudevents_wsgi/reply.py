"""Reply events: a CloudEvent written as the HTTP response to the event a handler received.

A sender that takes replies says so with ``Prefer: reply`` (RFC 7240): the
Knative broker and channels send it to every subscriber and route an event
found in a ``200`` response onwards; a response with no body means no reply
(Knative eventing data-plane contract, "Derived (Reply) Events":
https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md).
A ``202`` response is never read as a reply.

:class:`Reply` is what an :class:`~cloudevents_wsgi.router.EventRouter` handler
returns to answer with an event (a bare :class:`~cloudevents_wsgi.CloudEvent`
is a ``Reply`` with status ``200`` in binary mode);
:func:`reply_response` writes one for any WSGI app, and the Django and Flask
helpers (``CloudEventResponse``, ``cloudevent_response``) build on it.
IO-free, standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from .event import CloudEvent
from .writer import to_http

__all__ = ["PREFERENCE_APPLIED", "Reply", "prefers_reply", "reply_response"]

#: The header (RFC 7240 section 3) that tells the sender its ``Prefer: reply`` was honoured.
PREFERENCE_APPLIED: Final = ("Preference-Applied", "reply")

# Statuses that cannot carry a body (RFC 9110 sections 15.3.5, 15.3.6, 15.4.5).
_NO_BODY: Final = frozenset({204, 205, 304})


class Reply(NamedTuple):
    """A reply event and how to answer with it.

    ``event``: the :class:`~cloudevents_wsgi.CloudEvent` to answer with.
    ``status``: the HTTP status, ``200`` by default (the only status Knative
    reads a reply from). ``mode``: ``"binary"`` (``ce-*`` headers, the data
    as the body) or ``"structured"`` (``application/cloudevents+json``), as
    :func:`~cloudevents_wsgi.to_http` writes them.
    """

    event: CloudEvent
    status: int = 200
    mode: str = "binary"


def reply_response(
    event: CloudEvent, *, status: int = 200, mode: str = "binary"
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The response that carries ``event``: ``(status, headers, body)``.

    ``headers`` are the ``ce-*`` headers and ``Content-Type`` (binary mode),
    or ``Content-Type: application/cloudevents+json`` (structured mode), and
    ``Content-Length``. An event binary mode cannot carry as it is goes in
    structured mode (see :mod:`cloudevents_wsgi.writer`). Raises
    ``ValueError`` for an unknown ``mode``, a ``status`` outside 200-599 or
    one that cannot carry a body (204, 205, 304), and
    :class:`~cloudevents_wsgi.InvalidEventError` naming ``data`` for data no
    UTF-8 JSON can hold; ``TypeError`` if ``event`` is not a
    :class:`~cloudevents_wsgi.CloudEvent`.
    """
    if not isinstance(event, CloudEvent):
        raise TypeError(f"a reply event must be a cloudevents_wsgi.CloudEvent, not {event!r}")
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError(f"a reply's status must be an HTTP status from 200 to 599, not {status!r}")
    if status in _NO_BODY:
        raise ValueError(f"a {status} response has no body, so it cannot carry a reply event")
    message = to_http(event, mode=mode)
    headers = list(message.headers.items())
    headers.append(("Content-Length", str(len(message.body))))
    return status, headers, message.body


def prefers_reply(headers: Mapping[str, Any]) -> bool:
    """Whether a request asks for a reply event (``Prefer: reply``, RFC 7240).

    ``headers``: a WSGI environ (``HTTP_PREFER``) or a mapping of lower-case
    header names (``prefer``). Preference names are compared without case;
    ``reply`` may sit among others (``Prefer: respond-async, reply``) and
    carry parameters, which are ignored.
    """
    value = headers.get("HTTP_PREFER")
    if value is None:
        value = headers.get("prefer")
    if not isinstance(value, str):
        return False
    for preference in value.split(","):
        name = preference.split(";", 1)[0].split("=", 1)[0].strip()
        if name.lower() == "reply":
            return True
    return False
