"""The import-time work of issue 13 (lazy trigger modules, Message's light
NamedTuple) keeps the package's public surface: names, annotations, dir()."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from collections.abc import Mapping
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, InvalidEventError, Message
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.dispatch import Refused

SUBMODULES = (
    "authorizer",
    "batch",
    "cloudformation",
    "cognito",
    "firehose",
    "http",
    "http_alb",
    "http_apigw_rest",
    "http_apigw_v2",
    "http_function_url",
    "http_vpc_lattice",
    "invocation",
    "kafka",
    "native",
    "s3_batch",
    "tumbling_window",
    "websocket",
)


@pytest.mark.parametrize(
    ("cls", "hints"),
    [
        (Message, {"method": str, "path": str, "headers": Mapping[str, str], "body": bytes}),
        (Converted, {"event": CloudEvent, "native": Any, "record_id": str | None}),
        (Refused, {"record_id": str | None, "error": InvalidEventError}),
    ],
)
def test_the_light_named_tuples_keep_their_annotations(cls: type, hints: dict[str, Any]) -> None:
    # As typing.NamedTuple's did: for get_type_hints(), signatures, documentation.
    assert typing.get_type_hints(cls) == hints
    parameters = inspect.signature(cls).parameters
    assert {name: p.annotation for name, p in parameters.items()} == cls.__annotations__
    assert list(cls.__annotations__) == list(cls._fields)  # type: ignore[attr-defined]


def test_the_lambda_package_lists_and_gives_what_it_did() -> None:
    # In a fresh interpreter: nothing imported but the package itself.
    code = (
        "import cloudevents_wsgi.aws_lambda as al\n"
        f"names = {SUBMODULES!r}\n"
        "listed = dir(al)\n"
        "assert set(al.__all__) <= set(listed), set(al.__all__) - set(listed)\n"
        "assert set(names) <= set(listed)\n"
        "assert all(getattr(al, name).__name__ == al.__name__ + '.' + name for name in names)\n"
        "assert [t.__name__.rsplit('.', 1)[1] for t in al.TRIGGERS][-1] == 'native'\n"
        "from cloudevents_wsgi.aws_lambda import *\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import cloudevents_wsgi.aws_lambda as al

    with pytest.raises(AttributeError):
        al.no_such_trigger  # noqa: B018


def test_the_datetime_classes_are_the_standard_ones() -> None:
    # From _datetime on the import path: the very classes datetime exports,
    # so that isinstance() and pickling see no difference.
    import datetime
    import pickle

    from cloudevents_wsgi import spec
    from cloudevents_wsgi.adapters import _aws

    assert spec.datetime is datetime.datetime
    assert spec.timezone is datetime.timezone
    assert _aws.timedelta is datetime.timedelta
    parsed = spec.parse_timestamp("time", "2024-06-30T23:59:60Z")
    assert type(parsed) is datetime.datetime
    assert pickle.loads(pickle.dumps(parsed)) == parsed
