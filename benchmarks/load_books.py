"""Load test: the books example under gunicorn, hammered by wrk with a mix of
CloudEvents (binary, structured, batched), invalid events and plain requests.

Run from the repository root (needs ``wrk`` and the ``examples`` extra)::

    python benchmarks/load_books.py                 # 20 s, 2 wrk threads, 16 connections
    python benchmarks/load_books.py --seconds 60 --connections 64 --workers 2

It starts ``gunicorn books.wsgi`` on 127.0.0.1 (a fresh SQLite database in a
temporary folder), runs wrk with a Lua script that sends, in turn:
``GET /books``; a binary-mode ``ObjectCreated:Put`` event (a new key each
time); a structured ``ObjectRemoved:Delete`` event; a batch of two events; an
invalid event (no ``ce-id``: must be 400); an event of a type the view
refuses (400); a 1 MiB octet-stream upload to ``/books`` that is not an
event (the view answers 4xx; the middleware must not read it). wrk's
``response()`` hook counts answers by class; afterwards the script checks
that the server still answers, reads the workers' peak RSS, and prints the
figures. It fails (exit 1) on any 5xx, socket error or timeout.
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
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

LUA = Path(__file__).with_suffix(".lua")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def workers_of(pid: int) -> list[int]:
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


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="books-load-"))
    port = free_port()
    log = open(folder / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "books.wsgi",
        ],
        cwd=EXAMPLES,
        env={
            **os.environ,
            "BOOKS_DATABASE": str(folder / "books.sqlite3"),
            "PYTHONPATH": f"{ROOT}{os.pathsep}{EXAMPLES}",
        },
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"http://127.0.0.1:{port}/books")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print((folder / "gunicorn.log").read_text(), file=sys.stderr)
                    return 2
                time.sleep(0.2)
        workers = workers_of(server.pid)
        baseline = {pid: status_kib(pid, "VmRSS") for pid in workers}
        script = LUA
        run = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        match = re.search(r"^RESULT (\{.*\})$", run.stdout, re.MULTILINE)
        if match is None:
            print(run.stdout, run.stderr, file=sys.stderr)
            return 2
        result: dict[str, Any] = json.loads(match.group(1))
        status, body = get(f"http://127.0.0.1:{port}/books")
        result["server_still_answers"] = status == 200
        result["books_after"] = len(json.loads(body)["books"])
        result["workers"] = [
            {
                "baseline_rss_mb": round(baseline.get(pid, 0) / 1024, 1),
                "rss_mb": round(status_kib(pid, "VmRSS") / 1024, 1),
                "peak_rss_mb": round(status_kib(pid, "VmHWM") / 1024, 1),
            }
            for pid in workers_of(server.pid)
        ]
        result["same_workers"] = sorted(workers_of(server.pid)) == sorted(workers)
        # The server's own account of any 5xx: the last line of each traceback, counted.
        causes: dict[str, int] = {}
        for line in (folder / "gunicorn.log").read_text(errors="replace").splitlines():
            if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line):
                causes[line[:160]] = causes.get(line[:160], 0) + 1
        result["server_errors"] = causes
        print(json.dumps(result, indent=2))
        errors = sum(
            result[k] for k in ("s5xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        )
        return 0 if errors == 0 and result["server_still_answers"] else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
