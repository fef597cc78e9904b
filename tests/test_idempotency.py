"""Idempotent delivery: the app is called at most once per (source, id)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.idempotency import (
    IN_PROGRESS,
    IdempotencyStore,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    event_key,
    idempotent,
)

from . import builders
from . import idempotency_contract as contract
from .servers import Server

ROOT = Path(__file__).resolve().parent.parent


class Counter:
    """A WSGI app answering ``status`` and counting its calls per event id."""

    def __init__(self, status: str = "201 Created", raises: bool = False) -> None:
        self.status = status
        self.raises = raises
        self.calls: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.calls.append(environ["cloudevent"].get_id())
        if self.raises:
            raise RuntimeError("the app failed")
        start_response(self.status, [("Content-Type", "text/plain")])
        return [] if self.status.startswith("204") else [b"handled"]


def post(app: Any, event_id: str = "e-1", source: str = "tests/orders") -> Any:
    """POST a structured event and read the whole answer, as a server does (which
    closes it: the outcome is recorded then)."""
    event = {"specversion": "1.0", "id": event_id, "source": source, "type": "order.created"}
    response = Client(app).post(
        "/", data=json.dumps(event), content_type="application/cloudevents+json"
    )
    response.get_data()
    response.close()
    return response


# -- the middleware option -----------------------------------------------------------


def test_a_redelivered_event_gets_the_first_status_without_calling_the_app() -> None:
    app = Counter("201 Created")
    middleware = CloudEventsMiddleware(app, idempotency=MemoryStore())
    first, second = post(middleware), post(middleware)
    assert (first.status_code, first.data) == (201, b"handled")
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == {"duplicate": True}
    assert app.calls == ["e-1"]


def test_a_redelivered_204_is_answered_204_without_a_body() -> None:
    app = Counter("204 No Content")
    middleware = CloudEventsMiddleware(app, idempotency=MemoryStore())
    post(middleware)
    second = post(middleware)
    assert (second.status_code, second.data) == (204, b"")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert app.calls == ["e-1"]


def test_events_are_told_apart_by_source_and_id() -> None:
    app = Counter()
    middleware = CloudEventsMiddleware(app, idempotency=MemoryStore())
    post(middleware, "e-1", "a")
    post(middleware, "e-1", "b")
    post(middleware, "e-2", "a")
    post(middleware, "e-1", "a")
    assert app.calls == ["e-1", "e-1", "e-2"]


def test_an_event_in_progress_elsewhere_is_answered_409_with_retry_after() -> None:
    store, app = MemoryStore(), Counter()
    assert store.claim(event_key("tests/orders", "e-1"), 60) is None  # another worker
    response = post(CloudEventsMiddleware(app, idempotency=store))
    assert response.status_code == 409
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["field"] == "id"
    assert app.calls == []


@pytest.mark.parametrize("status", ["500 Internal Server Error", "404 Not Found", "302 Found"])
def test_a_non_2xx_answer_is_not_recorded_so_the_event_runs_again(status: str) -> None:
    app, store = Counter(status), MemoryStore()
    middleware = CloudEventsMiddleware(app, idempotency=store)
    assert post(middleware).status_code == int(status[:3])
    assert post(middleware).status_code == int(status[:3])
    assert app.calls == ["e-1", "e-1"]
    assert store.claim(event_key("tests/orders", "e-1"), 60) is None, "the claim was released"


def test_an_exception_releases_the_claim_so_the_event_runs_again() -> None:
    app, store = Counter(raises=True), MemoryStore()
    middleware = CloudEventsMiddleware(app, idempotency=store)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="the app failed"):
            post(middleware)
    assert app.calls == ["e-1", "e-1"]
    assert store.claim(event_key("tests/orders", "e-1"), 60) is None


def test_an_exception_while_streaming_the_answer_releases_the_claim() -> None:
    store = MemoryStore()

    def streaming(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"part"
        raise RuntimeError("broke mid-answer")

    with pytest.raises(RuntimeError, match="broke mid-answer"):
        post(CloudEventsMiddleware(streaming, idempotency=store))
    assert store.claim(event_key("tests/orders", "e-1"), 60) is None


def test_the_outcome_is_recorded_before_the_answer_is_returned() -> None:
    store = MemoryStore()
    closed: list[bool] = []

    class Answer:
        def __iter__(self) -> Iterator[bytes]:
            yield b"ok"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("202 Accepted", [])
        return Answer()

    wrapped = idempotent(app, store)
    answer = wrapped({"cloudevent": _event("e-9")}, lambda status, headers, exc_info=None: None)
    assert store.claim(event_key("tests/orders", "e-9"), 60) == 202
    assert closed == [True], "the app's answer was closed"
    assert list(answer) == [b"ok"]


def test_each_event_of_a_batch_is_handled_at_most_once() -> None:
    app, store = Counter("200 OK"), MemoryStore()
    middleware = CloudEventsMiddleware(app, idempotency=store)
    post(middleware, "b-2")
    batch = [
        {"specversion": "1.0", "id": f"b-{n}", "source": "tests/orders", "type": "order.created"}
        for n in (1, 2, 3)
    ]
    response = Client(middleware).post(
        "/", data=json.dumps(batch), content_type="application/cloudevents-batch+json"
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == [200, 200, 200]
    assert app.calls == ["b-2", "b-1", "b-3"]


def test_two_idempotent_layers_on_one_call_claim_once() -> None:
    app, store = Counter(), MemoryStore()
    middleware = CloudEventsMiddleware(idempotent(app, store), idempotency=store)
    assert post(middleware).status_code == 201
    assert post(middleware).headers["Idempotent-Replayed"] == "true"
    assert app.calls == ["e-1"]


def test_a_completed_event_runs_again_after_its_ttl() -> None:
    now = [1000.0]
    store, app = MemoryStore(clock=lambda: now[0]), Counter()
    middleware = CloudEventsMiddleware(idempotent(app, store, ttl=10))
    post(middleware)
    now[0] += 9
    post(middleware)
    now[0] += 2
    post(middleware)
    assert app.calls == ["e-1", "e-1"]


def test_requests_without_an_event_pass_through_untouched() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    middleware = CloudEventsMiddleware(app, idempotency=MemoryStore())
    for _ in range(2):
        assert Client(middleware).post("/", data=b"plain").data == b"plain"
    assert len(seen) == 2


def test_lambda_sqs_batch_reports_an_event_in_progress_as_a_failed_record() -> None:
    app, store = Counter("200 OK"), MemoryStore()
    handler = make_lambda_handler(CloudEventsMiddleware(app, idempotency=store))
    arn = "arn:aws:sqs:eu-west-1:123456789012:orders"
    assert store.claim(event_key(arn, "m-2"), 60) is None  # another invocation has it
    assert handler(_sqs(arn, "m-1", "m-2", "m-3"), object()) == {
        "batchItemFailures": [{"itemIdentifier": "m-2"}]
    }
    assert app.calls == ["m-1", "m-3"]
    store.release(event_key(arn, "m-2"))
    # SQS redelivers the failed record and, say, m-1 again: only m-2 runs.
    assert handler(_sqs(arn, "m-1", "m-2"), object()) == {"batchItemFailures": []}
    assert app.calls == ["m-1", "m-3", "m-2"]


@pytest.mark.parametrize(
    "store", [object(), "sqlite:///x.db", MemoryStore], ids=["object", "str", "class"]
)
def test_something_that_is_not_a_store_is_refused(store: Any) -> None:
    with pytest.raises(ConfigurationError, match="claim"):
        CloudEventsMiddleware(Counter(), idempotency=store)


@pytest.mark.parametrize("options", [{"ttl": 0}, {"claim_ttl": -1}, {"ttl": True}])
def test_times_must_be_positive_seconds(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        idempotent(Counter(), MemoryStore(), **options)


def test_keys_are_short_ascii_and_unambiguous() -> None:
    key = event_key("a b", "c")
    assert key.startswith("ce:") and len(key) == 67 and key.isascii() and " " not in key
    assert event_key("ab", "c") != event_key("a", "bc")
    assert event_key("a", "b") == event_key("a", "b")


# -- every store against the contract, each the real thing -------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1, started for these tests."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis")
    try:
        server = Server(
            [binary, "--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=directory,
            env={},
            log=directory / "redis.log",
        )
    except RuntimeError as error:
        pytest.skip(f"redis-server could not be started: {error}")
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


def _stores(tmp_path: Path, redis_url: str | None) -> dict[str, Any]:
    return {
        "memory": MemoryStore(),
        "sqlite": SQLiteStore(str(tmp_path / "events.db")),
        "redis": RedisStore.from_url(redis_url) if redis_url else None,
    }


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_store_contract(
    kind: str, check: Callable[[Any], None], tmp_path: Path, request: Any
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    store = _stores(tmp_path, url)[kind]
    assert isinstance(store, IdempotencyStore)
    check(store)


DJANGO_CONTRACT = """
import sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[],
    DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}},
    CACHES={{
        "locmem": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        "file": {{"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                  "LOCATION": {files!r}}},
        "db": {{"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "cloudevents_cache"}},
    }},
)
django.setup()
from django.core.management import call_command
call_command("createcachetable", verbosity=0)

from cloudevents_wsgi.idempotency import DjangoCacheStore
from tests import idempotency_contract as contract

store = DjangoCacheStore({alias!r})
contract.{check}(store)
print("ok")
"""


@pytest.mark.parametrize(
    ("alias", "check"),
    [
        pytest.param(alias, check, id=f"{alias}-{check.__name__}")
        for alias in ("locmem", "file", "db")
        for check in contract.CHECKS
        # Django's file cache add() is not atomic (DjangoCacheStore says so).
        if not (alias == "file" and check is contract.check_threads_race)
    ],
)
def test_django_cache_store_contract(
    alias: str, check: Callable[[Any], None], tmp_path: Path
) -> None:
    script = DJANGO_CONTRACT.format(
        db=str(tmp_path / "db.sqlite3"),
        files=str(tmp_path / "cache"),
        alias=alias,
        check=check.__name__,
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


SQLITE_RACER = """
import sys, time
from pathlib import Path
from cloudevents_wsgi.idempotency import SQLiteStore

path, go, keys = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
store = SQLiteStore(path)
while not go.exists():
    time.sleep(0.001)
won = [n for n in range(keys) if store.claim(f"key-{{n}}", 60) is None]
print(" ".join(map(str, won)))
"""


def test_sqlite_store_two_processes_racing_win_each_key_once(tmp_path: Path) -> None:
    keys = 300
    path, go = tmp_path / "events.db", tmp_path / "go"
    SQLiteStore(str(path))  # the table exists before the race
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", SQLITE_RACER.format(), str(path), str(go), str(keys)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [racer.communicate(timeout=120)[0] for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    wins = [set(map(int, out.split())) for out in outputs]
    assert wins[0] | wins[1] == set(range(keys)), "every key was won"
    assert not wins[0] & wins[1], "no key was won by both processes"


def test_redis_store_from_the_middleware(redis_url: str) -> None:
    app = Counter()
    middleware = CloudEventsMiddleware(app, idempotency=RedisStore.from_url(redis_url))
    post(middleware, "r-1")
    assert post(middleware, "r-1").headers["Idempotent-Replayed"] == "true"
    assert app.calls == ["r-1"]


def test_sqlite_store_purges_expired_entries(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "events.db"))
    store.claim("a", 0.001)
    store.claim("b", 60)
    time.sleep(0.01)
    assert store.purge() == 1
    assert store.claim("b", 60) == IN_PROGRESS


@pytest.mark.parametrize("table", ["x; DROP TABLE y", "1abc", "naïve"])
def test_sqlite_store_refuses_table_names_that_are_not_identifiers(
    tmp_path: Path, table: str
) -> None:
    with pytest.raises(ConfigurationError, match="identifier"):
        SQLiteStore(str(tmp_path / "events.db"), table=table)


def _event(event_id: str) -> Any:
    from cloudevents_wsgi import CloudEvent

    return CloudEvent(
        {"specversion": "1.0", "id": event_id, "source": "tests/orders", "type": "t"}, None
    )


def _sqs(arn: str, *ids: str) -> dict[str, Any]:
    region, account, queue = arn.split(":")[3:6]
    assert account == builders.ACCOUNT
    return builders.sqs_messages(*ids, queue=queue, region=region)


def test_a_users_own_store_needs_only_the_three_methods() -> None:
    class DictStore:  # what the README shows, with no import from the package
        def __init__(self) -> None:
            self.entries: dict[str, int] = {}

        def claim(self, key: str, ttl: float) -> int | None:
            if key in self.entries:
                return self.entries[key]
            self.entries[key] = 0
            return None

        def complete(self, key: str, status: int, ttl: float) -> None:
            self.entries[key] = status

        def release(self, key: str) -> None:
            if self.entries.get(key) == 0:
                del self.entries[key]

    app = Counter("202 Accepted")
    middleware = CloudEventsMiddleware(app, idempotency=DictStore())
    assert [post(middleware).status_code for _ in range(3)] == [202, 202, 202]
    assert app.calls == ["e-1"]


SQLITE_FORK = """
import os, sys
from cloudevents_wsgi.idempotency import SQLiteStore

store = SQLiteStore(sys.argv[1])  # opened before the fork, as gunicorn --preload does
assert store.claim("before-fork", 60) is None
pid = os.fork()
if pid == 0:
    won = store.claim("child", 60) is None and store.claim("before-fork", 60) == 0
    os._exit(0 if won else 1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, "the child could not use the store"
assert store.claim("child", 60) == 0, "the parent sees the child's claim"
print("ok")
"""


def test_sqlite_store_opened_before_a_fork_works_in_both_processes(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", SQLITE_FORK, str(tmp_path / "events.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (out.returncode, out.stdout.strip()) == (0, "ok"), out.stderr


def test_an_unreachable_store_raises_and_the_app_is_not_called() -> None:
    import redis

    from .servers import free_port

    app = Counter()
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    with pytest.raises(redis.ConnectionError):
        post(CloudEventsMiddleware(app, idempotency=store))
    assert app.calls == []


def test_a_store_failing_to_record_the_outcome_leaves_the_answer_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class ForgetfulStore(MemoryStore):
        def complete(self, key: str, status: int, ttl: float) -> None:
            raise OSError("disk full")

    app = Counter()
    with caplog.at_level(logging.ERROR, logger="cloudevents_wsgi"):
        response = post(CloudEventsMiddleware(app, idempotency=ForgetfulStore()))
    assert response.status_code == 201
    assert "failed to record" in caplog.text


# -- under a real gunicorn, several workers ------------------------------------------


def test_gunicorn_workers_run_an_event_delivered_at_once_many_times_only_once(
    tmp_path: Path,
) -> None:
    pytest.importorskip("gunicorn")
    from concurrent.futures import ThreadPoolExecutor

    from .servers import request

    calls = tmp_path / "calls.txt"
    server = Server(
        [
            *(sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}"),
            *("--workers", "3", "--preload", "tests.idempotent_app:application"),
        ],
        cwd=ROOT,
        env={
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "IDEMPOTENCY_DB": str(tmp_path / "events.db"),
            "CALLS_FILE": str(calls),
        },
        log=tmp_path / "gunicorn.log",
    )
    event = {"specversion": "1.0", "id": "o-1", "source": "tests/orders", "type": "order.placed"}
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/cloudevents+json"}
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: request(server.url, "POST", body, headers), range(6)))
        later = request(server.url, "POST", body, headers)
    finally:
        server.stop()
    statuses = sorted(status for status, _, _ in answers)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    assert all("Retry-After" in head for status, head, _ in answers if status == 409), (
        "every 409 says when to retry"
    )
    assert later[0] == 201 and later[1].get("Idempotent-Replayed") == "true"
    assert len(calls.read_text().splitlines()) == 1, calls.read_text()


@given(
    deliveries=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([201, 204, 404, 500, "raise"])),
        max_size=30,
    )
)
def test_the_app_runs_for_a_delivery_exactly_when_no_earlier_one_succeeded(
    deliveries: list[tuple[str, Any]],
) -> None:
    outcomes = iter([outcome for _, outcome in deliveries])
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ["cloudevent"].get_id())
        outcome = next(outcomes)
        if outcome == "raise":
            raise RuntimeError("the app failed")
        start_response(f"{outcome} X", [])
        return []

    middleware = CloudEventsMiddleware(app, idempotency=MemoryStore())
    expected: list[str] = []
    done: dict[str, int] = {}
    for event_id, outcome in deliveries:
        if event_id in done:
            assert post(middleware, event_id).status_code == done[event_id]
            next(outcomes)  # this delivery's outcome is never asked for
            continue
        expected.append(event_id)
        if outcome == "raise":
            with pytest.raises(RuntimeError):
                post(middleware, event_id)
        else:
            assert post(middleware, event_id).status_code == outcome
            if 200 <= outcome < 300:
                done[event_id] = outcome
    assert calls == expected
