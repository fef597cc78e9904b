"""Idempotent delivery: the app handles each CloudEvent at most once.

Event platforms deliver at least once: SQS, SNS, Event Grid, Pub/Sub, Knative
and Dapr all redeliver an event whose answer was lost or late. A CloudEvent is
identified by its ``source`` and ``id`` (CloudEvents 1.0, section 3.1.1: "Producers
MUST ensure that source + id is unique for each distinct event"), so a store
that remembers which pairs were handled can answer a redelivery without
calling the app again::

    from cloudevents_wsgi import CloudEventsMiddleware
    from cloudevents_wsgi.idempotency import SQLiteStore

    application = CloudEventsMiddleware(app, idempotency=SQLiteStore("/var/lib/app/events.db"))

For each event (every event of a batch separately), :func:`idempotent`:

1. **claims** the event in the store, for ``claim_ttl`` seconds;
2. if the claim is won, calls the app and collects its whole answer. A 2xx
   answer is **completed** (its status remembered for ``ttl`` seconds) before
   it is sent, so that the sender cannot redeliver ahead of the record. A
   non-2xx answer or an exception **releases** the claim, so that the sender's
   retry runs the app again;
3. if the event was completed before, answers with the first answer's status
   (``Idempotent-Replayed: true``, and ``{"duplicate": true}`` where the status
   allows a body) without calling the app;
4. if another worker holds the claim (the event is being handled now), answers
   ``409 Conflict`` with ``Retry-After``: Knative, Pub/Sub and Event Grid
   retry a 409 (Event Grid: https://learn.microsoft.com/azure/event-grid/delivery-and-retry),
   Dapr through :func:`cloudevents_wsgi.dapr.dapr_status`, and the Lambda shim
   reports it as a failed batch record.

Choose ``claim_ttl`` longer than the app ever takes (the default, 900 s, is
the longest a Lambda function runs): a claim whose holder died is free again
after it. A store that cannot be reached raises, so the sender retries later,
rather than risking a second run.

Stores: :class:`MemoryStore` (one process; tests), :class:`SQLiteStore`
(the standard library; processes sharing a file), :class:`DjangoCacheStore`
(Django's cache framework) and :class:`RedisStore` (the ``redis`` extra). Any
object with the three methods of :class:`IdempotencyStore` will do (DynamoDB
with a conditional ``PutItem``, say).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from .dispatch import run_event
from .environ import CLOUDEVENT
from .errors import ConfigurationError, problem_answer

if TYPE_CHECKING:
    import sqlite3

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "DEFAULT_CLAIM_TTL",
    "DEFAULT_TTL",
    "IDEMPOTENCY_KEY",
    "IN_PROGRESS",
    "DjangoCacheStore",
    "IdempotencyStore",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "event_key",
    "idempotent",
]

logger = logging.getLogger("cloudevents_wsgi")

#: What :meth:`IdempotencyStore.claim` returns while another caller holds the claim.
IN_PROGRESS: Final = 0
#: Seconds a completed event is remembered: a day covers the retry schedules of
#: Event Grid (24 h), Knative and Dapr, and most SQS redrive policies.
DEFAULT_TTL: Final = 86400.0
#: Seconds a claim holds when its holder neither completes nor releases it
#: (a crash): 15 minutes, the longest a Lambda invocation runs.
DEFAULT_CLAIM_TTL: Final = 900.0
#: The environ key holding the key of the event a layer has claimed, so that a
#: second idempotent layer around the same call does not claim it again.
IDEMPOTENCY_KEY: Final = "cloudevents_wsgi.idempotency"
#: Seconds a sender is asked to wait before retrying an event being handled.
RETRY_AFTER: Final = 5


@runtime_checkable
class IdempotencyStore(Protocol):
    """What :func:`idempotent` needs from a store. Times are in seconds.

    ``key`` is a short ASCII string (:func:`event_key`). A stored entry is
    either :data:`IN_PROGRESS` (``0``, a claim) or the HTTP status (``200`` to
    ``299``) of a completed event; it expires after the ``ttl`` last given.
    """

    def claim(self, key: str, ttl: float) -> int | None:
        """Atomically: if ``key`` has no live entry, store :data:`IN_PROGRESS`
        for ``ttl`` seconds and return ``None`` (the caller holds the claim);
        otherwise return the live entry. Two callers racing for one key must
        never both get ``None``."""
        ...

    def complete(self, key: str, status: int, ttl: float) -> None:
        """Replace the claim on ``key`` with ``status``, kept for ``ttl`` seconds."""
        ...

    def release(self, key: str) -> None:
        """Remove the claim on ``key`` (an entry that is not a claim stays)."""
        ...


def event_key(source: str, event_id: str) -> str:
    """The store key of the event ``(source, id)``: ``"ce:"`` and 64 hex digits.

    A SHA-256 of both attributes, so that keys are short, ASCII and safe for
    any store (memcached refuses keys over 250 bytes or with spaces), and no
    two pairs share a key by concatenation.
    """
    digest = hashlib.sha256(json.dumps([source, event_id]).encode("utf-8")).hexdigest()
    return f"ce:{digest}"


def idempotent(
    app: WSGIApplication,
    store: IdempotencyStore,
    *,
    ttl: float = DEFAULT_TTL,
    claim_ttl: float = DEFAULT_CLAIM_TTL,
) -> WSGIApplication:
    """``app``, called at most once per CloudEvent (see the module).

    A WSGI application for use inside :class:`~cloudevents_wsgi.CloudEventsMiddleware`
    (``idempotency=store`` uses it with the default times); it reads the event
    at ``environ["cloudevent"]`` and passes every request without one straight
    to ``app``. ``ttl`` and ``claim_ttl`` are seconds.
    """
    if isinstance(store, type) or not isinstance(store, IdempotencyStore):
        raise ConfigurationError(
            f"an idempotency store needs claim(), complete() and release(), not {store!r}"
        )
    for name, value in (("ttl", ttl), ("claim_ttl", claim_ttl)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")

    def call(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        event = environ.get(CLOUDEVENT)
        if event is None:
            return app(environ, start_response)
        key = event_key(event.get_source(), event.get_id())
        if environ.get(IDEMPOTENCY_KEY) == key:
            return app(environ, start_response)  # an outer layer holds the claim
        state = store.claim(key, claim_ttl)
        if state is not None:
            return _answer_redelivery(state, start_response)
        environ[IDEMPOTENCY_KEY] = key
        # The whole answer first, so that its outcome is recorded before the
        # sender can see it (and send the event again).
        response, exc_info = run_event(app, environ)
        status, headers, chunks, code = (
            response.status,
            response.headers,
            response.chunks,
            response.code,
        )
        _settle(store, key, code if exc_info is None and 200 <= code < 300 else None, ttl)
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        start_response(status, headers)
        return chunks

    return call


def _settle(store: IdempotencyStore, key: str, status: int | None, ttl: float) -> None:
    """Complete the claim with ``status``, or release it (``None``)."""
    try:
        if status is not None:
            store.complete(key, status, ttl)
        else:
            store.release(key)
    except Exception:
        # The app has run; the claim expires by itself.
        logger.exception("the idempotency store failed to record an event's outcome")


def _answer_redelivery(state: int, start_response: StartResponse) -> list[bytes]:
    if state == IN_PROGRESS:
        status_line, headers, body = problem_answer(
            409,
            "id",
            "an earlier delivery of this event is being handled; retry later",
            headers=[("Retry-After", str(RETRY_AFTER))],
        )
        start_response(status_line, headers)
        return [body]
    status = f"{state} {_phrase(state)}".rstrip()
    if state in (204, 205):
        start_response(status, [("Idempotent-Replayed", "true")])
        return []
    body = b'{"duplicate": true}'
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Idempotent-Replayed", "true"),
        ],
    )
    return [body]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# -- stores --------------------------------------------------------------------------


class MemoryStore:
    """A dict in this process, guarded by a lock: for tests and single-process
    servers (every process of gunicorn has its own, so duplicates between them
    are not caught). Expired entries are dropped as new claims come in."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._claims = 0

    def claim(self, key: str, ttl: float) -> int | None:
        with self._lock:
            now = self._clock()
            self._claims += 1
            if self._claims % 1024 == 0:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            entry = self._entries.get(key)
            if entry is not None and entry[1] > now:
                return entry[0]
            self._entries[key] = (IN_PROGRESS, now + ttl)
            return None

    def complete(self, key: str, status: int, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (status, self._clock() + ttl)

    def release(self, key: str) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == IN_PROGRESS:
                del self._entries[key]

    def __len__(self) -> int:
        """Entries held, expired ones included until they are dropped."""
        return len(self._entries)


class SQLiteStore:
    """A table in an SQLite database file, shared by the threads and processes
    of one machine (not over a network file system: SQLite's locks need a
    local one).

    A claim is one ``BEGIN IMMEDIATE`` transaction (the database's write lock
    is taken first, so two claimers are serialised): an upsert that takes the
    key only where its entry has expired. Times are wall-clock (``time.time``),
    so that processes agree. Each thread has its own connection; ``timeout``
    is the seconds to wait for another writer's lock. The database is put in
    WAL mode with ``synchronous=NORMAL``: a commit costs no fsync (a new event about 0.15 ms
    instead of 1.4 ms, measured here), and a power cut may forget the last records, whose
    events then run again.
    """

    def __init__(
        self, path: str, *, table: str = "cloudevents_idempotency", timeout: float = 30.0
    ) -> None:
        if not table.isidentifier() or not table.isascii():
            raise ConfigurationError(f"table must be a plain SQL identifier, not {table!r}")
        self.path = path
        self.table = table
        self.timeout = timeout
        self._local = threading.local()
        with self._transaction() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(key TEXT PRIMARY KEY, status INTEGER NOT NULL, expires REAL NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        # One per thread, and never one inherited through fork() (gunicorn's
        # --preload): SQLite connections must not cross processes.
        pid = os.getpid()
        if getattr(self._local, "pid", None) != pid:
            import sqlite3

            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            # WAL: readers never wait for the writer; NORMAL: no fsync per
            # commit (a power cut may forget the last records: those events
            # then run again, which at-least-once delivery allows anyway).
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            self._local.pid = pid
        connection: sqlite3.Connection = self._local.db
        return connection

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    def claim(self, key: str, ttl: float) -> int | None:
        now = time.time()
        with self._transaction() as db:
            taken = db.execute(
                f"INSERT INTO {self.table} (key, status, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET status = excluded.status, "
                f"expires = excluded.expires WHERE {self.table}.expires <= ?",
                (key, IN_PROGRESS, now + ttl, now),
            ).rowcount
            if taken == 1:
                return None
            row = db.execute(f"SELECT status FROM {self.table} WHERE key = ?", (key,)).fetchone()
            return int(row[0])

    def complete(self, key: str, status: int, ttl: float) -> None:
        with self._transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO {self.table} (key, status, expires) VALUES (?, ?, ?)",
                (key, status, time.time() + ttl),
            )

    def release(self, key: str) -> None:
        with self._transaction() as db:
            db.execute(f"DELETE FROM {self.table} WHERE key = ? AND status = ?", (key, IN_PROGRESS))

    def purge(self) -> int:
        """Delete the expired entries; returns how many. Run it now and then
        (a cron job, say): expired entries are otherwise only overwritten."""
        with self._transaction() as db:
            return int(
                db.execute(f"DELETE FROM {self.table} WHERE expires <= ?", (time.time(),)).rowcount
            )


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


class DjangoCacheStore:
    """A Django cache (``settings.CACHES``): ``cache.add`` makes the claim.

    ``cache`` is an alias (``"default"``) or a cache object. ``add`` is atomic
    in the Redis, Memcached and database backends, which processes and machines
    share; the local-memory backend is one process's, and the file backend's
    ``add`` is not atomic between processes. Timeouts are rounded up to whole
    seconds (a timeout of 0 would mean "do not store" to Django).
    """

    def __init__(self, cache: Any = "default", *, prefix: str = "cloudevents_wsgi:") -> None:
        if isinstance(cache, str):
            from django.core.cache import caches

            cache = caches[cache]
        self.cache = cache
        self.prefix = prefix

    def claim(self, key: str, ttl: float) -> int | None:
        name = self.prefix + key
        for _ in range(3):
            if self.cache.add(name, IN_PROGRESS, timeout=math.ceil(ttl)):
                return None
            state = self.cache.get(name)
            if state is not None:
                return int(state)
            # It expired or was released between add and get: try again.
        return IN_PROGRESS

    def complete(self, key: str, status: int, ttl: float) -> None:
        self.cache.set(self.prefix + key, status, timeout=math.ceil(ttl))

    def release(self, key: str) -> None:
        name = self.prefix + key
        if self.cache.get(name) == IN_PROGRESS:
            self.cache.delete(name)


#: Deletes a key only while it holds a claim, in one step on the server.
_RELEASE_SCRIPT: Final = (
    "if redis.call('GET', KEYS[1]) == '0' then return redis.call('DEL', KEYS[1]) end return 0"
)


class RedisStore:
    """A Redis server (the ``redis`` extra): ``SET key 0 NX PX ttl`` makes the claim.

    ``client`` is a ``redis.Redis`` (or anything with its ``set``, ``get`` and
    ``eval``); :meth:`from_url` makes one. Milliseconds are rounded up.
    """

    def __init__(self, client: Any, *, prefix: str = "cloudevents_wsgi:") -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "cloudevents_wsgi:") -> RedisStore:
        """A store on the server at ``url`` (``redis://127.0.0.1:6379/0``)."""
        import redis

        return cls(redis.Redis.from_url(url), prefix=prefix)

    def claim(self, key: str, ttl: float) -> int | None:
        name = self.prefix + key
        for _ in range(3):
            if self.client.set(name, IN_PROGRESS, nx=True, px=_milliseconds(ttl)):
                return None
            state = self.client.get(name)
            if state is not None:
                return int(state)
        return IN_PROGRESS

    def complete(self, key: str, status: int, ttl: float) -> None:
        self.client.set(self.prefix + key, status, px=_milliseconds(ttl))

    def release(self, key: str) -> None:
        self.client.eval(_RELEASE_SCRIPT, 1, self.prefix + key)


def _milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
