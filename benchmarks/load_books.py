"""Load test: the books example under gunicorn, with and without the middleware,
driven by wrk with a mix of CloudEvents (binary, structured, batched) and plain
requests.

Run from the repository root (needs ``wrk`` and the ``examples`` extra)::

    python benchmarks/load_books.py                  # ~85 s; 1 worker, 16 connections
    python benchmarks/load_books.py --workers 2 --connections 32
    python benchmarks/load_books.py --mix full       # also bad events and 1 MiB uploads
    python benchmarks/load_books.py --quick          # ~15 s smoke run

One run starts two gunicorn servers on 127.0.0.1 with the same settings (sync
workers), each on its own fresh SQLite database:

``middleware``
    ``books.wsgi``, the example as shipped: Django behind CloudEventsMiddleware.
``plain``
    ``books_plain`` (``benchmarks/books_plain.py``), the benchmark baseline: the
    same Django app without the middleware, its event view reading the request
    with the cloudevents SDK v2 itself and doing the same database work.

It first sends one request of each kind to both and checks that they answer
alike, then warms each up with wrk, then runs wrk (``load_books.lua``, the
same request mix) against them in alternating segments (A B B A A B B A...),
so that machine noise hits both. For each it reports requests per second over
its measured segments, latency, answers by class, wrk's socket errors and
timeouts, and its workers' RSS after warm-up, at the end and at the peak
sampled during its segments; then the throughput ratio middleware / plain.

Mixes (``--mix``): ``events`` (default): ``GET /books``, a binary
``ObjectCreated:Put`` event, a structured ``ObjectRemoved:Delete`` event, a
batch of two events. ``full``: the same, then an event without ``ce-id``
(400), an event of a type the view refuses (400) and a 1 MiB octet-stream
upload to ``/books`` that is not an event (4xx: the middleware must not read
it).

Exit status 1 on any 5xx, socket error or timeout of the middleware variant,
or if a server stops answering or restarts a worker; with ``--strict``, also
if the ratio is under 0.9, the middleware variant's RSS at the end is 5% over
its RSS after warm-up, or its peak is (and more than a point over the plain
variant's own peak growth); 2 if the variants answer a probe differently.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BENCHMARKS = Path(__file__).resolve().parent
LUA = Path(__file__).with_suffix(".lua")

VARIANTS = {"middleware": "books.wsgi", "plain": "books_plain"}
ERRORS = ("s5xx", "connect_errors", "read_errors", "write_errors", "timeouts")
TARGET_RATIO = 0.9
TARGET_RSS_GROWTH = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def call(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """gunicorn serving ``module`` on a free port, its database in ``folder``."""

    def __init__(self, name: str, module: str, folder: Path, workers: int) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        folder.mkdir()
        self.log_path = folder / "gunicorn.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                module,
            ],
            cwd=EXAMPLES,
            env={
                **os.environ,
                "BOOKS_DATABASE": str(folder / "books.sqlite3"),
                "PYTHONPATH": os.pathsep.join(map(str, (ROOT, EXAMPLES, BENCHMARKS))),
            },
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.workers: list[int] = []
        self.baseline: dict[int, int] = {}
        self.peak: dict[int, int] = {}

    def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(f"{self.url}/books")[0] == 200 and len(self.children()) == workers:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.output()}")
            time.sleep(0.2)

    def children(self) -> list[int]:
        return children_of(self.process.pid)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sample(self) -> None:
        for pid in self.workers:
            self.peak[pid] = max(self.peak.get(pid, 0), status_kib(pid, "VmRSS"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def wrk(url: str, seconds: int, threads: int, connections: int, mix: str) -> dict[str, Any]:
    run = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
            "--",
            mix,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"^RESULT (\{.*\})$", run.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk said:\n{run.stdout}\n{run.stderr}")
    result: dict[str, Any] = json.loads(match.group(1))
    return result


def sampled_wrk(server: Server, **options: Any) -> dict[str, Any]:
    """wrk against ``server``, its workers' RSS sampled every 0.2 s meanwhile."""
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(0.2):
            server.sample()

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        return wrk(server.url, **options)
    finally:
        stop.set()
        thread.join()
        server.sample()


def probes() -> list[tuple[str, str, str, bytes, dict[str, str]]]:
    """One request of each kind of the full mix: (label, method, path, body, headers)."""
    source = "aws:s3.us-east-1.books"
    created = "com.amazonaws.s3.ObjectCreated:Put"

    def item(event_id: str, key: str) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": created,
            "subject": key,
            "data": {"s3": {"object": {"key": key, "size": 1}}},
        }

    structured = {
        "specversion": "1.0",
        "id": "rm-1",
        "source": source,
        "type": "com.amazonaws.s3.ObjectRemoved:Delete",
        "subject": "books/probe-1.epub",
        "datacontenttype": "application/json",
        "data": {"s3": {"object": {"key": "books/probe-1.epub"}}},
    }
    ce = {"Content-Type": "application/json", "ce-specversion": "1.0", "ce-source": source}
    return [
        (
            "binary",
            "POST",
            "/books/events",
            b'{"s3": {"object": {"key": "books/probe-1.epub", "size": 7}}}',
            {**ce, "ce-id": "p-1", "ce-type": created, "ce-subject": "books/probe-1.epub"},
        ),
        ("list", "GET", "/books", b"", {}),
        (
            "structured",
            "POST",
            "/books/events",
            json.dumps(structured).encode(),
            {"Content-Type": "application/cloudevents+json"},
        ),
        (
            "batch",
            "POST",
            "/books/events",
            json.dumps([item("b-1", "books/b-1.pdf"), item("b-2", "books/b-2.pdf")]).encode(),
            {"Content-Type": "application/cloudevents-batch+json"},
        ),
        ("list", "GET", "/books", b"", {}),
        ("no ce-id", "POST", "/books/events", b"{}", {**ce, "ce-type": created}),
        (
            "refused type",
            "POST",
            "/books/events",
            b"{}",
            {**ce, "ce-id": "x", "ce-type": "com.example.unknown"},
        ),
        (
            "upload",
            "POST",
            "/books",
            b"x" * 65536,
            {"Content-Type": "application/octet-stream"},
        ),
    ]


def same_answers(servers: list[Server]) -> list[str]:
    """Send each probe to every server: the differences (status, or books listed)."""
    differences = []
    for label, method, path, body, headers in probes():
        answers: list[tuple[int, Any]] = []
        for server in servers:
            status, text = call(server.url + path, method, body or None, headers)
            if label == "list":
                listed = [(b["key"], b["size"]) for b in json.loads(text)["books"]]
                answers.append((status, listed))
            elif label == "batch":
                answers.append((status, json.loads(text)))
            else:
                answers.append((status, None))
        if any(answer != answers[0] for answer in answers):
            named = dict(zip([s.name for s in servers], answers, strict=True))
            differences.append(f"{label}: {named}")
    return differences


def server_errors(server: Server) -> dict[str, int]:
    """The server's own account of any 5xx: the last line of each traceback, counted."""
    causes: dict[str, int] = {}
    for line in server.output().splitlines():
        if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line):
            causes[line[:160]] = causes.get(line[:160], 0) + 1
    return causes


def summary(server: Server, segments: list[dict[str, Any]]) -> dict[str, Any]:
    requests = sum(s["requests"] for s in segments)
    seconds = sum(s["seconds"] for s in segments)
    counts = {
        key: sum(s[key] for s in segments)
        for key in ("s2xx", "s4xx", "other", *ERRORS, "status_errors")
    }
    children = server.children()
    workers = []
    for pid in server.workers:
        baseline, end = server.baseline[pid], status_kib(pid, "VmRSS")
        peak = max(server.peak.get(pid, 0), end)
        workers.append(
            {
                "pid": pid,
                "rss_after_warmup_mb": round(baseline / 1024, 1),
                "rss_end_mb": round(end / 1024, 1),
                "rss_peak_mb": round(peak / 1024, 1),
                "growth_end": round(end / baseline - 1, 4) if baseline else None,
                "growth_peak": round(peak / baseline - 1, 4) if baseline else None,
            }
        )
    try:
        status, body = call(f"{server.url}/books")
        still, books = status == 200, len(json.loads(body)["books"])
    except (OSError, ValueError, KeyError):
        still, books = False, -1
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "segment_rps": [s["rps"] for s in segments],
        "p50_ms_median": sorted(s["p50_ms"] for s in segments)[len(segments) // 2],
        "p99_ms_max": max(s["p99_ms"] for s in segments),
        **counts,
        "errors": sum(counts[key] for key in ERRORS),
        "workers": workers,
        "rss_growth_end": max((w["growth_end"] or 0.0) for w in workers),
        "rss_growth_peak": max((w["growth_peak"] or 0.0) for w in workers),
        "same_workers": children == server.workers,
        "server_still_answers": still,
        "books_at_end": books,
        "server_errors": server_errors(server),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=72, help="measured, both variants")
    parser.add_argument("--segments", type=int, default=8, help="alternations (even)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds, each variant")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--mix", choices=("events", "full"), default="events")
    parser.add_argument("--quick", action="store_true", help="12 s measured, 1 s warm-up")
    parser.add_argument("--strict", action="store_true", help="fail on missed targets too")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.segments, args.warmup = 12, 4, 1
    if args.segments < 2 or args.segments % 2:
        parser.error("--segments must be even")
    segment_seconds = max(1, args.seconds // args.segments)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    options = {"threads": args.threads, "connections": args.connections, "mix": args.mix}
    folder = Path(tempfile.mkdtemp(prefix="books-load-"))
    servers: list[Server] = []
    try:
        for name, module in VARIANTS.items():
            servers.append(Server(name, module, folder / name, args.workers))
        for server in servers:
            server.wait_ready(args.workers)
        differences = same_answers(servers)
        if differences:
            print("the variants answer differently:", *differences, sep="\n  ", file=sys.stderr)
            return 2
        for server in servers:
            wrk(server.url, seconds=args.warmup, **options)
            server.workers = server.children()
            server.baseline = {pid: status_kib(pid, "VmRSS") for pid in server.workers}
        # A B B A A B B A...: each variant as often first as second, early as late.
        order = [servers[0], servers[1], servers[1], servers[0]] * args.segments
        segments: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
        for server in order[: args.segments]:
            result = sampled_wrk(server, seconds=segment_seconds, **options)
            segments[server.name].append(result)
        report: dict[str, Any] = {
            "settings": {
                "workers": args.workers,
                "wrk_threads": args.threads,
                "connections": args.connections,
                "mix": args.mix,
                "segments": args.segments,
                "segment_seconds": segment_seconds,
                "warmup_seconds": args.warmup,
                "cpus": os.cpu_count(),
            },
            **{s.name: summary(s, segments[s.name]) for s in servers},
        }
        with_, without = report["middleware"], report["plain"]
        report["ratio"] = round(with_["rps"] / without["rps"], 3) if without["rps"] else None
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report)
        ok = with_["errors"] == 0 and all(
            report[s.name]["server_still_answers"] and report[s.name]["same_workers"]
            for s in servers
        )
        if args.strict:
            # The peak may pass 5% only as far as the app's own does without
            # the middleware (the full mix's view reads 1 MiB bodies).
            peak_limit = max(TARGET_RSS_GROWTH, without["rss_growth_peak"] + 0.01)
            ok = (
                ok
                and (report["ratio"] or 0) >= TARGET_RATIO
                and with_["rss_growth_end"] < TARGET_RSS_GROWTH
                and with_["rss_growth_peak"] < peak_limit
            )
        return 0 if ok else 1
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def print_report(report: dict[str, Any]) -> None:
    settings = report["settings"]
    print(
        f"{settings['workers']} worker(s), {settings['connections']} connections, "
        f"{settings['wrk_threads']} wrk threads, mix {settings['mix']!r}, "
        f"{settings['segments']} x {settings['segment_seconds']} s alternated "
        f"after {settings['warmup_seconds']} s warm-up each, {settings['cpus']} CPUs"
    )
    for name in VARIANTS:
        r = report[name]
        print(
            f"{name:>10}: {r['rps']:8.1f} req/s ({r['requests']} in {r['seconds']} s; "
            f"segments {', '.join(f'{x:.0f}' for x in r['segment_rps'])}), "
            f"p50 {r['p50_ms_median']:.1f} ms, p99 {r['p99_ms_max']:.1f} ms, "
            f"2xx {r['s2xx']} 4xx {r['s4xx']} 5xx {r['s5xx']}, socket errors "
            f"{r['connect_errors'] + r['read_errors'] + r['write_errors']}, "
            f"timeouts {r['timeouts']}; {r['books_at_end']} books at the end"
        )
        for w in r["workers"]:
            print(
                f"{'':>12}worker {w['pid']}: RSS after warm-up {w['rss_after_warmup_mb']} MB, "
                f"end {w['rss_end_mb']} MB ({w['growth_end']:+.1%}), "
                f"peak {w['rss_peak_mb']} MB ({w['growth_peak']:+.1%})"
            )
        if r["server_errors"]:
            print(f"{'':>12}server errors: {r['server_errors']}")
        if not (r["same_workers"] and r["server_still_answers"]):
            print(f"{'':>12}workers restarted or server not answering!")
    ratio = report["ratio"]
    verdict = "ok" if ratio is not None and ratio >= TARGET_RATIO else "UNDER TARGET"
    print(f"ratio middleware / plain: {ratio} (target >= {TARGET_RATIO}: {verdict})")


if __name__ == "__main__":
    sys.exit(main())
