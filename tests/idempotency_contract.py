"""What every idempotency store must do, as plain functions: run in-process for
most stores, and in a subprocess for Django's caches (Django's settings are
global to a process). Each raises AssertionError on a broken promise."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from cloudevents_wsgi.idempotency import IN_PROGRESS, event_key


def fresh_key() -> str:
    return event_key("tests/contract", str(uuid.uuid4()))


def check_claim_complete_release(store: Any) -> None:
    key = fresh_key()
    assert store.claim(key, 60) is None, "the first claim is won"
    assert store.claim(key, 60) == IN_PROGRESS, "a second claim sees the first"
    store.release(key)
    assert store.claim(key, 60) is None, "a released claim can be won again"
    store.complete(key, 201, 60)
    assert store.claim(key, 60) == 201, "a completed event gives its status"
    store.release(key)
    assert store.claim(key, 60) == 201, "release leaves a completed event alone"
    other = fresh_key()
    assert store.claim(other, 60) is None, "keys are independent"


def check_expiry(store: Any) -> None:
    claimed, completed = fresh_key(), fresh_key()
    assert store.claim(claimed, 1) is None
    assert store.claim(completed, 60) is None
    store.complete(completed, 204, 1)
    time.sleep(2.2)  # past the 1 s times in every backend (some keep whole seconds)
    assert store.claim(claimed, 60) is None, "an expired claim is free again"
    assert store.claim(completed, 60) is None, "an expired completion is forgotten"


def check_threads_race(store: Any, threads: int = 8, keys: int = 20) -> None:
    """``threads`` threads claim the same ``keys`` keys at once: each key is won once."""
    names = [fresh_key() for _ in range(keys)]
    barrier = threading.Barrier(threads)
    wins: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        for name in names:
            if store.claim(name, 60) is None:
                with lock:
                    wins.append(name)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(wins) == sorted(names), "every key is won by exactly one thread"


CHECKS = (check_claim_complete_release, check_expiry, check_threads_race)
