"""Test your own handlers with the events production sends them.

Build a request, send it through your WSGI application the way a server
does, and read the answer::

    from cloudevents_wsgi.testing import EventClient, binary

    client = EventClient(application)  # your wsgi.py's, CloudEventsMiddleware included
    response = client.send(binary(type="com.example.book.uploaded", data={"key": "a.epub"}))
    assert response.status == 204

Nothing here is a mock: the request goes through
:class:`~cloudevents_wsgi.CloudEventsMiddleware` with its real checks (an
invalid event gets the same 400 problem+json as in production), and Lambda
events go through the real shim (:func:`~cloudevents_wsgi.aws_lambda.make_lambda_handler`).

Requests (an :class:`EventRequest`: method, path, headers, body):

- :func:`binary`, :func:`structured`: one event in the binary or structured
  content mode of the CloudEvents HTTP binding (spec ``bindings/http-protocol-binding.md``
  3.1, 3.2); :func:`batch`: several (3.3), built with :func:`event`.
- :func:`lambda_event`: a native AWS event from a bundled sample
  (:func:`sample_names`), with values replaced by path
  (``{"Records[0].s3.object.key": "books/walden.pdf"}``).

Clients: :class:`EventClient` for a WSGI app, :class:`LambdaClient` for a
Lambda handler. Framework test clients that go through the middleware:
:mod:`cloudevents_wsgi.testing.django` and :mod:`cloudevents_wsgi.testing.flask`.
With pytest, the fixtures of :mod:`cloudevents_wsgi.pytest_plugin` hand these
out.

This module imports no framework, and nothing of pytest.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import time as _time
import uuid
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit
from wsgiref.util import setup_testing_defaults

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "EventClient",
    "EventRequest",
    "LambdaClient",
    "LambdaContext",
    "Response",
    "batch",
    "binary",
    "call",
    "event",
    "lambda_event",
    "sample",
    "sample_names",
    "structured",
]


class EventRequest(NamedTuple):
    """An HTTP request: ``headers`` as sent (``ce-id``, ``Content-Type``...),
    ``body`` the bytes; ``path`` may hold a query (``/events?x=1``)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, or ``None``."""
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return None

    def environ(self, **extra: Any) -> dict[str, Any]:
        """The request as a PEP 3333 environ (``extra`` keys added last)."""
        url = urlsplit(self.path)
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(url.path, "latin-1") or "/",
            "QUERY_STRING": url.query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(self.body),
            "CONTENT_LENGTH": str(len(self.body)),
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
            else:
                env["HTTP_" + key] = value
        setup_testing_defaults(env)  # SERVER_NAME, wsgi.errors, wsgi.url_scheme...
        env.update(extra)
        return env


def event(
    *,
    type: str,
    source: str = "/tests",
    id: str | None = None,
    data: Any = None,
    datacontenttype: str | None = None,
    subject: str | None = None,
    time: str | None = None,
    dataschema: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One event in the JSON format (``formats/json-format.md``), for
    :func:`structured` and :func:`batch`.

    ``id`` defaults to a new UUID; ``data`` that is ``bytes`` goes into
    ``data_base64``; JSON-able data gets ``datacontenttype: application/json``
    unless another is given. Nothing is checked here: invalid attributes make
    invalid requests, for testing refusals.
    """
    obj: dict[str, Any] = {
        "specversion": "1.0",
        "id": id if id is not None else str(uuid.uuid4()),
        "source": source,
        "type": type,
    }
    for name, value in (("subject", subject), ("time", time), ("dataschema", dataschema)):
        if value is not None:
            obj[name] = value
    obj.update(extensions or {})
    if data is not None:
        if isinstance(data, (bytes, bytearray)):
            obj["data_base64"] = base64.b64encode(data).decode("ascii")
        else:
            obj["data"] = data
        if datacontenttype is None and not isinstance(data, (bytes, bytearray)):
            datacontenttype = "text/plain" if isinstance(data, str) else "application/json"
    if datacontenttype is not None:
        obj["datacontenttype"] = datacontenttype
    return obj


def binary(
    *,
    type: str,
    source: str = "/tests",
    id: str | None = None,
    data: Any = None,
    datacontenttype: str | None = None,
    subject: str | None = None,
    time: str | None = None,
    dataschema: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    path: str = "/",
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> EventRequest:
    """One event in binary content mode: attributes in ``ce-`` headers, the
    data as the body (HTTP binding 3.1).

    ``data``: ``bytes`` as they are (``application/octet-stream`` unless
    ``datacontenttype`` says otherwise), ``str`` as UTF-8 text
    (``text/plain; charset=utf-8``), anything else as JSON
    (``application/json``). ``headers`` are added last, replacing any of the
    same name (to test what a broken sender sends).
    """
    obj = event(
        type=type,
        source=source,
        id=id,
        data=data,
        datacontenttype=datacontenttype,
        subject=subject,
        time=time,
        dataschema=dataschema,
        extensions=extensions,
    )
    content_type = obj.pop("datacontenttype", None)
    body = b""
    if isinstance(data, (bytes, bytearray)):
        obj.pop("data_base64")
        body = bytes(data)
        content_type = content_type or "application/octet-stream"
    elif isinstance(data, str) and not _is_json(content_type):
        obj.pop("data")
        if content_type == "text/plain":
            content_type = "text/plain; charset=utf-8"
        body = data.encode("utf-8")
    elif data is not None:
        body = json.dumps(obj.pop("data")).encode("utf-8")
    sent: dict[str, str] = {f"ce-{name}": _header_value(v) for name, v in obj.items()}
    if content_type is not None:
        sent["Content-Type"] = content_type
    return EventRequest(method, path, _merge(sent, headers), body)


def structured(
    *,
    type: str,
    source: str = "/tests",
    id: str | None = None,
    data: Any = None,
    datacontenttype: str | None = None,
    subject: str | None = None,
    time: str | None = None,
    dataschema: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    path: str = "/",
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> EventRequest:
    """One event in structured content mode: the whole event as JSON,
    ``Content-Type: application/cloudevents+json`` (HTTP binding 3.2)."""
    obj = event(
        type=type,
        source=source,
        id=id,
        data=data,
        datacontenttype=datacontenttype,
        subject=subject,
        time=time,
        dataschema=dataschema,
        extensions=extensions,
    )
    sent = {"Content-Type": "application/cloudevents+json"}
    return EventRequest(method, path, _merge(sent, headers), json.dumps(obj).encode("utf-8"))


def batch(
    events: Iterable[Mapping[str, Any]],
    *,
    path: str = "/",
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> EventRequest:
    """Several events (made with :func:`event`) in batched content mode:
    a JSON array, ``Content-Type: application/cloudevents-batch+json``
    (HTTP binding 3.3)."""
    sent = {"Content-Type": "application/cloudevents-batch+json"}
    body = json.dumps([dict(e) for e in events]).encode("utf-8")
    return EventRequest(method, path, _merge(sent, headers), body)


def _is_json(content_type: str | None) -> bool:
    essence = (content_type or "").partition(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith(("/json", "+json"))


def _header_value(value: Any) -> str:
    """An attribute as a ``ce-`` header value: percent-encoded where the HTTP
    binding asks it (3.1.3.2: space, ``"``, ``%`` and non-printable ASCII).
    Written here rather than taken from the package's writer, so that tests
    send what an independent sender sends."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return "".join(
        c if "\x21" <= c <= "\x7e" and c not in '"%' else "".join(f"%{b:02X}" for b in c.encode())
        for c in text
    )


def _merge(headers: dict[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    if extra:
        for name, value in extra.items():
            for existing in [n for n in headers if n.lower() == name.lower()]:
                del headers[existing]
            headers[name] = value
    return headers


# -- bundled native events -------------------------------------------------------------


def sample_names() -> list[str]:
    """The names of the bundled sample events (``s3-object-created``...)."""
    folder = resources.files("cloudevents_wsgi").joinpath("samples")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def sample(name: str) -> Any:
    """A bundled sample event, decoded (a new copy each time). Raises
    :class:`LookupError` for an unknown name, listing the known ones."""
    if name not in sample_names():
        raise LookupError(f"no sample named {name!r} (samples: {', '.join(sample_names())})")
    file = resources.files("cloudevents_wsgi").joinpath("samples").joinpath(name + ".json")
    return json.loads(file.read_text())


_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def lambda_event(name: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """A bundled sample (:func:`sample_names`) with values replaced.

    ``overrides`` maps paths to new values, in the form the package's errors
    name fields: ``{"Records[0].s3.object.key": "books/walden.pdf",
    "Records[0].body": json.dumps({"order": 7})}``. Every step but the last
    must exist (a :class:`KeyError` or :class:`IndexError` names the path).
    """
    payload = copy.deepcopy(sample(name))
    for path, value in (overrides or {}).items():
        steps: list[str | int] = []
        position = 0
        for match in _STEP.finditer(path):
            if match.start() != position:
                break
            steps.append(match[1] if match[1] is not None else int(match[2]))
            position = match.end()
        if position != len(path) or not steps:
            raise ValueError(f"not a path like 'Records[0].s3.object.key': {path!r}")
        target = payload
        try:
            for step in steps[:-1]:
                target = target[step]
            if isinstance(steps[-1], int):
                target[steps[-1]]  # an index must exist; a key may be new
            target[steps[-1]] = value
        except (KeyError, IndexError, TypeError) as exc:
            raise type(exc)(f"{name}: no place {path!r} in the sample") from None
    return payload


# -- calling a WSGI app ---------------------------------------------------------------------


class Response(NamedTuple):
    """What the app answered: ``status`` (an int), ``status_line``
    (``"204 No Content"``), ``headers`` as sent, ``body`` (all chunks)."""

    status: int
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header of that name (any case), or ``None``."""
        lowered = name.lower()
        return next((v for n, v in self.headers if n.lower() == lowered), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body decoded as JSON (a problem+json answer's ``field``, ``reason``...)."""
        return json.loads(self.body)


def call(app: WSGIApplication, request: EventRequest, **environ: Any) -> Response:
    """Call a WSGI app with the request, as a WSGI server does (the answer
    iterated to its end and closed); an exception from the app propagates."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [(status, list(headers))]
        return written.append

    result = app(request.environ(**environ), start_response)
    try:
        chunks = [*written, *result]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise AssertionError("the app returned without calling start_response")
    status, headers = started[0]
    return Response(int(status[:3]), status, headers, b"".join(chunks))


class EventClient:
    """Sends requests to a WSGI app: give it the application your server runs
    (``mysite.wsgi.application``, with :class:`~cloudevents_wsgi.CloudEventsMiddleware`
    in it), so the request takes the production path."""

    def __init__(self, app: WSGIApplication) -> None:
        if not callable(app):
            raise TypeError(f"app must be a WSGI application, not {app!r}")
        self.app = app

    def send(self, request: EventRequest, **environ: Any) -> Response:
        """Send one request (``environ``: extra keys, e.g. ``REMOTE_ADDR``)."""
        return call(self.app, request, **environ)

    def binary(self, **options: Any) -> Response:
        """``send(binary(**options))``."""
        return self.send(binary(**options))

    def structured(self, **options: Any) -> Response:
        """``send(structured(**options))``."""
        return self.send(structured(**options))


# -- Lambda ---------------------------------------------------------------------------------


class LambdaContext:
    """A stand-in for the Lambda context object (the attributes and method the
    Python runtime documents: docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb = "128"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"
    identity = None
    client_context = None

    def __init__(self, timeout: float = 30.0, aws_request_id: str | None = None) -> None:
        """``timeout``: seconds until the deadline, from now."""
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self._deadline = _time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - _time.monotonic()) * 1000))


class LambdaClient:
    """Invokes a Lambda handler as the Lambda runtime does: the event
    JSON-encoded and decoded again (what the handler can receive is what
    JSON can hold), and a :class:`LambdaContext`."""

    def __init__(self, handler: Callable[[Any, Any], Any]) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be a Lambda handler, not {handler!r}")
        self.handler = handler

    @classmethod
    def for_app(cls, app: WSGIApplication, **options: Any) -> LambdaClient:
        """A client of ``make_lambda_handler(app, **options)``: the WSGI app
        behind the package's real Lambda shim."""
        from ..aws_lambda import make_lambda_handler

        return cls(make_lambda_handler(app, **options))

    def invoke(self, event: Any, context: Any = None) -> Any:
        """The handler's result; its exceptions (a failed invocation,
        ``EventFailedError``, ``BatchFailedError``) propagate."""
        payload = json.loads(json.dumps(event))
        return self.handler(payload, context if context is not None else LambdaContext())

    def sample(self, name: str, overrides: Mapping[str, Any] | None = None) -> Any:
        """``invoke(lambda_event(name, overrides))``."""
        return self.invoke(lambda_event(name, overrides))
