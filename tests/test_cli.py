"""The cloudevents-wsgi command: invoke, serve, send, convert, samples."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi.cli import load_sample, main, sample_names

from .servers import EXAMPLES, ROOT, Server, free_port, request

SAMPLES = [
    "apigw-v2-get-books",
    "eventbridge-scheduled",
    "s3-object-created",
    "s3-object-removed",
    "sqs-batch",
]


def cli(*args: str, cwd: Path = EXAMPLES, env: dict[str, str] | None = None) -> Any:
    """Run the command in a new process (it imports the app under test)."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "cloudevents_wsgi", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main() run in this process: in an empty folder, sys.path restored after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- help and samples ------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["invoke"], ["serve"], ["send"], ["convert"], ["samples"]])
def test_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cloudevents-wsgi")
    if not command:
        for name in ("invoke", "serve", "send", "convert", "samples"):
            assert name in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([])
    assert exit.value.code == 2


def test_samples_are_listed_and_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert sample_names() == SAMPLES
    assert run(capsys, "samples") == (0, "\n".join(SAMPLES) + "\n", "")
    assert load_sample("s3-object-created")["Records"][0]["s3"]["object"] == {
        "key": "books/moby-dick.epub",
        "size": 1048576,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
        "sequencer": "0066321A8C2E3F4B10",
    }


# -- invoke ------------------------------------------------------------------------------


@pytest.fixture
def books_env(tmp_path: Path) -> dict[str, str]:
    return {"BOOKS_DATABASE": str(tmp_path / "books.sqlite3")}


def test_invoke_a_sample_prints_the_lambda_result(books_env: dict[str, str]) -> None:
    out = cli("invoke", "books.lambda_handler:handler", "s3-object-created", env=books_env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["statusCode"] == 201
    assert result["isBase64Encoded"] is False
    assert json.loads(result["body"])["title"] == "Moby Dick"

    out = cli(
        "invoke", "--body", "books.lambda_handler:handler", "apigw-v2-get-books", env=books_env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('{\n  "books": [\n')
    assert [book["key"] for book in json.loads(out.stdout)["books"]] == ["books/moby-dick.epub"]


def test_invoke_a_file_with_a_wsgi_app(tmp_path: Path) -> None:
    event = load_sample("s3-object-created")
    event["Records"][0]["s3"]["object"].update(key="books/walden.pdf", size=5)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    out = cli("invoke", "--wsgi", "plain_wsgi:application", str(path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"key": "books/walden.pdf", "size": 5}


def test_invoke_a_failing_event_prints_the_lambda_error(books_env: dict[str, str]) -> None:
    out = cli("invoke", "books.lambda_handler:handler", "eventbridge-scheduled", env=books_env)
    assert out.returncode == 1
    error = json.loads(out.stdout)
    assert error["errorType"] == "EventFailedError"
    assert "type: is not an event type this endpoint accepts" in error["errorMessage"]
    assert "Traceback" not in out.stderr


def test_invoke_an_app_that_raises_prints_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "def handler(event, context):\n    raise KeyError('boom')\n"
    )
    out = cli("invoke", "broken:handler", "sqs-batch", cwd=tmp_path)
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"errorMessage": "'boom'", "errorType": "KeyError"}
    assert "Traceback" in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["invoke", "books", "sqs-batch"], "APP must be module:attribute", id="no-colon"
        ),
        pytest.param(
            ["invoke", "a b:c", "sqs-batch"], "APP must be module:attribute", id="not-dotted"
        ),
        pytest.param(
            ["invoke", "nosuchmodule:app", "sqs-batch"],
            "there is no module 'nosuchmodule'",
            id="no-module",
        ),
        pytest.param(
            ["invoke", "json:nothing", "sqs-batch"],
            "module 'json' has no 'nothing'",
            id="no-attribute",
        ),
        pytest.param(
            ["invoke", "json:__name__", "sqs-batch"], "is not callable", id="not-callable"
        ),
        pytest.param(
            ["invoke", "json:loads", "missing.json"], "no event file 'missing.json'", id="no-file"
        ),
        pytest.param(
            ["invoke", "json:loads", "nosuchsample"],
            "no file and no sample named 'nosuchsample'",
            id="no-sample",
        ),
        pytest.param(["invoke", "json:loads", "bad.json"], "'bad.json' is not JSON", id="bad-json"),
        pytest.param(["convert", "bad.json"], "'bad.json' is not JSON", id="convert-bad-json"),
        pytest.param(
            ["convert", "apigw-v2-get-books"],
            "is an HTTP request (apigw-http-v2)",
            id="convert-http",
        ),
        pytest.param(
            ["convert", "other.json"], "no adapter recognises other.json", id="convert-unknown"
        ),
        pytest.param(["send", "http://127.0.0.1:9/"], "give the event's --type", id="send-no-type"),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--type", "t", "--data", "{x"],
            "--data is not JSON",
            id="send-bad-data",
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--type", "t", "--source", ""],
            "source:",
            id="send-bad-source",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    isolated: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (isolated / "bad.json").write_text("{not json")
    (isolated / "other.json").write_text('{"hello": "world"}')
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    assert err.startswith("cloudevents-wsgi: error: ")
    assert message in err
    assert err.count("\n") == 1


# -- convert -----------------------------------------------------------------------------


def test_convert_a_sample(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "convert", "s3-object-created")
    assert status == 0
    [event] = json.loads(out)
    record = load_sample("s3-object-created")["Records"][0]
    assert event == {
        "specversion": "1.0",
        "type": "com.amazonaws.s3.ObjectCreated:Put",
        "source": "aws:s3.us-east-1.example-books",
        "id": "C3D13FE58DE4C810.FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        "subject": "books/moby-dick.epub",
        "time": "2024-05-01T10:00:00.000Z",  # S3's eventTime, as S3 wrote it
        "datacontenttype": "application/json",
        "data": record,
    }
    assert err == "1 event(s) from the aws.s3 adapter\n"


@pytest.mark.parametrize(
    ("sample", "types"),
    [
        pytest.param("sqs-batch", ["com.amazonaws.sqs.message"] * 2, id="sqs-batch"),
        pytest.param("eventbridge-scheduled", ["Scheduled Event"], id="eventbridge"),
        pytest.param(
            "s3-object-removed", ["com.amazonaws.s3.ObjectRemoved:Delete"], id="s3-removed"
        ),
    ],
)
def test_convert_samples(
    isolated: Path, capsys: pytest.CaptureFixture[str], sample: str, types: list[str]
) -> None:
    status, out, _ = run(capsys, "convert", sample)
    assert status == 0
    assert [event["type"] for event in json.loads(out)] == types


def test_convert_a_file_unwrapping_envelopes_or_not(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = load_sample("s3-object-created")
    sqs = load_sample("sqs-batch")
    sqs["Records"] = sqs["Records"][:1]
    sqs["Records"][0]["body"] = json.dumps(s3)
    (isolated / "sqs.json").write_text(json.dumps(sqs))
    status, out, _ = run(capsys, "convert", "sqs.json")
    assert status == 0
    assert [e["type"] for e in json.loads(out)] == ["com.amazonaws.s3.ObjectCreated:Put"]
    status, out, _ = run(capsys, "convert", "--no-unwrap", "sqs.json")
    assert [e["type"] for e in json.loads(out)] == ["com.amazonaws.sqs.message"]


# -- send --------------------------------------------------------------------------------


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """A WSGI server in a thread that records the events it receives."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.headers: list[dict[str, str]] = []
        self.middleware = CloudEventsMiddleware(self.app)
        self.server: WSGIServer = make_server("127.0.0.1", 0, self.sent, handler_class=Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def sent(self, environ: dict[str, Any], start_response: Any) -> Any:
        """What the command sent, before the middleware reads it."""
        self.headers.append(
            {k: v for k, v in environ.items() if k.startswith("HTTP_CE_") or k == "CONTENT_TYPE"}
        )
        return self.middleware(environ, start_response)

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.events.append(environ["cloudevent"])
        start_response("202 Accepted", [("Content-Type", "text/plain")])
        return [b"thanks"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_send_binary(receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        "send",
        receiver.url,
        "--type",
        "com.example.greeting",
        "--source",
        "/tests",
        "--id",
        "g-1",
        "--subject",
        "grüße",
        "--time",
        "2024-05-01T10:00:00Z",
        "--data",
        '{"name": "Ishmael"}',
        "-e",
        "traceparent=00-1",
    )
    assert (status, out) == (0, "202 Accepted\nthanks\n")
    [event] = receiver.events
    assert (
        event.get_attributes()
        == CloudEvent(
            {
                "type": "com.example.greeting",
                "source": "/tests",
                "id": "g-1",
                "subject": "grüße",
                "time": "2024-05-01T10:00:00Z",
                "datacontenttype": "application/json",
                "traceparent": "00-1",
            }
        ).get_attributes()
    )
    assert event.get_data() == {"name": "Ishmael"}
    assert receiver.headers[0]["HTTP_CE_ID"] == "g-1"
    assert receiver.headers[0]["HTTP_CE_SUBJECT"] == "gr%C3%BC%C3%9Fe"
    assert receiver.headers[0]["CONTENT_TYPE"] == "application/json"


def test_send_structured_with_data_from_a_file(
    receiver: Receiver, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "note.txt").write_text("call me Ishmael")
    status, _, _ = run(
        capsys,
        "send",
        receiver.url,
        "--mode",
        "structured",
        "--type",
        "com.example.note",
        "--data",
        f"@{tmp_path / 'note.txt'}",
        "--datacontenttype",
        "text/plain",
    )
    assert status == 0
    [event] = receiver.events
    assert (event.get_data(), event.get_datacontenttype()) == ("call me Ishmael", "text/plain")
    assert event.get_source() == "urn:cloudevents-wsgi:cli"
    assert receiver.headers == [{"CONTENT_TYPE": "application/cloudevents+json"}]


def test_send_a_batch_from_a_file(
    receiver: Receiver, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    event = {"specversion": "1.0", "id": "1", "source": "/s", "type": "com.example.a", "data": [1]}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([event, {**event, "id": "2"}]))
    status, out, _ = run(capsys, "send", receiver.url, "--mode", "batch", "--file", str(path))
    assert status == 0
    assert out.startswith("200 OK\n")
    assert receiver.headers == [{"CONTENT_TYPE": "application/cloudevents-batch+json"}]
    assert [e.get_id() for e in receiver.events] == ["1", "2"]
    assert receiver.events[0].get_data() == [1]


def test_send_a_file_in_binary_mode(
    receiver: Receiver, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"specversion": "1.0", "id": "x", "source": "/s", "type": "t"}))
    assert run(capsys, "send", receiver.url, "--file", str(path))[0] == 0
    assert receiver.events[0].get_id() == "x"
    path.write_text("[]")
    status, _, err = run(capsys, "send", receiver.url, "--file", str(path))
    assert status == 2
    assert "0 events can only be sent with --mode batch" in err
    status, _, err = run(capsys, "send", receiver.url, "--file", str(path), "--type", "t")
    assert (status, err.count("\n")) == (2, 1)


def test_send_refuses_invalid_attributes_before_sending(
    receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    for flags in (["-e", "BAD=1"], ["--time", "lunchtime"], ["-e", "noequals"]):
        status, out, err = run(capsys, "send", receiver.url, "--type", "t", *flags)
        assert (status, out, err.count("\n")) == (2, "", 1)
    assert receiver.events == []


def test_send_to_nobody_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    status, out, err = run(capsys, "send", url, "--type", "t")
    assert (status, out) == (1, "")
    assert err.startswith(f"cloudevents-wsgi: error: cannot send to {url}: ")


def test_send_non_2xx_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("400 Bad Request", [("Content-Type", "application/problem+json")])
        return [b'{"status": 400}']

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, out, _ = run(
            capsys, "send", f"http://127.0.0.1:{server.server_port}/", "--type", "t"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (status, out) == (1, '400 Bad Request\n{"status": 400}\n')


# -- serve -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app",
    [
        pytest.param("plain_wsgi:router", id="wrapped-by-serve"),
        pytest.param("plain_wsgi:application", id="already-wrapped"),
    ],
)
def test_serve_logs_each_event(tmp_path: Path, app: str) -> None:
    server = Server(
        [sys.executable, "-m", "cloudevents_wsgi", "serve", app, "--port", "{port}"],
        cwd=EXAMPLES,
        env={},
        log=tmp_path / "serve.log",
    )
    try:
        status, _, body = request(
            server.url + "/",
            "POST",
            json.dumps({"s3": {"object": {"size": 9}}}).encode(),
            {
                "ce-specversion": "1.0",
                "ce-id": "u-1",
                "ce-source": "/tests",
                "ce-type": "com.amazonaws.s3.ObjectCreated:Put",
                "ce-subject": "books/a.epub",
                "Content-Type": "application/json",
            },
        )
        assert (status, body) == (200, {"key": "books/a.epub", "size": 9})
        assert request(server.url + "/")[0] == 200
    finally:
        server.stop()
    log = server.output()
    assert (
        "event 'com.amazonaws.s3.ObjectCreated:Put' id='u-1' source='/tests' "
        "subject='books/a.epub' -> 200 OK" in log
    )
    assert log.count("event 'com.") == 1


def test_serve_a_bad_app_exits_2(tmp_path: Path) -> None:
    out = cli("serve", "nosuchmodule:app", "--port", str(free_port()), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "cloudevents-wsgi: error: nosuchmodule:app: there is no module 'nosuchmodule' "
        "(run from the directory that holds it)"
    ]


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "cloudevents-wsgi"
    if not script.exists():
        pytest.skip("the package is not installed with its scripts in this environment")
    out = subprocess.run([str(script), "samples"], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == SAMPLES


# -- errors are one line, exit 2 (issue 12) ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["send", "not a url", "--type", "t"], "is not an http:// or https://", id="url"
        ),
        pytest.param(
            ["send", "ftp://example.com/", "--type", "t"],
            "'ftp://example.com/' is not an http",
            id="url-scheme",
        ),
        pytest.param(["send", "http://", "--type", "t"], "with a host", id="url-no-host"),
        pytest.param(
            ["send", "http://127.0.0.1:99999/", "--type", "t"],
            "is not a URL: Port out of range",
            id="url-port",
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--type", "t", "--timeout", "-1"],
            "must be a positive number of seconds, not '-1'",
            id="negative-timeout",
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--type", "t", "--timeout", "nan"],
            "not 'nan'",
            id="nan-timeout",
        ),
        pytest.param(
            ["invoke"], "the following arguments are required: APP, EVENT", id="missing-arguments"
        ),
        pytest.param(["nosuchcommand"], "invalid choice: 'nosuchcommand'", id="unknown-command"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(args)
    out, err = capsys.readouterr()
    assert (exit.value.code, out) == (2, "")
    assert err.startswith("cloudevents-wsgi")
    assert ": error: " in err and message in err
    assert err.count("\n") == 1


APPS = {
    "missing_dep.py": "import json\nimport no_such_dependency_xyz\n",
    "bad_syntax.py": "def handler(event, context)\n    return event\n",
    "raises_on_import.py": "raise RuntimeError('settings are not configured')\n",
    "wsgi_app.py": "def application(environ, start_response):\n    return []\n",
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["invoke", "missing_dep:handler", "sqs-batch"],
            "missing_dep:handler: importing module 'missing_dep' failed: "
            "ModuleNotFoundError: No module named 'no_such_dependency_xyz' (",
            id="import-missing-dependency",
        ),
        pytest.param(
            ["invoke", "bad_syntax:handler", "sqs-batch"],
            "importing module 'bad_syntax' failed: SyntaxError: expected ':'",
            id="import-syntax-error",
        ),
        pytest.param(
            ["serve", "raises_on_import:application"],
            "importing module 'raises_on_import' failed: RuntimeError: settings are not "
            "configured (",
            id="import-raises",
        ),
        pytest.param(
            ["invoke", "wsgi_app:application", "sqs-batch"],
            "wsgi_app:application is a WSGI application, not a Lambda handler: add --wsgi",
            id="invoke-wsgi-app-without-wsgi",
        ),
        pytest.param(
            ["invoke", "--wsgi", "--event-path", "events", "wsgi_app:application", "sqs-batch"],
            "event_path must be an ASCII path starting with '/', not 'events'",
            id="invoke-bad-event-path",
        ),
        pytest.param(
            ["convert", "cloudevent.json"],
            "cloudevent.json is already a CloudEvent (the CloudEvents JSON format): "
            "there is nothing to convert",
            id="convert-a-cloudevent",
        ),
        pytest.param(
            ["convert", "cloudevents.json"], "is already a CloudEvent", id="convert-a-batch"
        ),
        pytest.param(
            ["samples", "show", "nosuch"], "no file and no sample named 'nosuch'", id="show-unknown"
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--type", "t", "--data", "@missing.json"],
            "--data: cannot read 'missing.json': No such file or directory",
            id="send-data-missing-file",
        ),
    ],
)
def test_errors_of_what_was_asked_exit_2_with_one_line_and_no_traceback(
    isolated: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    for name, text in APPS.items():
        (isolated / name).write_text(text)
    (isolated / "cloudevent.json").write_text(json.dumps({"specversion": "1.0", "id": "1"}))
    (isolated / "cloudevents.json").write_text(json.dumps([{"specversion": "1.0", "id": "1"}]))
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    assert err.startswith("cloudevents-wsgi: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_app_failing_to_import_says_where(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated / "missing_dep.py").write_text(APPS["missing_dep.py"])
    status, _, err = run(capsys, "invoke", "missing_dep:handler", "sqs-batch")
    assert status == 2
    assert err.rstrip().endswith(f"({isolated / 'missing_dep.py'}:2)")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from cloudevents_wsgi import __version__

    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"cloudevents-wsgi {__version__}\n"


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_show_prints_a_sample_as_json(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    status, out, err = run(capsys, "samples", "show", name)
    assert (status, err) == (0, "")
    assert json.loads(out) == load_sample(name)


def test_the_cli_and_the_testing_helpers_share_one_copy() -> None:
    from cloudevents_wsgi import cli, testing

    assert cli.LocalContext is testing.LambdaContext
    assert cli.sample_names is testing.sample_names
    assert load_sample("sqs-batch") == testing.sample("sqs-batch")


def stdin_cli(input: str, *args: str, cwd: Path = EXAMPLES) -> Any:
    import os

    return subprocess.run(
        [sys.executable, "-m", "cloudevents_wsgi", *args],
        cwd=cwd,
        env=dict(os.environ),
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_convert_and_invoke_read_the_event_from_standard_input(tmp_path: Path) -> None:
    event = load_sample("s3-object-created")
    out = stdin_cli(json.dumps(event), "convert", "-")
    assert out.returncode == 0, out.stderr
    [converted] = json.loads(out.stdout)
    assert converted["type"] == "com.amazonaws.s3.ObjectCreated:Put"
    out = stdin_cli(json.dumps(event), "invoke", "--wsgi", "plain_wsgi:application", "-")
    assert out.returncode == 0, out.stderr
    assert json.loads(json.loads(out.stdout)["body"])["key"] == "books/moby-dick.epub"
    out = stdin_cli("{not json", "convert", "-")
    assert (out.returncode, out.stderr.count("\n")) == (2, 1)
    assert "standard input is not JSON" in out.stderr


def test_send_reads_the_file_and_the_data_from_standard_input(receiver: Receiver) -> None:
    event = {"specversion": "1.0", "id": "s-1", "source": "/t", "type": "t"}
    out = stdin_cli(json.dumps(event), "send", receiver.url, "--file", "-")
    assert out.returncode == 0, out.stderr
    out = stdin_cli('{"n": 1}', "send", receiver.url, "--type", "t", "--id", "s-2", "--data", "@-")
    assert out.returncode == 0, out.stderr
    assert [(e.get_id(), e.get_data()) for e in receiver.events] == [
        ("s-1", None),
        ("s-2", {"n": 1}),
    ]
