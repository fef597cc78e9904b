"""The Lambda HTTP environ's fast paths (issue 13, second round) against the
reading they replaced: a first-seen header set at once, a bare Host and a
numeric X-Forwarded-Port read without the helpers, plain paths kept as
they are. Whatever the headers, the environ (or the error) is the same."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi.aws_lambda import http
from cloudevents_wsgi.aws_lambda.http import (
    _HEADER_KEYS,
    _header_key,
    _host_name,
    _last_entry,
    _wsgi_path,
)


def _previous_environ(
    *,
    method: str,
    script_name: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str | None]],
    body: bytes,
    remote_addr: str | None,
    protocol: Any,
    default_scheme: str,
    domain: Any,
) -> dict[str, Any]:
    """http.environ as it was before the fast paths (a905f25)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": _wsgi_path(script_name),
        "PATH_INFO": _wsgi_path(path),
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_PROTOCOL": protocol if isinstance(protocol, str) and protocol else "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    known = _HEADER_KEYS.get
    repeated: dict[str, list[str]] = {}
    for name, value in headers:
        key = known(name)
        if key is None:
            key = _header_key(name)
        if not key or value is None:
            continue
        if type(value) is not str:
            raise TypeError(f"header {name!r} is not a string")
        if key not in environ or key == "CONTENT_TYPE":
            environ[key] = value
        elif key in repeated:
            repeated[key].append(value)
        else:
            repeated[key] = [environ[key], value]
    for key, values in repeated.items():
        environ[key] = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    if remote_addr:
        environ["REMOTE_ADDR"] = remote_addr
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    scheme = proto if proto == "https" else _last_entry(proto).lower()
    environ["wsgi.url_scheme"] = scheme if scheme in ("http", "https") else default_scheme
    host = _last_entry(environ.get("HTTP_HOST"))
    if not host and isinstance(domain, str):
        host = domain
    environ["SERVER_NAME"] = _host_name(host) or "localhost"
    port = _last_entry(environ.get("HTTP_X_FORWARDED_PORT"))
    # The one intended difference since: ASCII digits only ("²".isdigit() is true).
    if not (port.isascii() and port.isdigit()):
        port = "443" if environ["wsgi.url_scheme"] == "https" else "80"
    environ["SERVER_PORT"] = port
    return environ


def _outcome(build: Any, **arguments: Any) -> Any:
    try:
        environ = build(**arguments)
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    environ.pop("wsgi.errors")
    return ("environ", environ.pop("wsgi.input").read(), environ)


NAMES = st.sampled_from(
    [
        "Host",
        "host",
        "HOST",
        "X-Forwarded-Port",
        "x-forwarded-port",
        "X-Forwarded-Proto",
        "x-forwarded-proto",
        "Content-Type",
        "content-type",
        "Cookie",
        "cookie",
        "Content-Length",
        "X_Forwarded_For",
        "X-Custom",
        "",
    ]
) | st.text(max_size=8)
VALUES = (
    st.sampled_from(
        [
            "example.com",
            " example.com ",
            "example.com:8443",
            "example.com,other.com",
            "[::1]:443",
            "[::1]",
            "a[b",
            "a b",
            "",
            " ",
            "\u3000",
            "443",
            " 443",
            "443 ",
            "443,80",
            "80, 443",
            "abc",
            "\u00b2",
            "\u0664\u0664\u0663",
            "https",
            "http, https",
            "HTTPS",
        ]
    )
    | st.text(max_size=12)
    | st.sampled_from([None, 5, b"x", ["a"]])
)
PATHS = st.sampled_from(["/", "", "/a%20b", "/é", "/%", "/%zz", "/a+b"]) | st.text(max_size=8)


_PLAIN: dict[str, Any] = {"path": "/", "script_name": "", "domain": None}


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(NAMES, VALUES), max_size=8),
    path=PATHS,
    script_name=st.sampled_from(["", "/prod", "/a%20b"]),
    domain=st.sampled_from([None, "api.example.com", "", 5, "[::1]:443"]),
    scheme=st.sampled_from(["https", "http"]),
)
@example(headers=[("Host", "h"), ("host", "i")], **_PLAIN, scheme="https")
@example(headers=[("host", "[::1]:443")], **_PLAIN, scheme="https")
@example(headers=[("X-Forwarded-Port", " 443")], **_PLAIN, scheme="http")
@example(headers=[("X-Forwarded-Port", "443,80")], **_PLAIN, scheme="http")
@example(headers=[("X-Forwarded-Port", "\u00b2")], **_PLAIN, scheme="http")
@example(headers=[("Host", 5)], **_PLAIN, scheme="https")
def test_environ_is_what_it_was(
    headers: list[tuple[str, Any]], path: str, script_name: str, domain: Any, scheme: str
) -> None:
    arguments = {
        "method": "post",
        "script_name": script_name,
        "path": path,
        "query": "a=1",
        "headers": headers,
        "body": b"{}",
        "remote_addr": "1.2.3.4",
        "protocol": "HTTP/1.1",
        "default_scheme": scheme,
        "domain": domain,
    }
    assert _outcome(http.environ, **arguments) == _outcome(_previous_environ, **arguments)


def test_a_forwarded_port_of_other_digits_is_not_the_port() -> None:
    # "²" and "٣" are digits to str.isdigit(), not a port.
    for value, scheme, port in (
        ("\u00b2", "https", "443"),
        ("8\u0663", "http", "80"),
        ("8080", "http", "8080"),
    ):
        environ = http.environ(
            method="GET",
            script_name="",
            path="/",
            query="",
            headers=[("X-Forwarded-Proto", scheme), ("X-Forwarded-Port", value)],
            body=b"",
            remote_addr=None,
            protocol="HTTP/1.1",
            default_scheme="https",
            domain=None,
        )
        assert environ["SERVER_PORT"] == port, value
