"""Django views that take CloudEvents.

Wrap the project's WSGI application in
:class:`~cloudevents_wsgi.CloudEventsMiddleware` (in ``wsgi.py``); the event is
then at ``request.META["cloudevent"]``. Decorate the views that take events::

    from cloudevents_wsgi.contrib.django import cloudevent_required

    @cloudevent_required(types=["com.amazonaws.s3.ObjectCreated:*"])
    def book_uploaded(request):
        event = request.cloudevent  # the same object as request.META["cloudevent"]
        ...

Events are not sent from a browser form, so the view is exempt from Django's
CSRF check (the sender authenticates in other ways: the Lambda shim, SNS
signatures, a token); every other view keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from functools import wraps
from typing import Any, TypeVar, overload

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..environ import CLOUDEVENT
from ..errors import ConfigurationError, InvalidEventError
from ..event import CloudEvent

__all__ = ["cloudevent_required"]

View = TypeVar("View", bound=Callable[..., Any])


@overload
def cloudevent_required(view: View, /) -> View: ...


@overload
def cloudevent_required(*, types: Iterable[str] | None = None) -> Callable[[View], View]: ...


def cloudevent_required(
    view: View | None = None, /, *, types: Iterable[str] | None = None
) -> View | Callable[[View], View]:
    """Require a CloudEvent (of one of ``types``, glob patterns) in the request.

    Usable bare (``@cloudevent_required``) or with options
    (``@cloudevent_required(types=["com.example.*"])``). A request without an
    event, or with an event of another type, is answered ``400`` with an
    ``application/problem+json`` body naming the field (``cloudevent`` or
    ``type``) and the view is not called. The view finds the event at
    ``request.cloudevent`` and ``request.META["cloudevent"]``, and is exempt
    from the CSRF check.
    """
    patterns: tuple[str, ...] | None = None
    if types is not None:
        if isinstance(types, str):
            raise ConfigurationError(f"types must be a collection of patterns, not {types!r}")
        patterns = tuple(types)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ConfigurationError(
                f"types must be non-empty strings (glob patterns), not {patterns!r}"
            )

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            event = request.META.get(CLOUDEVENT)
            if not isinstance(event, CloudEvent):
                return _problem(
                    InvalidEventError(
                        "cloudevent",
                        "the request carries no CloudEvent (is the WSGI application "
                        "wrapped in CloudEventsMiddleware?)",
                    )
                )
            if patterns is not None and not any(fnmatchcase(event.get_type(), p) for p in patterns):
                return _problem(
                    InvalidEventError(
                        "type",
                        f"is not an event type this endpoint accepts ({', '.join(patterns)})",
                        event.get_type(),
                    )
                )
            request.cloudevent = event
            return view(request, *args, **kwargs)

        return csrf_exempt(wrapper)  # type: ignore[no-any-return]

    if view is not None:
        return decorate(view)
    return decorate


def _problem(error: InvalidEventError) -> Any:
    return HttpResponse(
        error.problem_json(), status=error.status, content_type="application/problem+json"
    )
