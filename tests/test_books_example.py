"""The books example (examples/books): under a real gunicorn, and through the
Lambda shim."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudevents_wsgi.aws_lambda import EventFailedError
from cloudevents_wsgi.cli import LocalContext, load_sample

from . import builders
from .servers import EXAMPLES, Server, request

pytest.importorskip("django")
pytest.importorskip("gunicorn")

CREATED = "com.amazonaws.s3.ObjectCreated:Put"
REMOVED = "com.amazonaws.s3.ObjectRemoved:Delete"


def s3_record(key: str, event_name: str = "ObjectCreated:Put", size: int | None = 100) -> Any:
    """An S3 notification record, as the data of an event."""
    record = copy.deepcopy(load_sample("s3-object-created")["Records"][0])
    record["eventName"] = event_name
    record["s3"]["object"]["key"] = key
    if size is None:
        del record["s3"]["object"]["size"]
    else:
        record["s3"]["object"]["size"] = size
    return record


def binary(event_type: str, key: str, data: Any, event_id: str = "e-1") -> dict[str, Any]:
    return {
        "method": "POST",
        "body": json.dumps(data).encode(),
        "headers": {
            "ce-specversion": "1.0",
            "ce-id": event_id,
            "ce-source": "aws:s3.us-east-1.example-books",
            "ce-type": event_type,
            "ce-subject": key,
            "Content-Type": "application/json",
        },
    }


def structured(
    event_type: str, key: str, data: Any, event_id: str = "e-2", **attributes: str
) -> dict[str, Any]:
    event = {
        **attributes,
        "specversion": "1.0",
        "id": event_id,
        "source": "aws:s3.us-east-1.example-books",
        "type": event_type,
        "subject": key,
        "datacontenttype": "application/json",
        "data": data,
    }
    return {
        "method": "POST",
        "body": json.dumps(event).encode(),
        "headers": {"Content-Type": "application/cloudevents+json"},
    }


# -- under gunicorn ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("books-gunicorn")
    server = Server(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "books.wsgi"],
        cwd=EXAMPLES,
        env={"BOOKS_DATABASE": str(folder / "books.sqlite3")},
        log=folder / "gunicorn.log",
    )
    yield server
    server.stop()


def books(server: Server) -> list[dict[str, Any]]:
    status, _, body = request(server.url + "/books")
    assert status == 200
    return list(body["books"])


def test_the_database_is_created_on_first_start(server: Server) -> None:
    assert books(server) == []


def test_s3_events_in_binary_and_structured_mode_add_books(server: Server) -> None:
    status, headers, body = request(
        server.url + "/books/events",
        **binary(CREATED, "books/moby-dick.epub", s3_record("books/moby-dick.epub", size=1048576)),
    )
    assert status == 201, body
    assert headers["Content-Type"] == "application/json"
    assert {k: body[k] for k in ("key", "title", "size")} == {
        "key": "books/moby-dick.epub",
        "title": "Moby Dick",
        "size": 1048576,
    }
    status, _, body = request(
        server.url + "/books/events",
        **structured(
            "com.amazonaws.s3.ObjectCreated:CompleteMultipartUpload",
            "books/the_old-man and the sea.pdf",
            s3_record("books/the_old-man+and+the+sea.pdf", size=7),
        ),
    )
    assert status == 201, body
    listed = {book["key"]: (book["title"], book["size"]) for book in books(server)}
    assert listed["books/moby-dick.epub"] == ("Moby Dick", 1048576)
    assert listed["books/the_old-man and the sea.pdf"] == ("The Old Man And The Sea", 7)


def test_an_object_created_again_updates_its_book(server: Server) -> None:
    event = binary(CREATED, "books/walden.txt", s3_record("books/walden.txt", size=1))
    assert request(server.url + "/books/events", **event)[0] == 201
    event = binary(CREATED, "books/walden.txt", s3_record("books/walden.txt", size=2))
    status, _, body = request(server.url + "/books/events", **event)
    assert (status, body["size"]) == (200, 2)
    assert [b["size"] for b in books(server) if b["key"] == "books/walden.txt"] == [2]


def test_object_removed_deletes_the_book(server: Server) -> None:
    key = "books/to-remove.epub"
    assert request(server.url + "/books/events", **binary(CREATED, key, s3_record(key)))[0] == 201
    removed = s3_record(key, "ObjectRemoved:Delete", size=None)
    status, _, body = request(server.url + "/books/events", **binary(REMOVED, key, removed))
    assert (status, body) == (204, None)
    assert key not in [book["key"] for book in books(server)]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        pytest.param(
            {**binary(CREATED, "b/x.epub", {}), "headers": {"ce-specversion": "1.0"}},
            "id",
            id="missing-attributes",
        ),
        pytest.param(structured(CREATED, "b/x.epub", {}, time="lunchtime"), "time", id="bad-time"),
        pytest.param(binary("com.example.other", "b/x.epub", {}), "type", id="other-type"),
        pytest.param(binary(CREATED, "b/x.epub", {"s3": {}}), "data.s3.object.size", id="no-size"),
        pytest.param(
            {"method": "POST", "body": b"{}", "headers": {"Content-Type": "application/json"}},
            "cloudevent",
            id="not-an-event",
        ),
    ],
)
def test_invalid_events_are_400_problems(server: Server, message: Any, field: str) -> None:
    before = books(server)
    status, headers, body = request(server.url + "/books/events", **message)
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == 400
    assert body["field"] == field
    assert books(server) == before


def test_the_json_api_adds_and_deletes_books(server: Server) -> None:
    status, _, body = request(
        server.url + "/books",
        "POST",
        json.dumps({"key": "notes/small.txt", "size": 3}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201
    assert body["title"] == "Small"
    status, _, _ = request(server.url + f"/books/{body['id']}", "DELETE")
    assert status == 204
    status, _, problem = request(server.url + f"/books/{body['id']}", "DELETE")
    assert (status, problem["field"]) == (404, "id")
    status, _, problem = request(server.url + "/books", "POST", b"[1]")
    assert (status, problem["field"]) == (400, "body")


# -- through the Lambda shim, in this process ---------------------------------------


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    database = tmp_path_factory.mktemp("books-lambda") / "books.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOOKS_DATABASE", str(database))
        patch.setenv("DJANGO_SETTINGS_MODULE", "books.settings")
        patch.syspath_prepend(str(EXAMPLES))
        from books.lambda_handler import handler  # type: ignore[import-not-found]

        yield handler


def lambda_books(handler: Any) -> list[dict[str, Any]]:
    result = handler(load_sample("apigw-v2-get-books"), LocalContext())
    assert result["statusCode"] == 200
    return list(json.loads(result["body"])["books"])


def test_lambda_s3_notifications_reach_the_event_view(handler: Any) -> None:
    result = handler(load_sample("s3-object-created"), LocalContext())
    assert result["statusCode"] == 201
    assert [(b["key"], b["title"], b["size"]) for b in lambda_books(handler)] == [
        ("books/moby-dick.epub", "Moby Dick", 1048576)
    ]
    result = handler(load_sample("s3-object-removed"), LocalContext())
    assert result["statusCode"] == 204
    assert lambda_books(handler) == []


def test_lambda_other_events_fail_the_invocation(handler: Any) -> None:
    with pytest.raises(
        EventFailedError, match="type: is not an event type this endpoint accepts"
    ) as caught:
        handler(load_sample("eventbridge-scheduled"), LocalContext())
    assert caught.value.status == 400


# -- the SAM template ------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !GetAtt, !Sub...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def test_the_sam_template_runs_the_shim_for_the_api_and_the_bucket() -> None:
    path = EXAMPLES / "books" / "template.yaml"
    template = yaml.load(path.read_text(), Loader=CloudFormationLoader)
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    function = template["Resources"]["BooksFunction"]
    assert function["Type"] == "AWS::Serverless::Function"
    properties = function["Properties"]
    assert properties["Handler"] == "books.lambda_handler.handler"
    code = (path.parent / properties["CodeUri"]).resolve()
    assert (code / Path(*properties["Handler"].split(".")[:-1])).with_suffix(".py").is_file()
    assert (code / "requirements.txt").is_file()
    events = properties["Events"]
    assert events["Api"]["Type"] == "HttpApi"
    assert events["Uploads"]["Type"] == "S3"
    assert events["Uploads"]["Properties"]["Bucket"] == {"Ref": "BooksBucket"}
    assert events["Uploads"]["Properties"]["Events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert template["Resources"]["BooksBucket"]["Type"] == "AWS::S3::Bucket"
    # One stream source, with the setting the shim's partial batch response needs.
    sales = events["Sales"]
    assert sales["Type"] == "Kinesis"
    assert sales["Properties"]["Stream"] == {"Fn::GetAtt": ["SalesStream", "Arn"]}
    assert sales["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template["Resources"]["SalesStream"]["Type"] == "AWS::Kinesis::Stream"
    assert template["Outputs"]["FunctionArn"]["Value"] == {"Fn::GetAtt": ["BooksFunction", "Arn"]}


# -- a database error ---------------------------------------------------------------


def sqs_of_uploads(*keys: str) -> dict[str, Any]:
    """An SQS batch whose messages are S3 notifications (S3 -> SQS -> Lambda)."""
    return builders.sqs_batch(
        *({"Records": [s3_record(key)]} for key in keys),
        queue="uploads",
        region="us-east-1",
        sent="1714557600000",
    )


@pytest.fixture
def locked_for(handler: Any, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Keys for which the database refuses the write, as a locked SQLite does."""
    from books.models import Book  # type: ignore[import-not-found]
    from django.db import OperationalError

    keys: set[str] = set()
    original = Book.objects.update_or_create

    def update_or_create(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("key") in keys:
            raise OperationalError("database is locked")
        return original(*args, **kwargs)

    monkeypatch.setattr(Book.objects, "update_or_create", update_or_create)
    return keys


def test_database_error_fails_only_its_record_of_a_batch(
    handler: Any, locked_for: set[str]
) -> None:
    locked_for.add("books/b.epub")
    result = handler(sqs_of_uploads("books/a.epub", "books/b.epub", "books/c.epub"), LocalContext())
    # Lambda retries exactly the record whose write failed; the others are done.
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    keys = {b["key"] for b in lambda_books(handler)}
    assert {"books/a.epub", "books/c.epub"} <= keys
    assert "books/b.epub" not in keys
    # The retry, once the database answers again, adds it; nothing twice.
    locked_for.clear()
    assert handler(sqs_of_uploads("books/b.epub"), LocalContext()) == {"batchItemFailures": []}
    listed = [b["key"] for b in lambda_books(handler)]
    assert sorted(k for k in listed if k.endswith(("a.epub", "b.epub", "c.epub"))) == [
        "books/a.epub",
        "books/b.epub",
        "books/c.epub",
    ]


def test_database_error_on_a_single_event_is_a_lambda_error(
    handler: Any, locked_for: set[str]
) -> None:
    locked_for.add("books/moby-dick.epub")
    with pytest.raises(EventFailedError) as caught:
        handler(load_sample("s3-object-created"), LocalContext())
    assert caught.value.status == 500
