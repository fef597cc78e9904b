"""Benchmarks: cloudevents-wsgi against its peers, side by side, in one run.

Run from the repository root::

    python benchmarks/bench.py            # full run (under ten seconds)
    python benchmarks/bench.py --quick    # about two seconds, rougher figures
    python benchmarks/bench.py --check    # exit 1 if any target is missed

Each comparison is a function registered with :func:`comparison` in
``COMPARISONS``; it returns one or more :class:`Row` objects. Timed
comparisons build a :class:`Pair` (ours, peer, environ baseline) and hand it
to :func:`measure`. New comparisons (the Lambda shim, say) are added the same
way.

Cases
-----
a) binary event: ``CloudEventsMiddleware(app)(environ, start_response)`` with a
   trivial app, against the SDK's
   ``from_http_event(HTTPMessage(headers, body))`` on the same request.
   Target: ratio <= 0.5.
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
        return trivial_app(environ, start_response)

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

    def peer(n: int) -> int:
        copy, parse, Message = template.copy, from_http_event, HTTPMessage
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            parse(Message(headers, message_body))
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
    pair = _event_pair(binary_request(), CloudEventsMiddleware(trivial_app))
    timing = measure(pair, settings)
    return [_timed_row("a) binary event: middleware / SDK from_http_event", timing, 0.5)]


@comparison
def structured_event(settings: Settings) -> list[Row]:
    """b) structured event rewritten to binary: middleware vs SDK from_http_event."""
    pair = _event_pair(structured_request(), CloudEventsMiddleware(trivial_app, mode="binary"))
    timing = measure(pair, settings)
    return [_timed_row("b) structured->binary: middleware / SDK from_http_event", timing, 0.75)]


@comparison
def pass_through(settings: Settings) -> list[Row]:
    """c) GET without an event: middleware vs the bare app."""
    request = get_request()
    template = request.environ()
    body = request.body
    middleware = CloudEventsMiddleware(trivial_app)
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

    def ours(n: int) -> int:
        copy, app = template.copy, middleware
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            app(env, start_response)
        return perf() - t0

    def peer(n: int) -> int:
        copy, app = template.copy, trivial_app
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            app(env, start_response)
        return perf() - t0

    def baseline(n: int) -> int:
        copy = template.copy
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
        return perf() - t0

    class EmptyWrapper:
        """The least any class-based middleware costs: a call that forwards."""

        def __init__(self, app: Callable[..., Any]) -> None:
            self.app = app

        def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            return self.app(environ, start_response)

    empty = EmptyWrapper(trivial_app)

    def floor(n: int) -> int:
        copy, app = template.copy, empty
        t0 = perf()
        for _ in range(n):
            env = copy()
            env["wsgi.input"] = BytesIO(body)
            app(env, start_response)
        return perf() - t0

    timing = measure(Pair(ours, peer, baseline), settings)
    floor_timing = measure(Pair(floor, peer, baseline), settings)
    return [
        _timed_row("c) pass-through GET: middleware / bare app", timing, 1.15),
        Row(
            "c) for scale: empty forwarding class / bare app",
            floor_timing.ours_ns / 1000,
            floor_timing.peer_ns / 1000,
            floor_timing.ratio,
            "info",
            None,
            floor_timing.net_ratio,
            note="a class whose __call__ only forwards; a class-based middleware cannot beat it",
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


def _import_us(module: str) -> float:
    """Cumulative -X importtime of the top-level imports after start-up (µs)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
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
        if name == "site":
            total = 0  # everything so far was interpreter start-up
            continue
        total += int(parts[1])
    return float(total)


@comparison
def import_cost(settings: Settings) -> list[Row]:
    """d) import cost in fresh interpreters."""
    ours_heavy = _heavy_loaded(OURS_IMPORT)
    peer_heavy = _heavy_loaded(PEER_IMPORT)
    runs = max(3, settings.rounds * 2)
    _import_us(OURS_IMPORT), _import_us(PEER_IMPORT)  # warm-up: bytecode caches
    ours_times, peer_times = [], []
    for _ in range(runs):  # interleaved
        ours_times.append(_import_us(OURS_IMPORT))
        peer_times.append(_import_us(PEER_IMPORT))
    ours, peer = min(ours_times), min(peer_times)
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
    print()
    rows: list[Row] = []
    for func in COMPARISONS:
        rows.extend(func(settings))
    print_table(rows)
    missed = [r.case for r in rows if r.ok is False]
    print()
    print("all targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
