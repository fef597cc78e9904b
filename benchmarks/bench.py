"""Benchmarks: cloudevents-wsgi against its peers, side by side, in one run.

Run from the repository root::

    python benchmarks/bench.py            # full run (about twenty seconds)
    python benchmarks/bench.py --quick    # about two seconds, rougher figures
    python benchmarks/bench.py --check    # exit 1 if any target is missed
    python benchmarks/bench.py --only large_events   # one comparison

Each comparison is a function registered with :func:`comparison` in
``COMPARISONS``; it returns one or more :class:`Row` objects. Timed
comparisons build a :class:`Pair` (ours, peer, environ baseline) and hand it
to :func:`measure`. New comparisons (the Lambda shim, say) are added the same
way.

Cases
-----
a) binary event: ``CloudEventsMiddleware(app)(environ, start_response)`` with
   an app that reads ``wsgi.input`` (as a real one does), against the SDK's
   ``from_http_event(HTTPMessage(headers, body))`` on the bytes read from
   ``wsgi.input`` of the same environ. Target: ratio <= 0.5.
b) structured event (``application/cloudevents+json``) that the middleware
   rewrites into binary form (``mode="binary"``), against the SDK's
   ``from_http_event`` on the same request. Target: ratio <= 0.75.
c) a pass-through ``GET`` through the middleware against the bare app.
   Target: ratio <= 1.15. For scale, an informational row times a class whose
   ``__call__`` only forwards to the app: the floor for a class middleware.
d) import cost, in fresh interpreters: ``import cloudevents_wsgi`` must load
   none of werkzeug, webob, dateutil (checked; the SDK's import is shown for
   contrast), and ``python -X importtime`` cumulative time of
   ``import cloudevents_wsgi`` against ``import cloudevents.core.bindings.http``
   (informational ratio).
e) an API Gateway HTTP API (payload 2.0) request, as API Gateway builds it
   (ten headers, two cookies, a query, a small JSON body), through
   ``cloudevents_wsgi.aws_lambda.make_lambda_handler(app)`` (the shim and the
   middleware it wraps the app in) against ``apig_wsgi.make_lambda_handler(app)``
   on the same event, same trivial app. Target: ratio <= 0.9.
f) an S3 ``ObjectCreated:Put`` notification (one record) through the shim and
   the middleware to the app (the event becomes a CloudEvent), against
   apig-wsgi on the HTTP event of (e). Target: ratio <= 2.5.
g) an SQS batch: the cost per record of a batch of ten against that of a batch
   of one, both through the shim and the middleware (``batchItemFailures``
   computed). Target: ratio <= 1.2 (no per-record cost grows with the batch).
h) ``import cloudevents_wsgi.aws_lambda`` in a fresh interpreter loads none of
   werkzeug, webob, dateutil (checked), and its ``-X importtime`` against
   ``import apig_wsgi`` (informational ratio).
i) events with 100 KB, 1 MB and 10 MB of JSON data, binary and structured: the
   middleware (its app reads ``wsgi.input``, as a real one does) against the
   SDK's ``from_http_event`` on the same bytes read from ``wsgi.input``, on the
   full PEP 3333 environ of a plain request: the fastest of a few single
   calls each, interleaved. Target: ratio <= 1.0 at every size.
j) a CloudEvents JSON batch (``application/cloudevents-batch+json``) of 1,000
   events against one of 10, both through the middleware: the cost per event.
   Target: ratio <= 1.2.
k) peak memory (tracemalloc) of a structured event with 100 KB of JSON data:
   the middleware against the SDK on the same body. Target: ratio <= 2.

(h) also imports both modules after the standard-library modules the Lambda
runtime (awslambdaric's bootstrap) has loaded itself (target: ratio <= 2.0),
and counts the adapter modules the first S3 event imports (target: 1).

The Lambda events are written out below from the examples in AWS's
documentation (links beside them), not taken from the test fixtures.

Same bytes
----------
Each request is defined once, as a list of HTTP header lines and a body. The
WSGI environ (what a server such as gunicorn would build) and the SDK's
``HTTPMessage`` (lower-cased header names, as a framework would hand them
over) are both derived from it, outside the timed loops.

Method (fairness)
-----------------
The middleware consumes ``wsgi.input``, so every iteration needs a fresh
environ: ``env = template.copy(); env["wsgi.input"] = io.BytesIO(body)``. This
"environ build" is done, inline and identically, in EVERY timed loop: the
middleware's, the peer's (the SDK does not read it, but it pays for it all the
same) and a third loop that does nothing else (the baseline). Hence:

* ``ours`` / ``peer`` (the columns the targets are judged on): the cost per
  request of environ build + the side's work. For (c) this is the realistic
  figure: the server builds an environ for each request whether or not the
  middleware is there.
* ``net ratio`` (informational): the baseline subtracted from both sides,
  i.e. the middleware call alone against the SDK call alone (or the bare app
  call alone). This is the stricter figure; for (c) it magnifies the few
  hundred nanoseconds of pass-through overhead.

The loop body is written out in each loop (no per-iteration indirection), so
all three loops carry the same ``for`` overhead. The app's returned iterable
is not iterated (it is ``[b""]`` on both sides).

Timing: ``time.perf_counter_ns`` around batches of ``n`` iterations, ``n``
calibrated so a batch lasts about 20 ms (5 ms with ``--quick``). The three
loops are interleaved batch by batch (ours, peer, baseline, ours, ...) so that
drift in machine load hits all of them alike. A round is ``BATCHES`` batches of
each loop; a round's figure is the median batch; the reported figure is the
MINIMUM over ``ROUNDS`` rounds of those medians ("min of medians"): the median
discards the odd disturbed batch, the minimum keeps the least-disturbed round.
The garbage collector is disabled while timing (as :mod:`timeit` does); none
of the timed code creates reference cycles. Every comparison first checks,
once, that both sides actually produce the same event.

Lambda handlers (e, f, g) take the event as the runtime decoded it: a dict
that neither side changes, so it is built once and no per-iteration environ
build is needed; the baseline loop calls a handler that returns at once (the
loop and call overhead), and ``net ratio`` subtracts it. For (g) the batch of
ten's figure is divided by ten (its net figure too, after the subtraction).

Every iteration sends the very same bytes. Should the package ever cache
validation results keyed on attribute values, vary ``id`` and ``time`` per
iteration (on both sides) to keep the comparison honest.

Import times are the sum of the ``-X importtime`` cumulative times of the
top-level imports after interpreter start-up (after ``site``); the minimum of
several fresh interpreters is reported, after one warm-up run that writes the
bytecode caches.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cloudevents.core.bindings.http import HTTPMessage, from_http_event  # noqa: E402

from cloudevents_wsgi import CloudEventsMiddleware  # noqa: E402
from cloudevents_wsgi.aws_lambda import make_lambda_handler  # noqa: E402

# -- the requests -------------------------------------------------------------

DATA = {
    "orderId": "ord-8f14e45f-ceea-467e-a5d2-1c6e0f4b7a21",
    "customer": {"id": "cust-1029384756", "name": "Ada Lovelace", "tier": "gold"},
    "items": [
        {"sku": "SKU-000123", "qty": 2, "price": 19.99},
        {"sku": "SKU-004567", "qty": 1, "price": 149.5},
    ],
    "currency": "EUR",
    "total": 189.48,
    "placedAt": "2024-05-01T12:34:56.789Z",
    "notes": "leave at the door",
}
DATA_BYTES = json.dumps(DATA, separators=(",", ":")).encode()  # ~300 bytes

ATTRIBUTES = {
    "specversion": "1.0",
    "id": "a89b61a2-5644-487a-8a86-144855c5dce8",
    "source": "https://shop.example.com/orders",
    "type": "com.example.shop.order.created",
    "time": "2024-05-01T12:34:56.789Z",
    "subject": "orders/ord-8f14e45f",
    "partitionkey": "tenant-42",  # the one extension
}

COMMON_HEADERS = [
    ("Host", "events.example.com"),
    ("User-Agent", "event-broker/1.4 (+https://broker.example.com)"),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
]


@dataclass(frozen=True)
class Request:
    """One HTTP request: the bytes on the wire, as header lines and a body."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def environ(self) -> dict[str, object]:
        """The WSGI environ a server would build (``wsgi.input`` set per iteration)."""
        env: dict[str, object] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "events.example.com",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.7",
            "REMOTE_PORT": "51234",
            "RAW_URI": self.path,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        for name, value in self.headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
            else:
                env["HTTP_" + key] = value
        return env

    def message(self) -> HTTPMessage:
        """The SDK's view: lower-cased header names, the whole body."""
        return HTTPMessage(headers={n.lower(): v for n, v in self.headers}, body=self.body)


def binary_request() -> Request:
    headers = list(COMMON_HEADERS)
    headers += [(f"ce-{name}", value) for name, value in ATTRIBUTES.items()]
    headers += [("Content-Type", "application/json"), ("Content-Length", str(len(DATA_BYTES)))]
    return Request("POST", "/events", headers, DATA_BYTES)


def structured_request() -> Request:
    body = json.dumps(
        {**ATTRIBUTES, "datacontenttype": "application/json", "data": DATA}, separators=(",", ":")
    ).encode()
    headers = list(COMMON_HEADERS)
    headers += [
        ("Content-Type", "application/cloudevents+json"),
        ("Content-Length", str(len(body))),
    ]
    return Request("POST", "/events", headers, body)


def get_request() -> Request:
    return Request("GET", "/health", list(COMMON_HEADERS), b"")


# -- the app ------------------------------------------------------------------


def trivial_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


def _write(data: bytes) -> None:
    return None


def start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    return _write


# -- timing -------------------------------------------------------------------

Loop = Callable[[int], int]  # runs n iterations, returns elapsed nanoseconds


@dataclass
class Settings:
    rounds: int = 5
    batches: int = 7
    batch_ns: int = 20_000_000


@dataclass
class Pair:
    ours: Loop
    peer: Loop
    baseline: Loop  # the environ build alone, with the same loop overhead


@dataclass
class Timing:
    ours_ns: float
    peer_ns: float
    base_ns: float

    @property
    def ratio(self) -> float:
        return self.ours_ns / self.peer_ns

    @property
    def net_ratio(self) -> float:
        peer = self.peer_ns - self.base_ns
        return (self.ours_ns - self.base_ns) / peer if peer > 0 else float("nan")


def _calibrate(loops: list[Loop], batch_ns: int) -> int:
    """Iterations per batch so that the slowest loop's batch lasts ``batch_ns``."""
    n = 10
    while True:
        slowest = max(loop(n) for loop in loops)
        if slowest >= batch_ns // 10 or n >= 10_000_000:
            return max(10, int(n * batch_ns / max(slowest, 1)))
        n *= 4


def measure(pair: Pair, settings: Settings) -> Timing:
    loops = [pair.ours, pair.peer, pair.baseline]
    for loop in loops:  # warm up (caches, specialisation)
        loop(200)
    n = _calibrate(loops, settings.batch_ns)
    best = [float("inf")] * 3
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(settings.rounds):
            samples: list[list[float]] = [[], [], []]
            for _ in range(settings.batches):
                for i, loop in enumerate(loops):
                    samples[i].append(loop(n) / n)
            for i in range(3):
                best[i] = min(best[i], statistics.median(samples[i]))
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timing(*best)


# -- reporting ------------------------------------------------------------------


@dataclass
class Row:
    case: str
    ours: float | None  # µs (per op, or per import)
    peer: float | None
    ratio: float | None
    target: str
    ok: bool | None  # None: informational
    net_ratio: float | None = None
    note: str = ""


Comparison = Callable[[Settings], list[Row]]
COMPARISONS: list[Comparison] = []


def comparison(func: Comparison) -> Comparison:
    """Register a comparison; they run in the order registered."""
    COMPARISONS.append(func)
    return func


def _timed_row(case: str, timing: Timing, limit: float) -> Row:
    return Row(
        case,
        timing.ours_ns / 1000,
        timing.peer_ns / 1000,
        timing.ratio,
        f"<= {limit:g}",
        timing.ratio <= limit,
        timing.net_ratio,
    )


# -- event loops (shared by a and b) ---------------------------------------------


def _event_pair(request: Request, middleware: CloudEventsMiddleware) -> Pair:
    template = request.environ()
    body = request.body
    message = request.message()
    headers, message_body = message.headers, message.body
    BytesIO = io.BytesIO
    perf = time.perf_counter_ns

    # Sanity, once: both sides see the same event.
    seen: dict[str, object] = {}

    def checking_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(environ)
        return _reading_app(environ, start_response)

    env = template.copy()
    env["wsgi.input"] = BytesIO(body)
    CloudEventsMiddleware(checking_app, mode=middleware.mode)(env, start_response)
    ours_event = seen.get("cloudevent")
    peer_event = from_http_event(HTTPMessage(headers, message_body))
    if ours_event is None:
        raise SystemExit(f"the middleware did not deliver an event for {request}")
    for getter in ("get_id", "get_source", "get_type", "get_subject", "get_time", "get_data"):
        a, b = getattr(ours_event, getter)(), getattr(peer_event, getter)()
        if a != b:
            raise SystemExit(f"ours and the SDK disagree on {getter}: {a!r} != {b!r}")
    if seen.get("HTTP_CE_ID") != ATTRIBUTES["id"] or "wsgi.input" not in seen:
        raise SystemExit("the middleware did not rewrite the environ into binary form")

    def ours(n: int) -> int:
        copy, app = template.copy, middleware
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            app(env, start_response)
        return perf() - t0

    length = int(template["CONTENT_LENGTH"])  # type: ignore[call-overload]

    def peer(n: int) -> int:
        # The SDK on the bytes read from wsgi.input, as a view would do.
        copy, parse, Message = template.copy, from_http_event, HTTPMessage
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            parse(Message(headers, env["wsgi.input"].read(length)))  # type: ignore[attr-defined]
        return perf() - t0

    def baseline(n: int) -> int:
        copy = template.copy
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
        return perf() - t0

    return Pair(ours, peer, baseline)


# -- the comparisons ------------------------------------------------------------


@comparison
def binary_event(settings: Settings) -> list[Row]:
    """a) binary event: middleware vs SDK from_http_event."""
    pair = _event_pair(binary_request(), CloudEventsMiddleware(_reading_app))
    timing = measure(pair, settings)
    return [_timed_row("a) binary event: middleware / SDK from_http_event", timing, 0.5)]


@comparison
def structured_event(settings: Settings) -> list[Row]:
    """b) structured event rewritten to binary: middleware vs SDK from_http_event."""
    pair = _event_pair(structured_request(), CloudEventsMiddleware(_reading_app, mode="binary"))
    timing = measure(pair, settings)
    return [_timed_row("b) structured->binary: middleware / SDK from_http_event", timing, 0.75)]


# -- large events (i) ------------------------------------------------------------------

LARGE_SIZES = (("100 KB", 100_000), ("1 MB", 1_000_000), ("10 MB", 10_000_000))


def large_data(size: int) -> bytes:
    """About ``size`` bytes of JSON: an array of order records, as DATA."""
    record = json.dumps(DATA, separators=(",", ":")).encode()
    count = max(1, size // (len(record) + 1))
    return b"[" + b",".join([record] * count) + b"]"


def large_request(data: bytes, structured: bool) -> Request:
    headers = list(COMMON_HEADERS)
    if structured:
        head = json.dumps(
            {**ATTRIBUTES, "datacontenttype": "application/json"}, separators=(",", ":")
        ).encode()
        body = head[:-1] + b',"data":' + data + b"}"
        headers += [("Content-Type", "application/cloudevents+json")]
    else:
        body = data
        headers += [(f"ce-{name}", value) for name, value in ATTRIBUTES.items()]
        headers += [("Content-Type", "application/json")]
    headers += [("Content-Length", str(len(body)))]
    return Request("POST", "/events", headers, body)


def _reading_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """What a real app does with an event: read its body."""
    length = environ.get("CONTENT_LENGTH")
    environ["wsgi.input"].read(int(length) if length else -1)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


def _large_pair(
    request: Request,
) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    """One request each: middleware + reading app, SDK on the body read from
    wsgi.input, and the environ build alone."""
    template = request.environ()
    body = request.body
    headers = request.message().headers
    middleware = CloudEventsMiddleware(_reading_app)
    seen: dict[str, Any] = {}

    def checking_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(environ)
        return _reading_app(environ, start_response)

    env = template.copy()
    env["wsgi.input"] = io.BytesIO(body)
    CloudEventsMiddleware(checking_app)(env, start_response)
    peer_event = from_http_event(HTTPMessage(headers, body))
    if "cloudevent" not in seen or seen["cloudevent"].get_data() != peer_event.get_data():
        raise SystemExit("the middleware and the SDK disagree on a large event")

    def ours() -> None:
        env = template.copy()
        env["wsgi.input"] = io.BytesIO(body)
        middleware(env, start_response)

    def peer() -> None:
        env = template.copy()
        env["wsgi.input"] = io.BytesIO(body)
        read = env["wsgi.input"].read(int(str(env["CONTENT_LENGTH"])))  # type: ignore[attr-defined]
        from_http_event(HTTPMessage(headers, read))

    def baseline() -> None:
        env = template.copy()
        env["wsgi.input"] = io.BytesIO(body)

    return ours, peer, baseline


def _time_large(loops: tuple[Callable[[], None], ...], repeats: int) -> list[float]:
    """Fastest of ``repeats`` single calls of each loop, interleaved; in ns."""
    best = [float("inf")] * len(loops)
    perf = time.perf_counter_ns
    for _ in range(repeats):
        for index, loop in enumerate(loops):
            gc.collect()
            gc.disable()
            t0 = perf()
            loop()
            elapsed = perf() - t0
            gc.enable()
            best[index] = min(best[index], elapsed)
    return best


@comparison
def large_events(settings: Settings) -> list[Row]:
    """i) 100 KB, 1 MB and 10 MB of JSON data, binary and structured: the
    middleware (its app reads wsgi.input) against the SDK's from_http_event on
    the same bytes read from wsgi.input."""
    rows = []
    for label, size in LARGE_SIZES:
        data = large_data(size)
        # At least five single requests even at 10 MB: one slow request (over 100 ms)
        # must not decide the row.
        repeats = max(5, min(settings.rounds * settings.batches, 30_000_000 // size))
        for structured in (False, True):
            loops = _large_pair(large_request(data, structured))
            ours, peer, base = _time_large(loops, repeats)
            timing = Timing(ours, peer, base)
            mode = "structured" if structured else "binary"
            rows.append(
                Row(
                    f"i) {label} JSON data, {mode}: middleware / SDK",
                    ours / 1000,
                    peer / 1000,
                    timing.ratio,
                    "<= 1",
                    timing.ratio <= 1.0,
                    timing.net_ratio,
                )
            )
    return rows


# -- CloudEvents batch scaling (j) ----------------------------------------------------

BATCH_SIZES = (10, 1000)


def batch_request(size: int) -> Request:
    """A CloudEvents JSON batch of ``size`` events, each as (b) with its own id."""
    events = [
        {**ATTRIBUTES, "id": f"{ATTRIBUTES['id'][:-4]}{index:04d}", "data": DATA}
        for index in range(size)
    ]
    body = json.dumps(events, separators=(",", ":")).encode()
    headers = list(COMMON_HEADERS)
    headers += [
        ("Content-Type", "application/cloudevents-batch+json"),
        ("Content-Length", str(len(body))),
    ]
    return Request("POST", "/events", headers, body)


def _request_loop(request: Request, app: Callable[..., Any]) -> Loop:
    template = request.environ()
    body = request.body
    BytesIO = io.BytesIO
    perf = time.perf_counter_ns

    def loop(n: int) -> int:
        copy = template.copy
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            app(env, start_response)
        return perf() - t0

    return loop


@comparison
def batch_scaling(settings: Settings) -> list[Row]:
    """j) a CloudEvents batch: the cost per event at 1,000 events against at 10."""
    small, large = BATCH_SIZES
    calls: list[str] = []

    def counting_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ["cloudevent"].get_id())
        return _reading_app(environ, start_response)

    CloudEventsMiddleware(counting_app)(
        {**batch_request(large).environ(), "wsgi.input": io.BytesIO(batch_request(large).body)},
        start_response,
    )
    if len(calls) != large or len(set(calls)) != large:
        raise SystemExit(f"the batch did not reach the app once per event: {len(calls)} calls")
    middleware = CloudEventsMiddleware(_reading_app)
    pair = Pair(
        _request_loop(batch_request(large), middleware),
        _request_loop(batch_request(small), middleware),
        _request_loop(get_request(), lambda env, sr: None),
    )
    timing = measure(pair, settings)
    per_event = Timing(timing.ours_ns / large, timing.peer_ns / small, 0.0)
    row = _timed_row(f"j) batch per event: {large} events / {small} events", per_event, 1.2)
    row.net_ratio = None
    row.note = f"µs per event in a CloudEvents batch of {large} (ours) and of {small} (peer)"
    return [row]


# -- memory (k) ------------------------------------------------------------------------


def _peak_bytes(call: Callable[[], None]) -> int:
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@comparison
def memory_peak(settings: Settings) -> list[Row]:
    """k) peak memory (tracemalloc) of a structured event of 100 KB of JSON data:
    the middleware (normalising to binary, its app reading wsgi.input) against
    the SDK's from_http_event on the bytes read from wsgi.input."""
    ours, peer, _ = _large_pair(large_request(large_data(100_000), structured=True))
    ours_peak = min(_peak_bytes(ours) for _ in range(3))
    peer_peak = min(_peak_bytes(peer) for _ in range(3))
    return [
        Row(
            "k) 100 KB structured event, peak memory: middleware / SDK",
            ours_peak / 1024,
            peer_peak / 1024,
            ours_peak / peer_peak,
            "<= 2",
            ours_peak <= 2 * peer_peak,
            note="KiB at the peak (tracemalloc), both including the request body read",
        )
    ]


def _flask_app() -> Callable[..., Any]:
    """A one-route Flask app: what a pass-through request usually reaches."""
    from flask import Flask

    app = Flask("bench")

    @app.get("/health")
    def health() -> str:
        return "ok"

    return app


@comparison
def pass_through(settings: Settings) -> list[Row]:
    """c) GET without an event: middleware vs the bare app (Flask, and a no-op)."""
    request = get_request()
    template = request.environ()
    body = request.body
    BytesIO = io.BytesIO
    perf = time.perf_counter_ns

    seen: dict[str, object] = {}

    def checking_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen["environ"] = environ
        return trivial_app(environ, start_response)

    env = template.copy()
    CloudEventsMiddleware(checking_app)(env, start_response)
    if seen.get("environ") is not env:
        raise SystemExit("the middleware did not pass the GET through untouched")

    def loop(app: Callable[..., Any]) -> Callable[[int], int]:
        def run(n: int) -> int:
            copy = template.copy
            t0 = perf()
            for _ in range(n):
                env = copy()
                env["wsgi.input"] = BytesIO(body)
                app(env, start_response)
            return perf() - t0

        return run

    def baseline(n: int) -> int:
        copy = template.copy
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
        return perf() - t0

    flask_app = _flask_app()
    flask_timing = measure(
        Pair(loop(CloudEventsMiddleware(flask_app)), loop(flask_app), baseline), settings
    )
    trivial_timing = measure(
        Pair(loop(CloudEventsMiddleware(trivial_app)), loop(trivial_app), baseline), settings
    )
    overhead_ns = trivial_timing.ours_ns - trivial_timing.peer_ns
    return [
        _timed_row("c) pass-through GET, Flask app: middleware / bare app", flask_timing, 1.15),
        Row(
            "c) pass-through GET, no-op app: middleware / bare app",
            trivial_timing.ours_ns / 1000,
            trivial_timing.peer_ns / 1000,
            trivial_timing.ratio,
            "info",
            None,
            trivial_timing.net_ratio,
            note=(
                f"an app that does nothing: the middleware's own cost, {overhead_ns:.0f} ns a "
                "request, is all there is to compare (a class that only forwards costs about "
                "as much)"
            ),
        ),
    ]


HEAVY = ("werkzeug", "webob", "dateutil")
OURS_IMPORT = "cloudevents_wsgi"
PEER_IMPORT = "cloudevents.core.bindings.http"


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _heavy_loaded(module: str) -> list[str]:
    code = (
        f"import sys, json, {module}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(h for h in heavy "
        "if any(m == h or m.startswith(h + '.') for m in sys.modules))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _import_us(module: str, preload: tuple[str, ...] = (), before: str = "") -> float:
    """Cumulative -X importtime of the top-level imports after start-up (µs),
    those of ``preload`` (imported first) left out; ``before``: code run
    between the two."""
    code = "".join(f"import {name}\n" for name in preload) + before + f"import {module}"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        check=True,
    )
    total = 0
    for line in out.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:]  # one space separates the column from the name
        if name.startswith(" "):
            continue  # nested: counted in its parent's cumulative time
        if name == "site" or name in preload:
            total = 0  # everything so far was interpreter start-up, or preloaded
            continue
        total += int(parts[1])
    return float(total)


def _import_times(
    ours_module: str,
    peer_module: str,
    runs: int,
    preload: tuple[str, ...] = (),
    before: str = "",
) -> tuple[float, float]:
    """The least -X importtime of each module over ``runs`` interleaved fresh imports."""
    _import_us(ours_module), _import_us(peer_module)  # warm-up: bytecode caches
    ours_times, peer_times = [], []
    for _ in range(runs):  # interleaved
        ours_times.append(_import_us(ours_module, preload, before))
        peer_times.append(_import_us(peer_module, preload, before))
    return min(ours_times), min(peer_times)


def lambda_runtime_modules() -> tuple[str, ...]:
    """The standard-library modules the Lambda Python runtime (awslambdaric's
    bootstrap) has imported before it imports the handler's module, top-level
    names in import order."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import awslambdaric.bootstrap\n"
        "names = [m for m in sys.modules if m not in before and '.' not in m\n"
        "         and m in sys.stdlib_module_names and not m.startswith('_')]\n"
        "print(' '.join(names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        check=True,
    )
    return tuple(out.stdout.split())


@comparison
def import_cost(settings: Settings) -> list[Row]:
    """d) import cost in fresh interpreters."""
    ours_heavy = _heavy_loaded(OURS_IMPORT)
    peer_heavy = _heavy_loaded(PEER_IMPORT)
    runs = max(3, settings.rounds * 2)
    ours, peer = _import_times(OURS_IMPORT, PEER_IMPORT, runs)
    return [
        Row(
            "d) import loads none of " + "/".join(HEAVY),
            None,
            None,
            None,
            "none loaded",
            not ours_heavy,
            note=f"ours loads {ours_heavy or 'none'}; SDK loads {peer_heavy or 'none'}",
        ),
        Row(
            f"d) import time (-X importtime, min of {runs})",
            ours,
            peer,
            ours / peer,
            "info",
            None,
            note=f"import {OURS_IMPORT} / import {PEER_IMPORT}",
        ),
    ]


# -- Lambda (e-h) ------------------------------------------------------------------

# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
# (payload format 2.0): header names lower-cased, cookies in their own list,
# query both raw and parsed, the body a string.
HTTP_API_BODY = '{"sku":"SKU-000123","qty":2,"note":"leave at the door"}'


def http_api_event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "POST /orders",
        "rawPath": "/orders",
        "rawQueryString": "expand=items&page=2",
        "cookies": ["session=3f9a1c2e7b", "theme=dark"],
        "headers": {
            "accept": "application/json",
            "accept-encoding": "gzip, deflate, br",
            "content-length": str(len(HTTP_API_BODY)),
            "content-type": "application/json",
            "host": "r3pmxmplak.execute-api.us-east-2.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
            "x-forwarded-for": "205.255.255.176",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "queryStringParameters": {"expand": "items", "page": "2"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": "r3pmxmplak.execute-api.us-east-2.amazonaws.com",
            "domainPrefix": "r3pmxmplak",
            "http": {
                "method": "POST",
                "path": "/orders",
                "protocol": "HTTP/1.1",
                "sourceIp": "205.255.255.176",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /orders",
            "stage": "$default",
            "time": "10/Mar/2020:05:16:23 +0000",
            "timeEpoch": 1583817383220,
        },
        "body": HTTP_API_BODY,
        "isBase64Encoded": False,
    }


# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
# and the Lambda tutorial's test event (with-s3-example.html).
def s3_event() -> dict[str, Any]:
    """The bundled S3 ObjectCreated sample (one record, as AWS documents it)."""
    from cloudevents_wsgi.cli import load_sample

    return load_sample("s3-object-created")  # type: ignore[no-any-return]


# https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example event),
# each message a small JSON document; built by the tests' own builders.
def sqs_event(size: int) -> dict[str, Any]:
    from tests.builders import sqs_batch

    return sqs_batch(
        *({"orderId": f"ord-{index}", "total": 12.5} for index in range(size)),
        id_format="059f36b4-87a3-44ab-83d2-66197583{:04d}",
    )


class LambdaContext:
    """The part of the runtime's context object an app might read."""

    function_name = "bench"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:bench"
    memory_limit_in_mb = 128


CONTEXT = LambdaContext()
Handler = Callable[[Any, Any], Any]


def _noop_handler(event: Any, context: Any) -> None:
    return None


def _handler_loop(handler: Handler, event: Any) -> Loop:
    perf = time.perf_counter_ns

    def loop(n: int) -> int:
        call, context = handler, CONTEXT
        t0 = perf()
        for _ in range(n):
            call(event, context)
        return perf() - t0

    return loop


def _apig_handler() -> Handler:
    import apig_wsgi

    return apig_wsgi.make_lambda_handler(_reading_app)


def _seen_by(handler_factory: Callable[[Any], Handler], event: Any) -> dict[str, Any]:
    """What the app sees of ``event`` through a handler made by ``handler_factory``."""
    seen: dict[str, Any] = {}

    def checking_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        return _reading_app(environ, start_response)

    answer = handler_factory(checking_app)(event, CONTEXT)
    seen["answer"] = answer
    return seen


@comparison
def lambda_http_api(settings: Settings) -> list[Row]:
    """e) HTTP API v2 request: our shim vs apig-wsgi."""
    import apig_wsgi

    event = http_api_event()
    ours_seen = _seen_by(make_lambda_handler, event)
    peer_seen = _seen_by(apig_wsgi.make_lambda_handler, event)
    for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "body"):
        if ours_seen.get(key) != peer_seen.get(key):
            raise SystemExit(
                f"ours and apig-wsgi disagree on {key}: {ours_seen.get(key)!r} != "
                f"{peer_seen.get(key)!r}"
            )
    for seen in (ours_seen, peer_seen):
        if seen["answer"]["statusCode"] != 200 or seen["answer"]["body"] != "":
            raise SystemExit(f"unexpected answer {seen['answer']!r}")
    pair = Pair(
        _handler_loop(make_lambda_handler(_reading_app), event),
        _handler_loop(_apig_handler(), event),
        _handler_loop(_noop_handler, event),
    )
    timing = measure(pair, settings)
    return [_timed_row("e) HTTP API v2: make_lambda_handler / apig-wsgi", timing, 0.9)]


@comparison
def lambda_s3(settings: Settings) -> list[Row]:
    """f) S3 notification through shim and middleware vs apig-wsgi on the request of (e)."""
    event = s3_event()
    seen = _seen_by(make_lambda_handler, event)
    cloudevent = seen.get("cloudevent")
    if cloudevent is None or cloudevent.get_type() != "com.amazonaws.s3.ObjectCreated:Put":
        raise SystemExit(f"the app did not get the S3 event as a CloudEvent: {cloudevent!r}")
    if seen.get("cloudevents_wsgi.adapter") != "aws.s3":
        raise SystemExit("the S3 adapter did not make the event")
    pair = Pair(
        _handler_loop(make_lambda_handler(_reading_app), event),
        _handler_loop(_apig_handler(), http_api_event()),
        _handler_loop(_noop_handler, event),
    )
    timing = measure(pair, settings)
    return [_timed_row("f) S3 event: shim+middleware / apig-wsgi on (e)", timing, 2.5)]


BATCH = 10


@comparison
def lambda_sqs_batch(settings: Settings) -> list[Row]:
    """g) SQS: cost per record in a batch of ten vs a batch of one."""
    handler = make_lambda_handler(_reading_app)
    batch, single = sqs_event(BATCH), sqs_event(1)
    calls: list[str] = []

    def counting_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ["cloudevents_wsgi.record_id"])
        return _reading_app(environ, start_response)

    answer = make_lambda_handler(counting_app)(batch, CONTEXT)
    if answer != {"batchItemFailures": []} or calls != [r["messageId"] for r in batch["Records"]]:
        raise SystemExit(f"the batch did not reach the app once per record: {answer!r} {calls!r}")
    pair = Pair(
        _handler_loop(handler, batch),
        _handler_loop(handler, single),
        _handler_loop(_noop_handler, batch),
    )
    timing = measure(pair, settings)
    per_record = Timing(timing.ours_ns / BATCH, timing.peer_ns, timing.base_ns)
    net_peer = timing.peer_ns - timing.base_ns
    net = (timing.ours_ns - timing.base_ns) / BATCH / net_peer if net_peer > 0 else float("nan")
    row = _timed_row(f"g) SQS per record: batch of {BATCH} / batch of 1", per_record, 1.2)
    row.net_ratio = net
    row.note = f"ours = a batch of {BATCH} / {BATCH}; peer = a batch of 1 (both µs per record)"
    return [row]


LAMBDA_IMPORT = "cloudevents_wsgi.aws_lambda"
APIG_IMPORT = "apig_wsgi"


@comparison
def lambda_import_cost(settings: Settings) -> list[Row]:
    """h) import cost of the Lambda shim in fresh interpreters."""
    heavy = _heavy_loaded(LAMBDA_IMPORT)
    runs = max(3, settings.rounds * 2)
    ours, peer = _import_times(LAMBDA_IMPORT, APIG_IMPORT, runs)
    preload = lambda_runtime_modules()
    warm_ours, warm_peer = _import_times(LAMBDA_IMPORT, APIG_IMPORT, runs, preload)
    # The same from a just-collected heap: a collection of the young generations
    # (0.7 ms here) falls inside whichever import crosses the collector's
    # threshold first, which the preload's allocations decide, not the import.
    fair_ours, fair_peer = _import_times(
        LAMBDA_IMPORT, APIG_IMPORT, runs, (*preload, "gc"), "gc.collect()\n"
    )
    adapters = _adapters_imported_by_first_event("s3-object-created")
    sqs_adapters = _adapters_imported_by_first_event("sqs-batch")
    return [
        Row(
            "h) import time after the Lambda runtime's own stdlib imports",
            warm_ours,
            warm_peer,
            warm_ours / warm_peer,
            "<= 2",
            warm_ours <= 2 * warm_peer,
            note=(
                f"import {LAMBDA_IMPORT} / import {APIG_IMPORT}, both compiled, after the "
                f"{len(preload)} stdlib modules awslambdaric's bootstrap imports "
                f"({', '.join(preload[:6])}...)"
            ),
        ),
        Row(
            "h) the same, each import from a just-collected heap (gc.collect())",
            fair_ours,
            fair_peer,
            fair_ours / fair_peer,
            "info",
            None,
            note="where the garbage collector's passes fall does not decide the figure",
        ),
        Row(
            "h) adapter modules imported by the first S3 event",
            float(len(adapters)),
            None,
            None,
            "== 1",
            len(adapters) == 1,
            note=f"the first S3 event imports {adapters}",
        ),
        Row(
            "h) adapter modules imported by the first SQS batch (plain messages)",
            float(len(sqs_adapters)),
            None,
            None,
            "== 1",
            len(sqs_adapters) == 1,
            note=f"the first SQS batch imports {sqs_adapters}",
        ),
        Row(
            f"h) import {LAMBDA_IMPORT} loads none of " + "/".join(HEAVY),
            None,
            None,
            None,
            "none loaded",
            not heavy,
            note=f"it loads {heavy or 'none'}",
        ),
        Row(
            f"h) import time (-X importtime, min of {runs})",
            ours,
            peer,
            ours / peer,
            "info",
            None,
            note=f"import {LAMBDA_IMPORT} / import {APIG_IMPORT}",
        ),
    ]


def _adapters_imported_by_first_event(sample: str) -> list[str]:
    """The built-in adapter modules a fresh process has imported once the shim
    has handled the bundled ``sample`` event."""
    code = (
        "import sys\n"
        "from cloudevents_wsgi.aws_lambda import make_lambda_handler\n"
        "from cloudevents_wsgi.cli import load_sample\n"
        "from cloudevents_wsgi.detect import BUILTIN_MODULES\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n"
        f"make_lambda_handler(app)(load_sample({sample!r}), None)\n"
        "print(' '.join(n for n in BUILTIN_MODULES\n"
        "               if 'cloudevents_wsgi.adapters.' + n in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        check=True,
    )
    return out.stdout.split()


# -- main -------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    header = ("case", "ours µs", "peer µs", "ratio", "target", "", "net ratio")
    table = [header] + [
        (
            r.case,
            _fmt(r.ours, ".2f"),
            _fmt(r.peer, ".2f"),
            _fmt(r.ratio, ".3f"),
            r.target,
            "info" if r.ok is None else ("OK" if r.ok else "MISS"),
            _fmt(r.net_ratio, ".3f"),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
    notes = [f"  {r.case.split(')')[0]}) {r.note}" for r in rows if r.note]
    if notes:
        print()
        print("\n".join(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    parser.add_argument(
        "--only", metavar="NAME", help="run only the comparisons whose function name has NAME"
    )
    args = parser.parse_args(argv)
    settings = Settings(rounds=3, batches=5, batch_ns=5_000_000) if args.quick else Settings()

    print(
        f"Python {sys.version.split()[0]} on {sys.platform}; "
        f"{settings.rounds} rounds x {settings.batches} batches "
        f"of ~{settings.batch_ns / 1e6:g} ms; "
        "figure = min over rounds of the median batch"
    )
    print(
        "ours/peer include the per-request environ build on both sides; "
        "net ratio = both sides minus that baseline"
    )
    print(
        "(e-g, Lambda: the handler call alone; baseline = a handler that returns at once;"
        " every app, ours and the peer's, reads wsgi.input)"
    )
    print()
    rows: list[Row] = []
    for func in COMPARISONS:
        if args.only is None or args.only in func.__name__:
            rows.extend(func(settings))
    print_table(rows)
    missed = [r.case for r in rows if r.ok is False]
    print()
    print("all targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
