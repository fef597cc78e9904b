"""Load test: structured CloudEvents under real gunicorn (2 sync workers),
through CloudEventsMiddleware against the app alone, driven by a Python client
(no wrk needed).

Run from the repository root (needs gunicorn)::

    python benchmarks/load_structured.py              # ~75 s
    python benchmarks/load_structured.py --seconds 12 # rougher

Three servers on 127.0.0.1, same settings (``gunicorn -w 2``, sync workers):
``middleware`` serves ``CloudEventsMiddleware(app)``, ``sdk`` the app
without the middleware reading the event with the SDK's ``from_http_event``
itself (the peer, as ``books_plain`` in load_books.py), and ``bare`` ``app``
alone; ``app`` reads ``wsgi.input`` and answers 204. Every request
is the structured event of ``bench.py`` (b): the same bytes to each. The
client (``--clients`` threads, a new connection a request, as sync workers
close it) runs against them in alternating segments (A B C C B A...), so
that machine noise hits all alike; reported: requests per second of each over its
segments, the ratio middleware / sdk (target: at least 0.95) and, for
scale, middleware / bare. The
client shares the machine with the servers, which dilutes the ratio toward 1
as much as wrk would on two cores.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import structured_request  # noqa: E402

from cloudevents_wsgi import CloudEventsMiddleware  # noqa: E402


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = environ.get("CONTENT_LENGTH")
    environ["wsgi.input"].read(int(length) if length else -1)
    start_response("204 No Content", [])
    return []


def sdk(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The app without the middleware, reading the event with the SDK itself
    (as ``books_plain`` does in load_books.py)."""
    from cloudevents.core.bindings.http import HTTPMessage, from_http_event

    length = environ.get("CONTENT_LENGTH")
    body = environ["wsgi.input"].read(int(length) if length else -1)
    headers = {"content-type": environ.get("CONTENT_TYPE", "")}
    from_http_event(HTTPMessage(headers, body))
    start_response("204 No Content", [])
    return []


middleware = CloudEventsMiddleware(app)
bare = app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(target: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            f"load_structured:{target}",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise SystemExit(f"gunicorn ({target}) did not start")


def _load(port: int, seconds: float, clients: int) -> tuple[int, int]:
    request = structured_request()
    headers = {n: v for n, v in request.headers if n.lower() not in ("host",)}
    stop = time.monotonic() + seconds
    done = [0] * clients
    bad = [0] * clients

    def client(index: int) -> None:
        while time.monotonic() < stop:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", request.path, request.body, headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 204:
                done[index] += 1
            else:
                bad[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), sum(bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=48, help="measured; each variant gets half"
    )
    parser.add_argument("--segments", type=int, default=8, help="alternations (even)")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    args = parser.parse_args()
    servers = {name: _serve(name) for name in ("middleware", "sdk", "bare")}
    try:
        for _, port in servers.values():
            _load(port, 1.0, args.clients)  # warm-up
        totals = {name: [0, 0] for name in servers}
        segment = args.seconds / args.segments
        names = list(servers)
        order = (names + names[::-1]) * (args.segments // 2)
        for name in order[: args.segments * 3 // 2]:
            done, bad = _load(servers[name][1], segment, args.clients)
            totals[name][0] += done
            totals[name][1] += bad
        each = segment * (args.segments // 2)
        rates = {name: done / each for name, (done, _) in totals.items()}
        for name, (done, bad) in totals.items():
            print(f"{name:10s} {rates[name]:8.1f} requests/s  ({done} answered 204, {bad} other)")
        ratio = rates["middleware"] / rates["sdk"]
        print(f"ratio middleware / app parsing with the SDK: {ratio:.3f} (target >= 0.95)")
        print(f"ratio middleware / app that only reads: {rates['middleware'] / rates['bare']:.3f}")
        return 0 if all(bad == 0 for _, bad in totals.values()) else 1
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
