"""Django views that take CloudEvents.

Wrap the project's WSGI application in
:class:`~cloudevents_wsgi.CloudEventsMiddleware` (in ``wsgi.py``); the event is
then at ``request.META["cloudevent"]``. Decorate the views that take events::

    from cloudevents_wsgi.contrib.django import cloudevent_required, get_cloudevent

    @cloudevent_required(types=["com.amazonaws.s3.ObjectCreated:*"])
    def book_uploaded(request):
        event = get_cloudevent(request)  # typed; also request.META["cloudevent"]
        ...

A view needs the decorator (or ``csrf_exempt``) because Django's CSRF check
refuses a ``POST`` without a CSRF token with ``403``: events are not sent from
a browser form, so the decorated view is exempt (the sender authenticates in
other ways: the Lambda shim, SNS signatures, a token); every other view keeps
the check.

The decorator takes function views and class-based views, sync or ``async``
(decorate the class, or the function ``as_view()`` returns; Django's
``method_decorator`` on ``dispatch`` cannot tell an async view and works for
sync views only), under WSGI and ASGI. Under ASGI no WSGI middleware runs:
the decorator then reads a CloudEvent sent over HTTP (binary or structured content mode) from the
request itself, with the same checks; native provider events and batches
still need the middleware (``wsgi.py``, or the Lambda shim).

Reply events: a view answers with a CloudEvent by returning
``CloudEventResponse(event)`` (binary mode, ``200``; ``status=`` and
``mode="structured"`` as for :func:`~cloudevents_wsgi.reply.reply_response`),
which is how a Knative subscriber replies to the broker.

Tests: :class:`cloudevents_wsgi.testing.django.Client` is Django's test client
sending its requests through the middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..environ import CLOUDEVENT, CONTENT_MODE
from ..errors import InvalidEventError, UnsupportedFormatError
from ..event import CloudEvent
from ..message import Message
from ..receiver import from_http
from ..reply import PREFERENCE_APPLIED, prefers_reply, reply_response
from ..typed import data_of
from . import _checked_model, _require, _type_patterns
from . import get_cloudevent as _get

__all__ = ["CloudEventResponse", "cloudevent_data", "cloudevent_required", "get_cloudevent"]

View = TypeVar("View", bound=Callable[..., Any])
T = TypeVar("T")
_BATCH_TYPE = "application/cloudevents-batch+json"


class CloudEventResponse(HttpResponse):
    """A response that carries ``event`` (a reply event).

    ``status``: ``200`` by default; ``mode``: ``"binary"`` (``ce-*`` headers,
    the data as the body, ``Content-Type`` only when the event has a
    ``datacontenttype``) or ``"structured"`` (``application/cloudevents+json``).
    Pass the ``request`` to answer its ``Prefer: reply`` with
    ``Preference-Applied: reply``. Raises what
    :func:`~cloudevents_wsgi.reply.reply_response` raises (``ValueError`` for
    a bad status or mode, ``InvalidEventError`` for unwritable data).
    """

    def __init__(
        self,
        event: CloudEvent,
        *,
        status: int = 200,
        mode: str = "binary",
        request: HttpRequest | None = None,
    ) -> None:
        status, headers, body = reply_response(event, status=status, mode=mode)
        super().__init__(body, status=status)
        # Django sets a default Content-Type (text/html): a binary event without
        # datacontenttype has none, and a reader would take its data as HTML text.
        del self["Content-Type"]
        for name, value in headers:
            self[name] = value
        if request is not None and prefers_reply(request.META):
            self[PREFERENCE_APPLIED[0]] = PREFERENCE_APPLIED[1]
        self.event = event


def get_cloudevent(request: HttpRequest) -> CloudEvent:
    """The request's CloudEvent; raises :class:`LookupError` saying why there
    is none (the method, a missing ``ce-specversion``, no middleware...)."""
    return _get(request.META)


def cloudevent_data(request: HttpRequest, model: type[T]) -> T:
    """The event's data as ``model`` (a pydantic model or a dataclass).

    Validated once by ``@cloudevent_required(data=model)``, or now; raises
    :class:`~cloudevents_wsgi.InvalidEventError` (400, naming the field) for
    data that does not fit, :class:`LookupError` for a request without an event.
    """
    return data_of(request.META, model)


@overload
def cloudevent_required(view: View, /) -> View: ...


@overload
def cloudevent_required(
    *, types: Iterable[str] | None = None, data: type[Any] | None = None
) -> Callable[[View], View]: ...


def cloudevent_required(
    view: View | None = None,
    /,
    *,
    types: Iterable[str] | None = None,
    data: type[Any] | None = None,
) -> View | Callable[[View], View]:
    """Require a CloudEvent (of one of ``types``, glob patterns) in the request.

    Usable bare (``@cloudevent_required``) or with options
    (``@cloudevent_required(types=["com.example.*"], data=Order)``), on a
    function view or a class-based view, sync or ``async``. A request without
    an event, with an event of another type, or (with ``data``, a pydantic
    model or a dataclass) with data that does not fit the model, is answered
    ``400`` with an ``application/problem+json`` body naming the field
    (``cloudevent``, ``type``, ``data.<path>``) and the view is not called.
    The view finds the event at ``request.cloudevent``,
    ``request.META["cloudevent"]`` and :func:`get_cloudevent`, the validated
    data at :func:`cloudevent_data`; it is exempt from the CSRF check.
    Raises :class:`~cloudevents_wsgi.ConfigurationError` for bad options.
    """
    patterns = _type_patterns(types)
    model = _checked_model(data)

    def check(request: Any) -> HttpResponse | None:
        try:
            _read_without_middleware(request)
            request.cloudevent = _require(request.META, patterns, model)
        except InvalidEventError as error:
            return _problem(error)
        return None

    def decorate(view: View) -> View:
        if isinstance(view, type):
            return _decorate_class(view, check)  # type: ignore[return-value]
        if iscoroutinefunction(view):

            @wraps(view)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                problem = check(request)
                if problem is not None:
                    return problem
                return await view(request, *args, **kwargs)

            async_wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # what csrf_exempt sets
            return async_wrapper  # type: ignore[return-value]

        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            problem = check(request)
            return view(request, *args, **kwargs) if problem is None else problem

        return cast(View, csrf_exempt(wrapper))

    if view is not None:
        return decorate(view)
    return decorate


def _decorate_class(cls: type, check: Callable[[Any], HttpResponse | None]) -> type:
    """A class-based view whose ``dispatch`` checks first (in place, as
    Django's ``method_decorator(..., name="dispatch")`` does)."""
    dispatch = cls.dispatch  # type: ignore[attr-defined]
    if getattr(cls, "view_is_async", False):
        # dispatch() of an async view returns the handler's coroutine.
        @wraps(dispatch)
        def checked(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            problem = check(request)
            if problem is None:
                return dispatch(self, request, *args, **kwargs)

            async def answer() -> HttpResponse:
                return problem

            return answer()

    else:

        @wraps(dispatch)
        def checked(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            problem = check(request)
            return dispatch(self, request, *args, **kwargs) if problem is None else problem

    checked.csrf_exempt = True  # type: ignore[attr-defined]  # as_view() copies it to the view
    cls.dispatch = checked  # type: ignore[attr-defined]
    return cls


def _read_without_middleware(request: Any) -> None:
    """Where no middleware ran (ASGI), read a CloudEvent sent over HTTP from
    the request itself into ``request.META["cloudevent"]``."""
    meta = request.META
    if CLOUDEVENT in meta or request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = meta.get("CONTENT_TYPE") or ""
    structured = content_type.lower().startswith("application/cloudevents")
    if not structured and "HTTP_CE_SPECVERSION" not in meta:
        return
    if content_type.partition(";")[0].strip().lower() == _BATCH_TYPE:
        raise UnsupportedFormatError(
            "content-type",
            "a batch of events is read only by CloudEventsMiddleware (wsgi.py), "
            "which calls the view once per event",
            content_type,
        )
    headers = {name.lower(): value for name, value in request.headers.items()}
    # from_http caps JSON nesting where it parses JSON (structured bodies,
    # binary data of a JSON type); other binary data is never parsed.
    events = from_http(Message(request.method, request.path, headers, request.body))
    if events:
        meta[CLOUDEVENT] = events[0]
        meta[CONTENT_MODE] = "structured" if structured else "binary"


def _problem(error: InvalidEventError) -> HttpResponse:
    return HttpResponse(
        error.problem_json(), status=error.status, content_type="application/problem+json"
    )
