"""Flask's test client, sending its requests through the middleware.

An app that wraps ``app.wsgi_app`` in
:class:`~cloudevents_wsgi.CloudEventsMiddleware` where it is built tests
through it already: ``app.test_client()`` calls ``app.wsgi_app``. An app
wrapped elsewhere (in the server's entry point) gets the middleware for the
test from :func:`middleware_client`::

    from cloudevents_wsgi.testing import binary
    from cloudevents_wsgi.testing.flask import middleware_client, send

    def test_events():
        with middleware_client(app) as client:
            response = send(client, binary(type="com.example.uploaded", path="/events"))
        assert response.status_code == 204
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask
from flask.testing import FlaskClient

from ..middleware import CloudEventsMiddleware
from . import EventRequest

__all__ = ["middleware_client", "send"]


@contextmanager
def middleware_client(app: flask.Flask, **middleware_options: Any) -> Iterator[FlaskClient]:
    """``app.test_client()`` with ``app.wsgi_app`` wrapped in
    ``CloudEventsMiddleware(**middleware_options)`` for the ``with`` block
    (restored after it); an ``app.wsgi_app`` that is a middleware already is
    left as it is, so that requests are not read twice."""
    original = app.wsgi_app
    if not isinstance(original, CloudEventsMiddleware):
        app.wsgi_app = CloudEventsMiddleware(original, **middleware_options)  # type: ignore[method-assign]
    try:
        yield app.test_client()
    finally:
        app.wsgi_app = original  # type: ignore[method-assign]


def send(client: FlaskClient, request: EventRequest, **options: Any) -> Any:
    """Send a request made by :mod:`cloudevents_wsgi.testing` with Flask's
    (Werkzeug's) test client; ``options`` as for its ``open()``. Returns its
    ``TestResponse``."""
    return client.open(
        request.path,
        method=request.method,
        data=request.body,
        headers=list(request.headers.items()),
        **options,
    )
