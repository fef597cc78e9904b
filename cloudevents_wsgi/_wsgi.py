"""Run a WSGI application to completion and keep its whole answer.

Used by the Lambda shim (which must hand Lambda one complete response) and by
the middleware (which calls the app once per event of a batch and combines the
answers). PEP 3333's rules for the server side are enforced, the strictest of
the two runners this replaced: a status line that is not ``NNN reason`` or a
body before ``start_response`` raises ``RuntimeError``/``ValueError``, a second
``start_response`` is allowed only with ``exc_info`` (re-raised once a body was
sent), ``write()`` and the returned iterable both count, and the iterable's
``close()`` is always called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["Response", "run"]


# A status line: ``[1-5][0-9][0-9](?: [^\x00-\x08\x0a-\x1f\x7f]*)?\Z``: no
# control character but HTAB in the reason phrase (PEP 3333, RFC 9112): one
# ending in "\r\n..." would reach ALB's and VPC Lattice's statusDescription.
# Checked with string methods, not an expression compiled at import (150 us of
# Lambda's cold start): it runs once per status line, remembered below.
_CONTROL: Final = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))


def _is_status_line(status: str) -> bool:
    """Whether ``status`` is a WSGI status line (above)."""
    code, phrase = status[:3], status[3:]
    return (
        len(code) == 3
        and code.isascii()
        and code.isdigit()
        and "1" <= code[0] <= "5"
        and (not phrase or phrase[0] == " ")
        and ((phrase.isascii() and phrase.isprintable()) or _CONTROL.isdisjoint(phrase))
    )


# The status lines already matched, with their codes (apps answer few): one
# lookup (30 ns) where the check costs 200 to 300 and int(status[:3]) 170. Bounded,
# as apps choose reason phrases.
_SEEN_STATUS_LINES: dict[str, int] = {}
_SEEN_MAX = 64
_SEEN_LENGTH_MAX = 64


def _status_code(status: str, remember: bool) -> int:
    """The code of a status line ``_is_status_line`` accepted, remembered if asked."""
    code = int(status[:3])
    if remember and len(_SEEN_STATUS_LINES) < _SEEN_MAX and len(status) <= _SEEN_LENGTH_MAX:
        _SEEN_STATUS_LINES[status] = code
    return code


class Response:
    """What the app answered: ``status`` (``"200 OK"``), ``headers`` and the
    body ``chunks``, as a buffering server's side of ``start_response`` sees them."""

    __slots__ = ("chunks", "code", "headers", "status")

    def __init__(
        self,
        status: str = "",
        headers: list[tuple[str, str]] | None = None,
        chunks: list[bytes] | None = None,
    ) -> None:
        self.status = status
        #: The status code (``int``); 0 before ``start_response``.
        self.code = int(status[:3]) if status else 0
        self.headers: list[tuple[str, str]] = [] if headers is None else headers
        self.chunks: list[bytes] = [] if chunks is None else chunks

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.code < 300

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (lower case), or ``None``."""
        values = [v for k, v in self.headers if k.lower() == name]
        return values[-1] if values else None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            try:
                if self.chunks:  # PEP 3333: the headers count as sent
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status:
            raise RuntimeError("start_response called a second time without exc_info")
        code = _SEEN_STATUS_LINES.get(status) if type(status) is str else None
        if code is None:
            plain = type(status) is str
            if not plain and isinstance(status, str):
                # Its own characters, as a plain str: the check reads slices,
                # which a subclass may answer otherwise (the expression read
                # the characters), and they are what is kept and written on.
                status = str.__str__(status)
            if not isinstance(status, str) or not _is_status_line(status):
                raise ValueError(f"not a WSGI status line: {status!r}")
            code = _status_code(status, remember=plain)  # apps answer plain str
        self.status = status
        self.code = code
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        if data:
            self.chunks.append(bytes(data))


_new: Final = object.__new__


def run(app: WSGIApplication, environ: WSGIEnvironment) -> Response:
    """Call ``app`` and collect its whole answer.

    Raises what the app raised, ``RuntimeError`` when it broke the protocol
    (no ``start_response``, a body before it) and ``ValueError`` for a status
    that is not a WSGI status line.
    """
    # Response() with no arguments, without the __init__ frame CPython runs
    # for a class call (about 450 instructions of a Lambda HTTP request, measured).
    response = _new(Response)
    response.status = ""
    response.code = 0
    response.headers = []
    response.chunks = chunks = []
    iterable: Iterable[bytes] = app(environ, response.start_response)
    try:
        for chunk in iterable:
            if chunk:
                if not response.status:
                    raise RuntimeError("the application sent a body before start_response")
                chunks.append(chunk if type(chunk) is bytes else bytes(chunk))
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if not response.status:
        raise RuntimeError("the application returned without calling start_response")
    return response
