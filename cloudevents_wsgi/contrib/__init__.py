"""Framework helpers, each imported on its own and only when asked for.

``import cloudevents_wsgi`` loads none of them, and none loads a framework
before its own module is imported:

- :mod:`cloudevents_wsgi.contrib.django`: the ``cloudevent_required`` view decorator.
- :mod:`cloudevents_wsgi.contrib.flask`: a Flask request class with ``.cloudevent``.
- :mod:`cloudevents_wsgi.contrib.werkzeug`: the same for a bare Werkzeug app.
- :mod:`cloudevents_wsgi.contrib.webob`: the same for WebOb and Pyramid.

Each reads the event the middleware left at ``environ["cloudevent"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..environ import CLOUDEVENT
from ..event import CloudEvent

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["CloudEventRequestMixin", "cloudevent_of"]


def cloudevent_of(environ: WSGIEnvironment) -> CloudEvent | None:
    """The event of a request, or ``None`` when it carries none."""
    event: Any = environ.get(CLOUDEVENT)
    return event if isinstance(event, CloudEvent) else None


class CloudEventRequestMixin:
    """Adds ``.cloudevent`` to any request class that has ``.environ``
    (Werkzeug, Flask, WebOb, Pyramid)."""

    environ: WSGIEnvironment

    @property
    def cloudevent(self) -> CloudEvent | None:
        """The CloudEvent this request carries, or ``None``."""
        return cloudevent_of(self.environ)
