"""Issue 13, seventh round: what the Lambda shim's import and first events
load, in fresh interpreters.

- the receiver (CloudEvents over HTTP) is imported by the first CloudEvents
  request, not by the package: an S3 or API Gateway function never loads it;
- ``cloudevents_wsgi.from_http`` is still the receiver's, on first use;
- the first SQS, SNS or stream batch imports only its own adapter (and the
  one of an envelope its body holds);
- the packages' lazy names are typed for type checkers, misspellings refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cloudevents_wsgi

from .conftest import mypy_strict

# Runs the handler on the samples named in argv, then prints the package's
# modules loaded at each step as JSON.
_STEPS = """
import json, sys
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.cli import load_sample

def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

def ours():
    return sorted(m for m in sys.modules if m.startswith("cloudevents_wsgi."))

handler = make_lambda_handler(app)
steps = [("import", ours())]
for name in sys.argv[1:]:
    if name == "cloudevent":
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": "/events",
            "rawQueryString": "", "headers": {"content-type": "application/cloudevents+json"},
            "requestContext": {"http": {"method": "POST", "path": "/events"},
                               "domainName": "api.example.com", "stage": "$default"},
            "body": json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}),
            "isBase64Encoded": False,
        }
    elif name == "direct":  # a direct invoke: a JSON object no adapter recognises
        event = {"orderId": "o-1", "total": 12.5}
    elif name == "sqs-holding-s3":  # an S3 notification sent to a queue
        event = load_sample("sqs-batch")
        event["Records"] = event["Records"][:1]
        event["Records"][0]["body"] = json.dumps(load_sample("s3-object-created"))
    elif name in ("sns", "sns-holding-s3"):  # a topic's message, to Lambda
        message = json.dumps(load_sample("s3-object-created")) if name != "sns" else "hello"
        event = {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:books:1a2b",
            "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:books",
                    "Subject": None, "Message": message,
                    "Timestamp": "2024-05-01T10:00:00.000Z", "MessageAttributes": {}}}]}
    else:
        event = load_sample(name)
    answer = handler(event, None)
    status = answer.get("statusCode", answer) if isinstance(answer, dict) else answer
    steps.append((name, ours(), status))
print(json.dumps(steps))
"""


def _steps(*samples: str) -> list[list[object]]:
    out = subprocess.run(
        [sys.executable, "-c", _STEPS, *samples], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


RECEIVER = "cloudevents_wsgi.receiver"


def test_the_receiver_is_imported_by_the_first_cloudevent_not_before() -> None:
    steps = _steps("s3-object-created", "apigw-v2-get-books", "cloudevent")
    names = [step[0] for step in steps]
    assert names == ["import", "s3-object-created", "apigw-v2-get-books", "cloudevent"]
    loaded = {step[0]: step[1] for step in steps}
    assert RECEIVER not in loaded["import"]
    assert RECEIVER not in loaded["s3-object-created"]
    assert RECEIVER not in loaded["apigw-v2-get-books"]
    assert RECEIVER in loaded["cloudevent"]
    assert steps[-1][2] == 200  # the CloudEvent was received and answered


def test_a_cloudevent_first_is_received_as_later_ones() -> None:
    steps = _steps("cloudevent", "cloudevent")
    assert [step[2] for step in steps[1:]] == [200, 200]


def test_from_http_is_the_receivers_on_first_use() -> None:
    from cloudevents_wsgi import receiver

    assert cloudevents_wsgi.from_http is receiver.from_http
    assert "from_http" in dir(cloudevents_wsgi)
    with pytest.raises(AttributeError, match="no_such_name"):
        cloudevents_wsgi.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_from_http_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        "from cloudevents_wsgi import *\n"
        "from cloudevents_wsgi import Message\n"
        "[event] = from_http(Message(headers={'ce-specversion': '1.0', 'ce-id': '1',\n"
        "    'ce-source': '/s', 'ce-type': 't'}))\n"
        "print(event.get_id(), from_http.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", RECEIVER]


ADAPTERS = "cloudevents_wsgi.adapters."


def _adapters(modules: object) -> list[str]:
    assert isinstance(modules, list)
    return sorted(m[len(ADAPTERS) :] for m in modules if m.startswith(ADAPTERS))


# Each: the event, the adapter modules loaded once the shim has handled it, and
# what the handler answered.
FIRST_EVENTS = [
    ("sqs-batch", ["_aws", "aws_sqs", "base"], {"batchItemFailures": []}),
    ("sqs-holding-s3", ["_aws", "aws_s3", "aws_sqs", "base"], {"batchItemFailures": []}),
    ("sns", ["_aws", "aws_sns", "base"], 200),
    ("sns-holding-s3", ["_aws", "aws_s3", "aws_sns", "base"], 200),
    ("s3-object-created", ["_aws", "aws_s3", "base"], 200),
]


@pytest.mark.parametrize(("first", "adapters", "answered"), FIRST_EVENTS)
def test_the_first_event_of_a_kind_imports_only_the_adapters_it_needs(
    first: str, adapters: list[str], answered: object
) -> None:
    steps = _steps(first)
    assert _adapters(steps[0][1]) == ["base"]  # the import: none
    assert _adapters(steps[1][1]) == adapters
    # Handled: no record failed (an SQS batch), else the app's 200 answer.
    assert steps[1][2] == answered


def test_an_s3_notification_in_a_queue_is_converted_once_its_adapter_is_loaded() -> None:
    """The SQS adapter finds the S3 one through detect.nested_adapter: the
    event S3's own notification gives, for the queue's record."""
    from cloudevents_wsgi import Message
    from cloudevents_wsgi.adapters import aws_s3, aws_sqs
    from cloudevents_wsgi.cli import load_sample

    notification = load_sample("s3-object-created")
    queued = load_sample("sqs-batch")
    queued["Records"] = queued["Records"][:1]
    queued["Records"][0]["body"] = json.dumps(notification)
    [via_queue] = aws_sqs.ADAPTER.convert(queued, Message())
    [direct] = aws_s3.ADAPTER.convert(notification, Message())
    assert via_queue.event.get_attributes() == direct.event.get_attributes()
    assert via_queue.native == direct.native
    assert via_queue.record_id == queued["Records"][0]["messageId"]


MISSPELLED = """
from cloudevents_wsgi import from_http, from_htp
from cloudevents_wsgi.aws_lambda import EventFailedError, EventFailedEror
reveal_type(from_http)
reveal_type(EventFailedError)
"""


def test_type_checkers_see_the_lazy_names_and_refuse_misspelled_ones(tmp_path: Path) -> None:
    """The packages' PEP 562 __getattr__ is hidden from type checkers (which
    would type any missing name as Any): the lazy names are typed from their
    modules, and a misspelled import is an error."""
    lines = mypy_strict(tmp_path, MISSPELLED)
    errors = [line for line in lines if ": error:" in line]
    assert len(errors) == 2, lines
    assert '"cloudevents_wsgi" has no attribute "from_htp"' in errors[0]
    assert '"cloudevents_wsgi.aws_lambda" has no attribute "EventFailedEror"' in errors[1]
    revealed = [line for line in lines if "Revealed type" in line]
    assert "list[cloudevents_wsgi.event.CloudEvent]" in revealed[0]
    assert "cloudevents_wsgi.aws_lambda.errors.EventFailedError" in revealed[1]


INVOCATION = "cloudevents_wsgi.aws_lambda.invocation"


def test_the_invocation_module_is_imported_by_the_first_direct_invoke_only() -> None:
    steps = _steps("s3-object-created", "sqs-batch", "direct")
    loaded = {step[0]: step[1] for step in steps}
    assert INVOCATION not in loaded["s3-object-created"]
    assert INVOCATION not in loaded["sqs-batch"]
    assert INVOCATION in loaded["direct"]
    assert steps[-1][2] == "ok"  # the app's answer is the invocation's result
