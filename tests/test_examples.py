"""The examples run as the README says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.test import Client

from .conftest import plugin_path

ROOT = Path(__file__).resolve().parent.parent


INSTALL = "pip install -e '.[test]' && "


def quickstart_commands() -> list[str]:
    """The commands of the first fenced block under the README's Quickstart heading."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Quickstart") :]
    block = section[section.index("```sh\n") + 6 :]
    return block[: block.index("```")].strip().splitlines()


def test_quickstart_is_install_and_main_job_then_the_ci_test_command() -> None:
    install_and_run, tests = quickstart_commands()
    assert INSTALL in install_and_run
    assert "cloudevents-wsgi invoke books.lambda_handler:handler s3-object-created" in (
        install_and_run
    )
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == tests


def test_books_quickstart_runs(tmp_path: Path) -> None:
    # The README Quickstart's job, after its `pip install`: the books app takes
    # the S3 upload of books/moby-dick.epub through the Lambda shim, then lists it.
    quickstart = quickstart_commands()[0].split(INSTALL, 1)[1]
    scripts = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": scripts + os.pathsep + os.environ.get("PATH", ""),
        "BOOKS_DATABASE": str(tmp_path / "books.sqlite3"),
    }
    out = subprocess.run(
        ["bash", "-c", quickstart], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    created, listed = out.stdout.split("\n}\n", 1)
    assert json.loads(created + "}")["statusCode"] == 201
    assert [(b["key"], b["title"], b["size"]) for b in json.loads(listed)["books"]] == [
        ("books/moby-dick.epub", "Moby Dick", 1048576)
    ]
    assert "added books/moby-dick.epub (1048576 bytes)" in out.stderr


def test_books_quickstart_prints_the_same_on_a_second_run(tmp_path: Path) -> None:
    # Without BOOKS_DATABASE, as a new user runs it: the database is the example's
    # own file (not one shared in the system's temporary folder), and the
    # Quickstart starts it afresh, so a second run prints what the README shows.
    quickstart = quickstart_commands()[0].split(INSTALL, 1)[1]
    scripts = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": scripts + os.pathsep + os.environ.get("PATH", ""),
        "TMPDIR": str(tmp_path),
    }
    env.pop("BOOKS_DATABASE", None)
    outputs = []
    for _ in range(2):
        out = subprocess.run(
            ["bash", "-c", quickstart],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert "added books/moby-dick.epub (1048576 bytes)" in out.stderr
        created, listed = out.stdout.split("\n}\n", 1)
        assert json.loads(created + "}")["statusCode"] == 201
        books = json.loads(listed)["books"]
        outputs.append([(b["id"], b["key"], b["title"], b["size"]) for b in books])
    assert outputs == [[(1, "books/moby-dick.epub", "Moby Dick", 1048576)]] * 2
    assert (ROOT / "examples" / "books" / "books.sqlite3").is_file()
    assert not list(tmp_path.iterdir())  # nothing in the temporary folder


def readme_testing_example() -> str:
    """The first Python block under the README's Testing heading."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Testing\n") :]
    block = section[section.index("```python\n") + 10 :]
    return block[: block.index("```")]


def test_readme_testing_example_runs_as_written(tmp_path: Path) -> None:
    example = readme_testing_example()
    assert example.startswith("# test_events.py\n")
    (tmp_path / "test_events.py").write_text(example)
    env = {**os.environ, "PYTHONPATH": plugin_path(tmp_path / "site")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout


def test_flask_and_plain_wsgi_examples_take_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    import flask_app  # type: ignore[import-not-found]
    import plain_wsgi  # type: ignore[import-not-found]

    headers = {
        "ce-specversion": "1.0",
        "ce-id": "g-1",
        "ce-source": "/tests",
        "ce-type": "com.example.greeting",
        "Content-Type": "application/json",
    }
    flask_client = Client(flask_app.app)
    assert (
        flask_client.post("/events", data='{"name": "Ishmael"}', headers=headers).status_code == 204
    )
    assert flask_client.get("/events").get_json() == [
        {"type": "com.example.greeting", "id": "g-1", "data": {"name": "Ishmael"}}
    ]
    assert flask_client.post("/events", json={}).status_code == 400

    plain_client = Client(plain_wsgi.application)
    assert plain_client.post("/", data='{"name": "Ishmael"}', headers=headers).status_code == 202
    assert plain_client.get("/").data == b"POST CloudEvents here.\n"


def test_lambda_handler_example_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "lambda_handler.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    results = [
        json.loads(line.split(":", 1)[1])
        for line in out.stdout.splitlines()
        if line.startswith("Lambda result:")
    ]
    http, upload, batch = results
    assert http["statusCode"] == 200
    assert json.loads(http["body"]) == {"hello": "name=Ishmael", "from": "205.255.255.176"}
    assert upload["statusCode"] == 204
    assert batch == {
        "batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]
    }
    assert "stored books/moby dick.epub (1048576 bytes)" in out.stdout
    assert "took order A-1" in out.stdout and "took order A-3" in out.stdout
    assert "refused order A-2" in out.stdout
