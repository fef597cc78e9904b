"""Attacks on the speed changes of issue 13 (round 4): the diagnostics module
imported by the first refusal or failed record, base64 imported by the first
base64 body, the status-line table and ``Response.code`` through every HTTP
trigger, and the string-method parsers at n and 4n. Each test was written
failing first where it found a fault; the others pin what held. Round 3
(tests/test_attacks_speed_round3.py) covers str subclasses, the status table
under threads and the trigger order; not repeated here."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi import _wsgi, spec
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi._wsgi import Response, run
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.aws_lambda.errors import EventFailedError

from .builders import alb_event, http_api_event, rest_event
from .test_aws_lambda_http_more import LATTICE_V1, LATTICE_V2, websocket_event
from .test_linear_time import FRESH, assert_linear

_ROOT = str(Path(__file__).resolve().parent.parent)


def _fresh(code: str, *args: str) -> list[str]:
    """Run ``code`` in a new interpreter (nothing of the package imported yet);
    its stdout lines, after checking it exited 0."""
    env = {**os.environ, "PYTHONPATH": _ROOT}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


# -- the diagnostics module, imported by the first refusal ---------------------------

# Both scripts below: diagnostics not yet imported, the package's log lines
# collected, and an app that answers at once.
_SEEN_LINES = """
assert "cloudevents_wsgi.diagnostics" not in sys.modules
lines = []
class Seen(logging.Handler):
    def emit(self, record):
        lines.append([record.name, record.getMessage()])
logging.getLogger("cloudevents_wsgi").addHandler(Seen())
def app(environ, start_response):
    start_response("200 OK", [])
    return [b""]
"""

_MIDDLEWARE_FIRST_REFUSAL = (
    """
import io, json, logging, sys, threading
from cloudevents_wsgi import CloudEventsMiddleware
"""
    + _SEEN_LINES
    + """middleware = CloudEventsMiddleware(app, max_body_size=200)
def post(body, content_type):
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "SERVER_NAME": "x", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=dict(headers))
    body = b"".join(middleware(environ, start_response))
    return [seen["status"], seen["headers"].get("Content-Type"), json.loads(body)["field"]]
kind = sys.argv[1]
bad_time = json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                       "time": "SECRET-TIME", "data": "SECRET-DATA"}).encode()
if kind == "400":
    answers = [post(bad_time, "application/cloudevents+json")]
elif kind == "413":
    answers = [post(b'{"data": "SECRET-DATA' + b"x" * 300 + b'"}', "application/cloudevents+json")]
elif kind == "415":
    answers = [post(b"<SECRET-DATA/>", "application/cloudevents+xml")]
else:  # eight threads at once, each with the first refusal of its own
    barrier = threading.Barrier(8)
    answers = []
    def work():
        barrier.wait()
        answers.append(post(bad_time, "application/cloudevents+json"))
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(json.dumps(answers))
print(json.dumps(lines))
"""
)


@pytest.mark.parametrize(
    ("kind", "status", "field", "count"),
    [
        ("400", "400 Bad Request", "time", 1),
        ("413", "413 Content Too Large", "body", 1),
        ("415", "415 Unsupported Media Type", "content-type", 1),
        ("threads", "400 Bad Request", "time", 8),
    ],
)
def test_the_first_refusal_of_a_process_is_answered_and_logged(
    kind: str, status: str, field: str, count: int
) -> None:
    answers_line, lines_line = _fresh(_MIDDLEWARE_FIRST_REFUSAL, kind)
    answers, lines = json.loads(answers_line), json.loads(lines_line)
    assert answers == [[status, "application/problem+json", field]] * count
    assert len(lines) == count
    for name, message in lines:
        assert name == "cloudevents_wsgi.refused"
        assert f"'{field}':" in message and f"({status[:3]})" in message
        assert "SECRET" not in message


_LAMBDA_FIRST_FAILURE = (
    """
import json, logging, sys
sys.path.insert(0, sys.argv[2])
from tests import builders
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.aws_lambda.errors import EventFailedError
"""
    + _SEEN_LINES
    + """handler = make_lambda_handler(app)
bad = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "time": "SECRET-TIME"}
kind = sys.argv[1]
if kind == "sqs":
    event = builders.sqs_batch(bad, {"n": 1})
elif kind == "kinesis":
    event = {"Records": [builders.kinesis_record(sequence_number=n) for n in ("1", "2")]}
    event["Records"][0]["kinesis"]["data"] = "!SECRET-DATA"
elif kind == "kafka":
    first = builders.kafka_record()
    first["value"] = "!SECRET-DATA"
    event = builders.kafka_event(first, builders.kafka_record(offset=16))
else:
    event = bad
try:
    answer = handler(event, None)
except EventFailedError as error:
    answer = ["EventFailedError", error.status]
print(json.dumps(answer))
print(json.dumps(lines))
"""
)


@pytest.mark.parametrize(
    ("kind", "answer", "logger", "field"),
    [
        ("sqs", {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}, "lambda", "body.time"),
        ("kinesis", {"batchItemFailures": [{"itemIdentifier": "1"}]}, "lambda", "kinesis.data"),
        (
            "kafka",
            {"batchItemFailures": [{"itemIdentifier": {"partition": "mytopic-0", "offset": 15}}]},
            "lambda",
            "[0].value",
        ),
        ("invoke", ["EventFailedError", 400], "refused", "'time'"),
    ],
)
def test_the_first_failed_record_of_a_process_is_reported_and_logged(
    kind: str, answer: Any, logger: str, field: str
) -> None:
    answer_line, lines_line = _fresh(_LAMBDA_FIRST_FAILURE, kind, _ROOT)
    assert json.loads(answer_line) == answer
    lines = json.loads(lines_line)
    assert lines, "nothing logged"
    name, message = lines[0]
    assert name == f"cloudevents_wsgi.{logger}"
    assert field in message
    assert all("SECRET" not in message for _, message in lines)


def test_package_loggers_exist_once_imported_as_logging_configuration_finds_them() -> None:
    # logging.config.dictConfig (disable_existing_loggers=True, its default)
    # and fileConfig act on the loggers that exist when they run. The refusal
    # and failed-record loggers were made by importing the package; made at
    # the first refusal instead, they escaped a configuration that silenced
    # every other logger of the package, or not, by whether a refusal had
    # come before it.
    code = """
import io, logging, logging.config, sys
import cloudevents_wsgi.aws_lambda
from cloudevents_wsgi import CloudEventsMiddleware
assert "cloudevents_wsgi.diagnostics" not in sys.modules
names = ("cloudevents_wsgi.refused", "cloudevents_wsgi.lambda")
print(all(name in logging.Logger.manager.loggerDict for name in names))
logging.config.dictConfig({"version": 1, "handlers": {"out": {
    "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["out"], "level": "INFO"}})
def app(environ, start_response):
    start_response("200 OK", [])
    return [b""]
environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/",
           "CONTENT_TYPE": "application/cloudevents+json", "CONTENT_LENGTH": "2",
           "wsgi.input": io.BytesIO(b"{}"), "SERVER_NAME": "x", "SERVER_PORT": "80",
           "wsgi.url_scheme": "http"}
b"".join(CloudEventsMiddleware(app)(environ, lambda status, headers, exc_info=None: None))
print([logging.getLogger(name).disabled for name in ("cloudevents_wsgi", *names)])
"""
    assert _fresh(code) == ["True", "[True, True, True]"]


def test_the_loggers_made_at_import_are_the_diagnostics_loggers() -> None:
    import logging

    from cloudevents_wsgi import diagnostics, middleware

    made = {"cloudevents_wsgi.refused", "cloudevents_wsgi.lambda"}
    assert {diagnostics.REFUSED_LOGGER, diagnostics.LAMBDA_LOGGER} == made
    source = Path(middleware.__file__).read_text()
    assert all(f'logging.getLogger("{name}")' in source for name in made)
    assert diagnostics._refused is logging.getLogger(diagnostics.REFUSED_LOGGER)


# -- base64 bodies, imported by the first one ----------------------------------------

_BASE64_EVERY_TRIGGER = """
import json, sys
from cloudevents_wsgi.aws_lambda import make_lambda_handler
assert "base64" not in sys.modules and "binascii" not in sys.modules
seen = []
def app(environ, start_response):
    seen.append(environ["wsgi.input"].read().decode("latin-1"))
    headers = [("Content-Type", environ.get("HTTP_X_TYPE", "application/octet-stream"))]
    if "HTTP_X_ENCODING" in environ:
        headers.append(("Content-Encoding", environ["HTTP_X_ENCODING"]))
    start_response("200 OK", headers)
    return [environ.get("HTTP_X_ANSWER", "\\xff\\x00").encode("latin-1")]
handler = make_lambda_handler(app)
results = []
for events in json.loads(sys.argv[1]):
    answers = {}
    for name, event in events.items():
        seen.clear()
        answer = handler(event, None)
        answers[name] = [list(seen), answer["statusCode"], answer.get("isBase64Encoded"),
                         answer["body"]]
    results.append(answers)
print(json.dumps(results))
print("base64" in sys.modules)
"""


def _events_with_body(body: str, flag: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The same request to every HTTP trigger, its body flagged ``flag``."""
    multi = {name: [value] for name, value in headers.items()}
    v1 = copy.deepcopy(LATTICE_V1)
    v1.update(body=body, is_base64_encoded=flag, headers=dict(headers))
    v2 = copy.deepcopy(LATTICE_V2)
    v2.update(body=body, method="POST", headers=multi, isBase64Encoded=flag)
    websocket = websocket_event("$default", "MESSAGE", body)
    websocket["headers"] = dict(headers)
    every: dict[str, Any] = {
        "v2": http_api_event(method="POST", body=body, headers=dict(headers)),
        "url": http_api_event(
            method="POST", body=body, headers=dict(headers), domain="a.lambda-url.us-east-1.on.aws"
        ),
        "rest": rest_event(method="POST", body=body, headers=multi),
        "alb": alb_event(method="POST", body=body, headers=dict(headers)),
        "alb-multi": alb_event(method="POST", body=body, multi_headers=multi),
        "websocket": websocket,
    }
    for event in every.values():
        event["isBase64Encoded"] = flag
    return {**every, "lattice1": v1, "lattice2": v2}


# (request body, isBase64Encoded, headers), and what every trigger gives:
# (the body the app read, the answer's isBase64Encoded and body).
_BASE64_CASES = [
    (("aGk=", True, {}), ("hi", True, "/wA=")),
    (("aGk=", False, {}), ("aGk=", True, "/wA=")),
    (("aGk=", None, {}), ("aGk=", True, "/wA=")),
    (("aGk=", "true", {}), ("hi", True, "/wA=")),
    (("not base64!", True, {}), ("not base64!", True, "/wA=")),
    (("aGk", True, {}), ("aGk", True, "/wA=")),
    (("", True, {}), ("", True, "/wA=")),
    (("/wA=", True, {"x-type": "text/plain; charset=utf-8"}), ("\xff\x00", True, "/wA=")),
    (("x", False, {"x-type": "text/plain", "x-answer": "h\xe9"}), ("x", True, "aOk=")),
    (("x", False, {"x-type": "text/plain", "x-answer": "ok"}), ("x", False, "ok")),
    (("x", False, {"x-type": "application/json", "x-answer": "{}"}), ("x", False, "{}")),
    (
        ("x", False, {"x-type": "text/plain", "x-answer": "ok", "x-encoding": "gzip"}),
        ("x", True, "b2s="),
    ),
    (
        ("x", False, {"x-type": "text/plain", "x-answer": "ok", "x-encoding": "identity"}),
        ("x", False, "ok"),
    ),
]


def test_base64_bodies_through_every_http_trigger_in_a_fresh_process() -> None:
    events = json.dumps([_events_with_body(*case) for case, _ in _BASE64_CASES])
    results_line, imported = _fresh(_BASE64_EVERY_TRIGGER, events)
    assert imported == "True"
    for (case, (read, is_base64, body)), answers in zip(
        _BASE64_CASES, json.loads(results_line), strict=True
    ):
        assert answers == {name: [[read], 200, is_base64, body] for name in answers}, case


def test_text_answers_to_text_bodies_never_import_base64() -> None:
    code = """
import json, sys
from cloudevents_wsgi.aws_lambda import make_lambda_handler
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [environ["wsgi.input"].read() or b"{}"]
handler = make_lambda_handler(app)
for event in json.loads(sys.argv[1]).values():
    answer = handler(event, None)
    assert answer["isBase64Encoded"] is False, answer
    assert answer["body"] == "[1]", answer
print("base64" in sys.modules, "binascii" in sys.modules)
"""
    events = _events_with_body("[1]", False, {"content-type": "application/json"})
    assert _fresh(code, json.dumps(events)) == ["False False"]


# -- status lines through every HTTP trigger -----------------------------------------


def _answering(status: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def _every_http_event() -> dict[str, dict[str, Any]]:
    return {
        "v2": http_api_event(method="POST"),
        "url": http_api_event(method="POST", domain="abc.lambda-url.us-east-1.on.aws"),
        "rest": rest_event(method="POST"),
        "alb": alb_event(method="POST"),
        "alb-multi": alb_event(method="POST", multi_headers={"host": ["lb.example.org"]}),
        "lattice1": copy.deepcopy(LATTICE_V1),
        "lattice2": copy.deepcopy(LATTICE_V2),
        "websocket": websocket_event("$default", "MESSAGE", "x"),
    }


_NEAR_MISSES = [
    "2000",
    "099 x",
    "600 Too Far",
    "200\tOK",
    "200OK",
    " 200 OK",
    "200 OK\r\n",
    "200 OK\r\nSet-Cookie: a=b",
    "200 OK\n",
    "200 OK\x00",
    "200 OK\x7f",
    "200 OK\x1b[31m",
    "\u0662\u0660\u0660 OK",  # Arabic-Indic digits: isdigit() but not [0-9]
    "\uff12\uff10\uff10 OK",  # fullwidth digits
    "20",
    "",
]


@pytest.mark.parametrize("status", _NEAR_MISSES)
def test_a_near_miss_status_line_is_a_500_on_every_http_trigger(status: str) -> None:
    handler = make_lambda_handler(_answering(status))
    for name, event in _every_http_event().items():
        answer = handler(event, None)
        assert answer["statusCode"] == 500, name
        if "statusDescription" in answer:
            assert answer["statusDescription"] == "500 Internal Server Error", name
    assert status not in _wsgi._SEEN_STATUS_LINES


@pytest.mark.parametrize(
    ("status", "code", "description"),
    [
        ("200", 200, "200 OK"),
        ("200 ", 200, "200 OK"),
        ("404 \t", 404, "404 Not Found"),
        ("200 \tOK\t", 200, "200 OK"),
        ("200 OK\x85", 200, "200 OK"),
        ("200 \xe9t\xe9", 200, "200 \xe9t\xe9"),
        ("299 Custom", 299, "299 Custom"),
        ("201 " + "x" * 60, 201, "201 " + "x" * 60),  # 64 characters: remembered
        ("201 " + "y" * 61, 201, "201 " + "y" * 61),  # 65: checked every time
    ],
)
def test_a_status_line_is_answered_alike_on_every_http_trigger(
    status: str, code: int, description: str
) -> None:
    handler = make_lambda_handler(_answering(status))
    for _ in range(2):  # checked, then remembered (or not)
        for name, event in _every_http_event().items():
            answer = handler(event, None)
            assert answer["statusCode"] == code, name
            if name.startswith(("alb", "lattice")):
                assert answer["statusDescription"] == description, name
            else:
                assert "statusDescription" not in answer


def test_a_bad_line_after_the_table_is_full_is_still_refused() -> None:
    for index in range(_wsgi._SEEN_MAX + 1):
        assert run(_answering(f"200 line {index}"), {}).code == 200
    assert len(_wsgi._SEEN_STATUS_LINES) <= _wsgi._SEEN_MAX
    for status in ("200 line 0\r\n", "200 line 65\n", "700 line 1"):
        with pytest.raises(ValueError, match="not a WSGI status line"):
            run(_answering(status), {})


def test_exc_info_replaces_status_and_code_before_the_body() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        try:
            raise RuntimeError("late")
        except RuntimeError:
            start_response("503 Service Unavailable", [("Retry-After", "1")], sys.exc_info())
        return [b"x"]

    response = run(app, {})
    assert (response.status, response.code, response.headers) == (
        "503 Service Unavailable",
        503,
        [("Retry-After", "1")],
    )


def test_exc_info_after_the_body_re_raises_and_keeps_the_code() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        write = start_response("201 Created", [])
        write(b"partial")
        try:
            raise RuntimeError("late")
        except RuntimeError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b"never"]

    with pytest.raises(RuntimeError, match="late"):
        run(app, {})


def test_a_bad_status_with_exc_info_keeps_the_first_status_and_code() -> None:
    response = Response()
    response.start_response("202 Accepted", [])
    try:
        raise RuntimeError("late")
    except RuntimeError:
        with pytest.raises(ValueError, match="not a WSGI status line"):
            response.start_response("500 X\r\nY: z", [], sys.exc_info())
    assert (response.status, response.code) == ("202 Accepted", 202)


def test_response_built_from_a_problem_answer_has_its_code() -> None:
    from cloudevents_wsgi.dispatch import problem_parts
    from cloudevents_wsgi.errors import InvalidEventError, PayloadTooLargeError

    errors = ((InvalidEventError("time", "bad"), 400), (PayloadTooLargeError("body", "big"), 413))
    for error, code in errors:
        response = Response(*problem_parts(error))
        assert response.code == code
        assert response.status.startswith(str(code))
    assert Response().code == 0


# -- n and 4n --------------------------------------------------------------------------


def _media_type(value: str) -> object:
    return spec._parse_media_type("datacontenttype", value)


@pytest.mark.parametrize(
    ("func", "make"),
    [
        pytest.param(_media_type, lambda n: f"a/b{next(FRESH)}" + "; x=y" * n, id="params"),
        pytest.param(_media_type, lambda n: f"a/b{next(FRESH)}" + ";" * n, id="empty-params"),
        pytest.param(
            _media_type, lambda n: f'a/b{next(FRESH)}; x="' + ";" * n + '"', id="quoted-semicolons"
        ),
        pytest.param(
            _media_type, lambda n: f"a/b{next(FRESH)}" + '; x="a;b"' * n, id="many-quoted"
        ),
        pytest.param(
            _media_type, lambda n: f"a/b{next(FRESH)}" + '; x="' * n, id="unclosed-quotes"
        ),
        pytest.param(
            _media_type, lambda n: f"a/b{next(FRESH)}; x=y" + " " * n + "z", id="bad-tail"
        ),
        pytest.param(
            _media_type, lambda n: f"a/b{next(FRESH)}" + " \t; \t" * n + "x=y", id="blank-params"
        ),
        pytest.param(
            spec.timestamp_text,
            lambda n: f"2020-01-01T00:00:{next(FRESH) % 60:02}." + "1" * n + "Z",
            id="timestamp-text-fraction",
        ),
        pytest.param(
            spec.timestamp_text,
            lambda n: f"2020-01-01T00:00:{next(FRESH) % 60:02}." + "0" * n + "+23:59",
            id="timestamp-text-zero-fraction",
        ),
        pytest.param(
            _wsgi._is_status_line, lambda n: "200 " + "\xe9" * n + "\x00", id="status-phrase"
        ),
        pytest.param(
            keys.request_headers,
            lambda n: {f"HTTP_X_{next(FRESH)}_{i}": "v" for i in range(n)},
            id="request-headers-many-keys",
        ),
    ],
)
def test_the_string_method_paths_are_linear(
    func: Callable[[Any], object], make: Callable[[int], Any]
) -> None:
    assert_linear(func, make)


def test_an_event_with_many_top_level_keys_is_linear() -> None:
    handler = make_lambda_handler(_answering("200 OK"))

    def handle(event: dict[str, Any]) -> object:
        try:
            return handler(event, None)
        except EventFailedError:  # too large at 4n: refused (413) after the table
            return None

    assert_linear(handle, lambda n: {f"k{next(FRESH)}_{i}": i for i in range(n)}, n=200)


def test_firehose_records_first_in_a_fresh_process() -> None:
    code = """
import json, sys
from cloudevents_wsgi.aws_lambda import make_lambda_handler
assert "base64" not in sys.modules
STATUS = {"r1": "200", "r2": "2000", "r3": "204 ", "r6": "200\\tOK"}
def app(environ, start_response):
    event = environ["cloudevent"]
    start_response(STATUS.get(event.get_id(), "200 OK"), [("Content-Type", "text/plain")])
    data = event.get_data()
    return [data if isinstance(data, bytes) else json.dumps(data).encode()]
event = {"invocationId": "i", "deliveryStreamArn": "arn:aws:firehose:us-east-1:1:deliverystream/s",
         "region": "us-east-1", "records": [
             {"recordId": "r1", "approximateArrivalTimestamp": 1495072949453,
              "data": "eyJhIjogMX0="},
             {"recordId": "r2", "data": "eyJhIjogMX0="}, {"recordId": "r3", "data": "eyJhIjogMX0="},
             {"recordId": "r4", "data": "/wD+"}, {"recordId": "r5", "data": "not base64!"},
             {"recordId": "r6", "data": "eyJhIjogMX0="}, {"recordId": "r7", "data": 5},
             {"recordId": "r8", "data": "\\u00e9"}, {"recordId": "r9", "data": ""}]}
answer = make_lambda_handler(app)(event, None)
print(json.dumps([[r["recordId"], r["result"], r["data"]] for r in answer["records"]]))
"""
    (line,) = _fresh(code)
    assert json.loads(line) == [
        ["r1", "Ok", "eyJhIjogMX0="],
        ["r2", "ProcessingFailed", "eyJhIjogMX0="],
        ["r3", "Dropped", "eyJhIjogMX0="],
        ["r4", "Ok", "/wD+"],
        ["r5", "ProcessingFailed", "not base64!"],
        ["r6", "ProcessingFailed", "eyJhIjogMX0="],
        ["r7", "ProcessingFailed", 5],
        ["r8", "ProcessingFailed", "\u00e9"],
        ["r9", "Dropped", ""],
    ]


# -- what decides trust, after request_headers' skip -------------------------------


def test_header_lookalikes_of_the_shims_keys_are_headers_not_trust() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_CLOUDEVENTS_WSGI_LAMBDA_DELIVERY": "x",
        "HTTP_CLOUDEVENTS_WSGI_CONTENT_MODE": "binary",
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_AEG_EVENT_TYPE": "Notification",
    }
    for _ in range(2):  # first scanned, then remembered
        headers = keys.request_headers(environ)
        assert headers == {
            "cloudevents-wsgi-lambda-delivery": "x",
            "cloudevents-wsgi-content-mode": "binary",
            "x-amz-sns-message-type": "Notification",
            "aeg-event-type": "Notification",
        }
        assert keys.LAMBDA_DELIVERY not in environ and keys.CONTENT_MODE not in environ
    # every key known not to be a header: skipped; a header added later is seen
    plain = {"REQUEST_METHOD": "POST", "wsgi.input": None, keys.LAMBDA_DELIVERY: None}
    assert keys.request_headers(plain) == keys.request_headers(plain) == {}
    plain["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = "SubscriptionConfirmation"
    assert keys.request_headers(plain) == {"x-amz-sns-message-type": "SubscriptionConfirmation"}
