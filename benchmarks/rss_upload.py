"""Peak memory of a gunicorn worker while a 100 MB upload that is not an event
streams through CloudEventsMiddleware.

Run from the repository root::

    python benchmarks/rss_upload.py            # 100 MB per case
    python benchmarks/rss_upload.py --mb 20    # smaller

Starts ``gunicorn`` (one sync worker) on 127.0.0.1 with this module's
``application``: the middleware (default options) around an app that reads
the body in 64 KiB chunks and answers the number of bytes it counted. For
each case it uploads ``--mb`` megabytes from a generator (the client holds
1 MiB at a time), then reads the worker's peak resident set
(``VmHWM`` in ``/proc/<pid>/status``, reset before each upload through
``/proc/<pid>/clear_refs``) and prints it beside the baseline (``VmRSS``
before the upload). Target: the growth stays far below the upload size
(nothing buffers the body).

Cases: ``application/octet-stream`` with a Content-Length;
``application/json`` over plain HTTP without ``native_over_http`` (could be
a native event, but is not read); ``application/octet-stream`` sent chunked
(no Content-Length).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cloudevents_wsgi import CloudEventsMiddleware  # noqa: E402

CHUNK = 64 * 1024
MiB = 1024 * 1024


def count_bytes(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Read the body in chunks, keep nothing, answer how many bytes there were."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    remaining = int(length) if length else None
    total = 0
    while remaining is None or remaining > 0:
        chunk = stream.read(CHUNK if remaining is None else min(CHUNK, remaining))
        if not chunk:
            break
        total += len(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    body = json.dumps({"bytes": total, "event": "cloudevent" in environ}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


application = CloudEventsMiddleware(count_bytes)


# -- the measurement ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def upload(port: int, content_type: str, size: int, *, chunked: bool) -> dict[str, Any]:
    block = b"\x00" * MiB
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        head = f"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
        head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n"
        sock.sendall(head.encode() + b"Connection: close\r\n\r\n")
        sent = 0
        while sent < size:
            part = block[: min(MiB, size - sent)]
            sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
            sent += len(part)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_text, _, body = answer.partition(b"\r\n\r\n")
    if not head_text.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"the upload was answered {head_text[:100]!r}: {body[:300]!r}")
    result: dict[str, Any] = json.loads(body)
    return result


def serve(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
            "--chdir",
            str(ROOT / "benchmarks"),
            "rss_upload:application",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_worker(master: subprocess.Popen[bytes], port: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise RuntimeError("gunicorn exited")
        workers = children(master.pid)
        if workers:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return workers[0]
            except OSError:
                pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


CASES = (
    ("application/octet-stream", False),
    ("application/json", False),
    ("application/octet-stream", True),
)


def measure(size: int) -> list[dict[str, Any]]:
    port = free_port()
    master = serve(port)
    rows = []
    try:
        worker = wait_for_worker(master, port)
        upload(port, "application/octet-stream", 1024, chunked=False)  # warm up
        for content_type, chunked in CASES:
            baseline = status_kib(worker, "VmRSS")
            exact = reset_peak(worker)
            start = time.perf_counter()
            result = upload(port, content_type, size, chunked=chunked)
            elapsed = time.perf_counter() - start
            if result["bytes"] != size or result["event"]:
                raise RuntimeError(f"the app saw {result}, not {size} bytes without an event")
            peak = status_kib(worker, "VmHWM")
            rows.append(
                {
                    "case": content_type + (" (chunked)" if chunked else ""),
                    "upload_mb": size / MiB,
                    "baseline_kib": baseline,
                    "peak_kib": peak,
                    "growth_kib": peak - baseline,
                    "peak_is_since_reset": exact,
                    "seconds": round(elapsed, 2),
                }
            )
    finally:
        master.terminate()
        try:
            master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
    return rows


def main(argv: Iterator[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(None if argv is None else list(argv))
    size = args.mb * MiB
    rows = measure(size)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'case':<36} {'upload':>8} {'baseline':>10} {'peak':>10} {'growth':>9} {'time':>7}")
    for row in rows:
        print(
            f"{row['case']:<36} {row['upload_mb']:>6.0f}MB {row['baseline_kib'] / 1024:>8.1f}MB "
            f"{row['peak_kib'] / 1024:>8.1f}MB {row['growth_kib'] / 1024:>7.1f}MB "
            f"{row['seconds']:>6.2f}s"
        )
    worst = max(row["growth_kib"] for row in rows) / 1024
    print(f"largest growth: {worst:.1f} MB for {args.mb} MB uploads (target: far below)")
    return 0 if worst < args.mb / 10 else 1


if __name__ == "__main__":
    sys.exit(main())
