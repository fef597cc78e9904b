"""Django's test client, sending its requests through the middleware.

``django.test.Client`` calls Django's request handler directly, never
``wsgi.py``, so a request it sends reaches the view as it was sent: without
the event :class:`~cloudevents_wsgi.CloudEventsMiddleware` would have read.
This :class:`Client` puts the middleware between the client and the
handler, so that views are tested the way production calls them (the same
checks, the same 400 problem+json answers, once per event for a batch)::

    from cloudevents_wsgi.testing import binary
    from cloudevents_wsgi.testing.django import Client

    class HookTests(TestCase):
        client_class = Client  # self.client goes through the middleware

        def test_upload(self):
            response = self.client.send(binary(type="com.example.uploaded", path="/hook"))
            self.assertEqual(response.status_code, 204)

Everything else is Django's client: ``self.client.post(...)``, cookies,
``response.context``, ``response.json()``. Needs Django's settings configured,
as any Django test does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, HttpResponseBase
from django.test import Client as DjangoClient

from ..middleware import CloudEventsMiddleware
from . import EventRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["Client"]


# The ignores: Django's types come from django-stubs where it is installed
# (the test extra), and are Any where it is not.
class Client(DjangoClient):  # type: ignore[misc, unused-ignore]
    """``django.test.Client`` whose requests pass through
    ``CloudEventsMiddleware(**middleware_options)`` before Django's handler.

    Give it the options your ``wsgi.py`` gives the middleware: as the
    ``middleware_options`` argument, or as the class attribute of a subclass
    (for ``client_class``, which Django builds without arguments).
    """

    middleware_options: Mapping[str, Any] = {}

    def __init__(
        self, *args: Any, middleware_options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if middleware_options is not None:
            self.middleware_options = middleware_options
        client: Any = self  # the handler's declared type is Django's own handler class
        client.handler = _ThroughMiddleware(client.handler, self.middleware_options)

    def send(self, request: EventRequest, **extra: Any) -> Any:
        """Send a request made by :mod:`cloudevents_wsgi.testing` (``binary``,
        ``structured``, ``batch``); ``extra`` as for Django's ``generic()``."""
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
        return self.generic(
            request.method,
            request.path,
            data=request.body,
            content_type=request.content_type or "",
            headers=headers,
            **extra,
        )


class _ThroughMiddleware:
    """Django's client handler (``environ -> HttpResponse``) behind the middleware."""

    def __init__(self, handler: Any, options: Mapping[str, Any]) -> None:
        self.handler = handler
        self.middleware = CloudEventsMiddleware(self._app, **options)
        self._responses: list[tuple[HttpResponseBase, Iterable[bytes]]] = []

    def __getattr__(self, name: str) -> Any:  # enforce_csrf_checks...
        return getattr(self.handler, name)

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.handler(environ)
        headers = [*response.items()]
        headers += [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        body: Iterable[bytes] = (
            response.streaming_content if response.streaming else [response.content]
        )
        self._responses.append((response, body))
        return body

    def __call__(self, environ: dict[str, Any]) -> HttpResponseBase:
        self._responses = []
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [(status, headers)]
            return None

        answer = self.middleware(environ, start_response)
        if len(self._responses) == 1 and answer is self._responses[0][1]:
            return self._responses[0][0]  # the view's own response, passed straight on
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        status, headers = started[0]
        response = HttpResponse(body, status=int(status[:3]))
        for name, value in headers:
            response[name] = value
        last = self._responses[-1][0] if self._responses else None
        request = getattr(last, "wsgi_request", None) or WSGIRequest(environ)
        cast(Any, response).wsgi_request = request  # what Django's handler sets
        return response
