"""Shared machinery of the fuzz harnesses: an input decoder, JSON generation
and mutation, and the real sample events used as seeds.

Every harness is a function ``one_input(data: bytes) -> None`` that decodes
its whole input (method, headers, body, options...) from ``data`` with
:class:`Input`, so the same function runs under atheris (coverage-guided) and
under the deterministic driver in :mod:`fuzz.run` (random bytes from a seeded
generator). A harness raises :class:`InvariantViolation` (or lets an
unexpected exception escape) when an invariant breaks.

The seeds are the real sample events under ``../shared/fixtures`` (or
``$CLOUDEVENTS_WSGI_FIXTURES``), read at run time and never copied into the
repository; without them the harnesses generate from the key and value
vocabulary below alone.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import zlib
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("CLOUDEVENTS_WSGI_FIXTURES", ROOT.parent / "shared" / "fixtures"))


class InvariantViolation(AssertionError):
    """A harness invariant does not hold."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise InvariantViolation(message)


class Input:
    """Decodes choices from fuzz input bytes; reads zeros once they run out."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def byte(self) -> int:
        if self._pos >= len(self._data):
            return 0
        value = self._data[self._pos]
        self._pos += 1
        return value

    def below(self, n: int) -> int:
        """A number in ``range(n)``."""
        if n <= 1:
            return 0
        if n <= 256:
            return self.byte() % n
        return ((self.byte() << 16) | (self.byte() << 8) | self.byte()) % n

    def chance(self, percent: int) -> bool:
        return self.below(100) < percent

    def pick(self, options: Sequence[T]) -> T:
        return options[self.below(len(options))]

    def raw(self, limit: int) -> bytes:
        length = self.below(limit + 1)
        chunk = self._data[self._pos : self._pos + length]
        self._pos += len(chunk)
        return chunk

    def text(self, limit: int = 24) -> str:
        kind = self.below(8)
        if kind == 0:
            return self.pick(STRINGS) if STRINGS else ""
        if kind == 1:
            return self.raw(limit).decode("latin-1")
        if kind == 2:
            return self.raw(limit).decode("utf-8", "replace")
        if kind == 3:
            return "".join(self.pick(ODD_CHARS) for _ in range(self.below(limit) + 1))
        return self.pick(vocabulary().strings)


# Characters that break parsers: controls, quotes, escapes, surrogates,
# noncharacters, separators, percent signs.
ODD_CHARS: tuple[str, ...] = (
    "a",
    "Z",
    "0",
    " ",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x7f",
    "\x85",
    '"',
    "\\",
    "%",
    "%2",
    "%zz",
    "%41",
    "%C3%A9",
    "%FF",
    ";",
    ",",
    "=",
    "/",
    ":",
    "?",
    "#",
    "@",
    "[",
    "]",
    "{",
    "}",
    "+",
    "é",
    "\u2028",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\U0001f600",
    "\U0010ffff",
)

STRINGS: tuple[str, ...] = (
    "",
    "1.0",
    "0.3",
    "2.0",
    "null",
    "true",
    "{}",
    "[]",
    "x" * 300,
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.123456789+01:00",
    "2024-02-30T25:61:61Z",
    "2024-05-01 10:00:00",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00Z",
    "1714557600000",
    "1714557600.5",
    "-1",
    "https://example.com/a?b=c#d",
    "//pubsub.googleapis.com/projects/p/topics/t",
    "http://[::1]:8080/x",
    "urn:example:1",
    "relative/ref",
    "%",
    "%zz",
    "a%20b",
    "application/json",
    "application/json; charset=latin-1",
    "application/json; charset=nope",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "application/cloudevents+xml",
    "text/plain; charset=utf-8",
    "text/plain; charset=utf-16",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "*/*",
    "AQIDBA==",
    "not base64!",
    "H4sIAAAAAAAA/w==",
    "aws:s3",
    "aws:sqs",
    "aws:sns",
    "aws:kinesis",
    "aws:dynamodb",
    "aws:ses",
    "Notification",
    "SubscriptionConfirmation",
    "UnsubscribeConfirmation",
    "Microsoft.EventGrid.SubscriptionValidationEvent",
    "INSERT",
    "MODIFY",
    "REMOVE",
    "DATA_MESSAGE",
    "CONTROL_MESSAGE",
    "ObjectCreated:Put",
    "s3:TestEvent",
    "arn:aws:sqs:us-east-1:123456789012:q.fifo",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
    "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
    "http://sns.us-east-1.amazonaws.com/x.pem",
    "https://user@sns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com:8443/x.pem",
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
    "google.cloud.pubsub.topic.v1.messagePublished",
    "providers/cloud.pubsub/eventTypes/topic.publish",
    "google.storage.object.finalize",
    "projects/p/subscriptions/s",
)

INTS: tuple[int, ...] = (
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**53,
    2**63,
    10**30,
    1714557600,
    1714557600000,
    253402300800000,
)
FLOATS: tuple[float, ...] = (0.5, -0.0, 1.0, 1e308, 5e-324, 1714557600.123, -1.5)


class Vocabulary:
    """Keys, strings and documents seen in the real samples."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.strings: list[str] = list(STRINGS)
        self.documents: dict[str, list[str]] = {}  # folder -> JSON texts

    def add(self, folder: str, document: Any) -> None:
        self.documents.setdefault(folder, []).append(json.dumps(document))
        keys: set[str] = set(self.keys)
        strings: set[str] = set(self.strings)
        for node in walk(document):
            if isinstance(node, dict):
                for key in node:
                    if key not in keys:
                        keys.add(key)
                        self.keys.append(key)
            elif isinstance(node, str) and len(node) <= 120 and node not in strings:
                strings.add(node)
                self.strings.append(node)


def walk(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


@cache
def vocabulary() -> Vocabulary:
    """The samples under FIXTURES, read once (none when the folder is absent)."""
    vocab = Vocabulary()
    if FIXTURES.is_dir():
        for path in sorted(FIXTURES.rglob("*.json")):
            folder = path.parent.relative_to(FIXTURES).as_posix()
            try:
                document = json.loads(path.read_bytes().decode("utf-8-sig"))
            except ValueError:
                continue
            if folder == "cloudevents/conformance":
                for test in document.get("tests", []):
                    for key in ("event", "batch"):
                        if key in test:
                            vocab.add(folder, test[key])
            elif folder != "cloudevents/schema":
                vocab.add(folder, document)
    if not vocab.keys:
        vocab.keys.extend(["id", "type", "source", "Records", "data", "message"])
    return vocab


def seed(inp: Input, folders: Sequence[str] | None = None) -> Any:
    """A fresh copy of a real sample (from one of ``folders``), or None."""
    documents = vocabulary().documents
    names = [f for f in (folders or sorted(documents)) if f in documents]
    if not names:
        return None
    return json.loads(inp.pick(documents[inp.pick(names)]))


def gen_json(inp: Input, depth: int = 0) -> Any:
    """An arbitrary JSON value, keys and strings mostly from the samples."""
    kind = inp.below(12 if depth < 4 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return inp.chance(50)
    if kind == 2:
        return inp.pick(INTS)
    if kind == 3:
        return inp.pick(FLOATS)
    if kind == 4:
        return inp.below(1000)
    if kind in (5, 6):
        return inp.text()
    if kind in (7, 8):
        return [gen_json(inp, depth + 1) for _ in range(inp.below(4))]
    obj: dict[str, Any] = {}
    for _ in range(inp.below(6)):
        key = inp.pick(vocabulary().keys) if inp.chance(85) else inp.text(8)
        obj[key] = gen_json(inp, depth + 1)
    return obj


def mutate_json(inp: Input, document: Any, rounds: int = 4) -> Any:
    """``document`` with a few random edits (in place where it can)."""
    for _ in range(inp.below(rounds) + 1):
        slots: list[tuple[Any, Any]] = []
        stack = [document]
        while stack and len(slots) < 4000:
            node = stack.pop()
            if isinstance(node, dict):
                for key, child in node.items():
                    slots.append((node, key))
                    stack.append(child)
            elif isinstance(node, list):
                for index, child in enumerate(node):
                    slots.append((node, index))
                    stack.append(child)
        if not slots:
            return gen_json(inp) if inp.chance(50) else document
        parent, key = inp.pick(slots)
        value = parent[key]
        action = inp.below(12)
        if action == 0:
            parent[key] = gen_json(inp)
        elif action == 1:
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif action == 2 and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(value)))
        elif action == 2:
            parent[inp.pick(vocabulary().keys)] = gen_json(inp)
        elif action == 3:
            parent[key] = inp.pick(vocabulary().strings)
        elif action == 4:
            parent[key] = str(value) if not isinstance(value, str) else _retype(inp, value)
        elif action == 5 and isinstance(value, str):
            parent[key] = mutate_embedded(inp, value)
        elif action == 6:
            parent[key] = [] if inp.chance(50) else {}
        elif action == 7:
            parent[key] = inp.pick(INTS) if inp.chance(70) else inp.pick(FLOATS)
        elif action == 8 and isinstance(value, str):
            parent[key] = (
                value + inp.text(6) if inp.chance(50) else value[: inp.below(len(value) + 1)]
            )
        elif action == 9:
            parent[key] = None
        elif action == 10 and isinstance(value, list) and value:
            parent[key] = value * (inp.below(3) + 2)
        else:
            parent[key] = inp.text()
    return document


def _retype(inp: Input, value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return inp.pick((0, True, [value], {"S": value}))


def mutate_embedded(inp: Input, value: str) -> str:
    """Edit JSON hidden in a string: as it is, base64'd, or gzip+base64'd."""
    try:
        inner = json.loads(value)
    except ValueError:
        inner = None
    if isinstance(inner, (dict, list)):
        return json.dumps(mutate_json(inp, inner, 2))
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return inp.text()
    gzipped = raw[:2] == b"\x1f\x8b"
    try:
        plain = gzip.decompress(raw) if gzipped else raw
        inner = json.loads(plain)
    except (ValueError, OSError, EOFError, zlib.error):
        return base64.b64encode(mutate_bytes(inp, raw)).decode()
    text = json.dumps(mutate_json(inp, inner, 2)).encode()
    if gzipped:
        text = gzip.compress(text, mtime=0) if inp.chance(80) else zlib.compress(text)
    return base64.b64encode(text).decode()


def mutate_bytes(inp: Input, body: bytes) -> bytes:
    """Byte-level damage: truncation, flipped and inserted bytes, a BOM."""
    data = bytearray(body)
    for _ in range(inp.below(3) + 1):
        action = inp.below(7)
        where = inp.below(len(data) + 1)
        if action == 0:
            del data[where:]
        elif action == 1 and data:
            data[min(where, len(data) - 1)] = inp.byte()
        elif action == 2:
            data[where:where] = inp.raw(8)
        elif action == 3:
            data[0:0] = b"\xef\xbb\xbf"
        elif action == 4:
            data[where:where] = inp.pick((b"\\u", b'"', b"\\ud800", b"NaN", b"1e999", b"\xff"))
        elif action == 5:
            del data[where : where + inp.below(16)]
        else:
            data[where:where] = inp.pick((b"{", b"[", b"}", b"]", b",", b":"))
    return bytes(data)


def deep(inp: Input) -> bytes:
    """JSON nested far too deeply (up to 100000 levels), closed or not."""
    depth = inp.pick((129, 200, 1000, 5000, 100000))
    opener, closer = inp.pick(((b"[", b"]"), (b'{"a":', b"}"), (b'{"data":[', b"]}")))
    body = opener * depth + b"1"
    return body + closer * depth if inp.chance(70) else body


def body_of(inp: Input, value: Any) -> bytes:
    """``value`` as a request body, sometimes damaged or replaced."""
    kind = inp.below(20)
    if kind == 0:
        return inp.raw(256)
    if kind == 1:
        return deep(inp)
    text = json.dumps(value, ensure_ascii=inp.chance(50)).encode("utf-8", "surrogatepass")
    if kind < 5:
        return mutate_bytes(inp, text)
    return text
