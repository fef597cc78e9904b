"""Hypothesis: arbitrary requests never crash the middleware, and the two HTTP
forms agree."""

from __future__ import annotations

import json
import re
import string
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError
from cloudevents_wsgi.receiver import check_depth, parse_binary
from cloudevents_wsgi.spec import canonical_string, parse_media_type


def canonical(event: Any) -> dict[str, str]:
    return {k: canonical_string(v) for k, v in event.get_attributes().items()}


CONTENT_TYPES = st.sampled_from(
    [
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
        "application/json",
        "text/plain; charset=utf-8",
        "application/cloudevents+xml",
        "",
    ]
) | st.text(max_size=40)

HEADER_NAMES = st.sampled_from(
    [
        "ce-specversion",
        "ce-id",
        "ce-source",
        "ce-type",
        "ce-time",
        "ce-subject",
        "ce-dataschema",
        "ce-datacontenttype",
        "ce-ext",
        "ce-Bad",
        "ce-data",
    ]
)
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
EVENTISH = st.fixed_dictionaries(
    {},
    optional={
        "specversion": st.sampled_from(["1.0", "0.3", 1]),
        "id": st.text(max_size=5) | st.integers(),
        "source": st.text(max_size=8),
        "type": st.text(max_size=5),
        "time": st.text(max_size=25) | st.just("2020-01-01T00:00:00Z"),
        "data": JSON,
        "data_base64": st.text(max_size=8),
        "datacontenttype": st.sampled_from(["application/json", "text/plain", "x", ""]),
        "ext": JSON,
    },
)
BODIES = (
    st.binary(max_size=200)
    | EVENTISH.map(lambda e: json.dumps(e).encode())
    | st.lists(EVENTISH, max_size=3).map(lambda b: json.dumps(b).encode())
)


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


middleware = CloudEventsMiddleware(app)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    method=st.sampled_from(["POST", "PUT", "GET", "OPTIONS"]),
    content_type=CONTENT_TYPES,
    headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=6),
    body=BODIES,
)
def test_arbitrary_requests_never_raise_and_never_get_5xx(
    method: str, content_type: str, headers: dict[str, str], body: bytes
) -> None:
    environ = EnvironBuilder("/", method=method, data=body).get_environ()
    environ["CONTENT_TYPE"] = content_type
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    statuses: list[tuple[str, list[tuple[str, str]]]] = []
    result = b"".join(middleware(environ, lambda s, h, e=None: statuses.append((s, h))))
    status, response_headers = statuses[-1]
    assert int(status[:3]) < 500
    if int(status[:3]) >= 400:
        assert ("Content-Type", "application/problem+json") in response_headers
        problem = json.loads(result)
        assert problem["field"] and problem["reason"]


NAMES = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8).filter(
    lambda n: (
        n
        not in (
            "data",
            "specversion",
            "id",
            "source",
            "type",
            "time",
            "subject",
            "dataschema",
            "datacontenttype",
        )
    )
)
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")), min_size=1, max_size=20
)


@settings(max_examples=300, deadline=None)
@given(
    event_id=SAFE_TEXT,
    subject=SAFE_TEXT,
    extensions=st.dictionaries(
        NAMES, SAFE_TEXT | st.booleans() | st.integers(-(2**31), 2**31 - 1), max_size=3
    ),
    data=JSON,
)
def test_binary_and_structured_round_trips_agree(
    event_id: str, subject: str, extensions: dict[str, Any], data: Any
) -> None:
    event = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/s",
        "type": "t",
        "subject": subject,
        "time": "2021-06-01T12:00:00.25+02:00",
        "datacontenttype": "application/json",
        **extensions,
    }
    if data is not None:
        event["data"] = data
    seen: list[Any] = []

    def keep(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ, environ["wsgi.input"].read()))
        start_response("204 No Content", [])
        return []

    for mode in ("binary", "structured"):
        environ = EnvironBuilder(
            "/",
            method="POST",
            data=json.dumps(event).encode(),
            content_type="application/cloudevents+json",
        ).get_environ()
        CloudEventsMiddleware(keep, mode=mode)(environ, lambda *a: None)
    (binary_env, binary_body), (structured_env, structured_body) = seen
    # The binary form, parsed again by the middleware, gives the same event...
    again: list[Any] = []
    environ = EnvironBuilder("/", method="POST", data=binary_body).get_environ()
    environ.update(
        {k: v for k, v in binary_env.items() if k.startswith("HTTP_CE_") or k == "CONTENT_TYPE"}
    )
    CloudEventsMiddleware(lambda e, s: again.append(e["cloudevent"]) or [])(
        environ, lambda *a: None
    )
    # ...and so does the structured form.
    environ = EnvironBuilder(
        "/", method="POST", data=structured_body, content_type=structured_env["CONTENT_TYPE"]
    ).get_environ()
    CloudEventsMiddleware(lambda e, s: again.append(e["cloudevent"]) or [])(
        environ, lambda *a: None
    )
    original = binary_env["cloudevent"]
    from_binary, from_structured = again
    assert from_structured == original
    # Binary mode carries extension values as strings: their canonical forms agree.
    assert canonical(from_binary) == canonical(original)
    assert from_binary.get_data() == original.get_data()
    assert original.get_subject() == subject
    assert original.get_extensions() == extensions


# -- the JSON depth check agrees with the parsed value --------------------------------------

_TRICKY_TEXT = st.text(alphabet='[]{}"\\/ aé\n\u2028', max_size=12)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_TRICKY_TEXT, children, max_size=4)
    ),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.booleans())
def test_the_depth_check_counts_exactly_the_nesting_of_the_value(value: Any, ascii: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii).encode()
    depth = _depth(value)
    check_depth("body", body, max(depth, 1))
    if depth > 1:
        try:
            check_depth("body", body, depth - 1)
        except InvalidEventError:
            pass
        else:
            raise AssertionError(f"depth {depth} passed a limit of {depth - 1}: {body!r}")


# -- RFC 7230 quoted strings in binary-mode headers -------------------------------------

_QUOTED_STRING_GRAMMAR = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)


@given(st.text(alphabet='ab"\\ %', max_size=12))
def test_quoted_header_values_follow_the_rfc_7230_grammar(text: str) -> None:
    """The receiver's linear unquoting agrees with the grammar written as a regex."""
    raw = '"' + text
    expected = _QUOTED_STRING_GRAMMAR.fullmatch(raw.strip(" \t"))  # as header values are
    headers = [("specversion", "1.0"), ("id", "1"), ("source", "/s"), ("type", "t")]
    try:
        event = parse_binary([*headers, ("ext", raw)], None, b"")
    except InvalidEventError as error:
        if expected is not None:
            assert "quoted string" not in error.reason
        return
    assert expected is not None
    unquoted = re.sub(r"\\(.)", r"\1", expected.group(1), flags=re.DOTALL)
    assert event.get_extension("ext") == unquote(unquoted)


_OLD_PARAMETER = re.compile(
    r"[ \t]*;[ \t]*(?:([!#$%&'*+\-.^_`|~0-9A-Za-z]+)=([!#$%&'*+\-.^_`|~0-9A-Za-z]+|"
    r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*"))?'
)


def _parameters_by_grammar(text: str) -> dict[str, str] | None:
    """Media type parameters read with the RFC 7231 grammar as one regex (small inputs)."""
    params: dict[str, str] = {}
    at = 3  # after "a/b"
    while at < len(text):
        param = _OLD_PARAMETER.match(text, at)
        if param is None or param.end() == at:
            return None
        name, raw = param.groups()
        if name is not None:
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)
            params[name.lower()] = raw
        at = param.end()
    return params


@given(st.text(alphabet='x=;" \\é', max_size=14))
def test_media_type_parameters_follow_the_rfc_7231_grammar(text: str) -> None:
    """The linear quoted-string scan reads parameters exactly as the grammar does."""
    value = "a/b;" + text.rstrip(" ")
    expected = _parameters_by_grammar(value)
    try:
        _, params = parse_media_type("datacontenttype", value)
    except InvalidEventError:
        assert expected is None
        return
    assert params == expected
