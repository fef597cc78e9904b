"""pytest fixtures for testing event handlers (registered as the pytest
plugin ``cloudevents_wsgi``; ``-p no:cloudevents_wsgi`` turns it off).

Tell the fixtures what to test by defining, in your ``conftest.py``, the
fixture ``cloudevents_app`` (the WSGI application your server runs) or
``cloudevents_lambda_handler`` (your Lambda handler); then use:

``cloudevents_client``
    a :class:`cloudevents_wsgi.testing.EventClient` of ``cloudevents_app``.
``cloudevents_lambda``
    a :class:`cloudevents_wsgi.testing.LambdaClient` of
    ``cloudevents_lambda_handler``, or, when only ``cloudevents_app`` is
    defined, of ``make_lambda_handler(cloudevents_app)``.
``cloudevents_django_client``
    a :class:`cloudevents_wsgi.testing.django.Client` (Django's test client
    through the middleware; Django's settings must be configured).

Loading the plugin imports nothing but this module: the package and the
frameworks are imported by the fixtures that use them.
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = [
    "cloudevents_app",
    "cloudevents_client",
    "cloudevents_django_client",
    "cloudevents_lambda",
    "cloudevents_lambda_handler",
]


@pytest.fixture
def cloudevents_app() -> Any:
    """The WSGI application under test: define this fixture yourself."""
    pytest.fail(
        "define a fixture named 'cloudevents_app' (in conftest.py) returning the WSGI "
        "application to test, e.g. your wsgi.py's application",
        pytrace=False,
    )


@pytest.fixture
def cloudevents_lambda_handler(request: pytest.FixtureRequest) -> Any:
    """The Lambda handler under test: define this fixture yourself (by
    default, ``make_lambda_handler(cloudevents_app)``)."""
    app = request.getfixturevalue("cloudevents_app")
    from cloudevents_wsgi.aws_lambda import make_lambda_handler

    return make_lambda_handler(app)


@pytest.fixture
def cloudevents_client(cloudevents_app: Any) -> Any:
    """A :class:`cloudevents_wsgi.testing.EventClient` of ``cloudevents_app``."""
    from cloudevents_wsgi.testing import EventClient

    return EventClient(cloudevents_app)


@pytest.fixture
def cloudevents_lambda(cloudevents_lambda_handler: Any) -> Any:
    """A :class:`cloudevents_wsgi.testing.LambdaClient` of ``cloudevents_lambda_handler``."""
    from cloudevents_wsgi.testing import LambdaClient

    return LambdaClient(cloudevents_lambda_handler)


@pytest.fixture
def cloudevents_django_client() -> Any:
    """Django's test client, through the middleware
    (:class:`cloudevents_wsgi.testing.django.Client`)."""
    from cloudevents_wsgi.testing.django import Client

    return Client()
