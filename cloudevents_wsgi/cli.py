"""The ``cloudevents-wsgi`` command: try an app with events, locally.

``invoke APP EVENT``
    run a Lambda handler (or, with ``--wsgi``, a WSGI app behind the Lambda
    shim) on an event file or a bundled sample, and print the Lambda result.
``serve APP``
    serve a WSGI app, behind the middleware, on a development server that logs
    each event it receives.
``send URL``
    send a CloudEvent over HTTP (binary, structured or batched content mode).
``convert EVENT``
    print the CloudEvents a native event becomes, as a JSON batch.
``samples``
    list the bundled sample events; ``samples show NAME`` prints one as JSON.

APP is ``module:attribute`` (``books.lambda_handler:handler``), imported from
the current directory. ``-`` reads standard input wherever a file is read
(EVENT, ``--file``, ``--data @-``). Errors in what was asked (a bad APP or
one whose module fails to import, a missing event file, an unknown sample, a
bad option) exit with status 2 and one line on stderr, never a traceback; a
failed invocation or a non-2xx answer exits with status 1.

Only the standard library and this package are used: nothing here is loaded
by ``import cloudevents_wsgi``. The module is over 500 lines because it holds
the five commands' argument definitions and their one-line error handling
together, as ``--help`` shows them; the work itself is done by the package
(``writer``, ``emitter``, ``aws_lambda``, ``testing``).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import traceback
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import _loading
from .testing import LambdaContext, sample, sample_names

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .event import CloudEvent

__all__ = ["LocalContext", "load_object", "load_sample", "main", "sample_names"]

PROG = "cloudevents-wsgi"
logger = logging.getLogger("cloudevents_wsgi.cli")


class UsageError(Exception):
    """Something asked of the command cannot be done: exit 2, one line."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # The system refused what was asked (a port in use, a folder not readable).
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is the one line every other error is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see: {self.prog} --help)\n")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _url(text: str) -> str:
    """An ``http`` or ``https`` URL with a host (argparse type)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:8000/)"
        )
    return text


def _seconds(text: str) -> float:
    """A positive number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


# -- the parser ---------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="Try a WSGI app with CloudEvents and native cloud events, locally.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", required=True, parser_class=_Parser
    )

    invoke = commands.add_parser(
        "invoke",
        help="run a Lambda handler on an event and print the result",
        description="Run a Lambda handler locally on one event (a JSON file or a bundled "
        "sample, see 'samples') and print the Lambda result as JSON.",
    )
    invoke.add_argument("app", metavar="APP", help="the handler, as module:attribute")
    invoke.add_argument(
        "event",
        metavar="EVENT",
        help="a JSON file ('-': standard input), or a bundled sample's name",
    )
    invoke.add_argument(
        "--wsgi",
        action="store_true",
        help="APP is a WSGI application: run it behind the Lambda shim "
        "(cloudevents_wsgi.aws_lambda.make_lambda_handler)",
    )
    invoke.add_argument(
        "--event-path",
        default="/events",
        help="with --wsgi: the path non-HTTP events are POSTed to (default: /events)",
    )
    invoke.add_argument(
        "--body",
        action="store_true",
        help="print only the response body of the result (decoded, JSON indented)",
    )
    invoke.set_defaults(run=_invoke)

    serve = commands.add_parser(
        "serve",
        help="serve a WSGI app with the middleware, logging each event",
        description="Serve a WSGI application on a development server (Werkzeug's), "
        "wrapped in CloudEventsMiddleware unless it already is, and log each event "
        "the application receives. Not for production: use gunicorn.",
    )
    serve.add_argument("app", metavar="APP", help="the WSGI application, as module:attribute")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.set_defaults(run=_serve)

    send = commands.add_parser(
        "send",
        help="send a CloudEvent over HTTP and print the answer",
        description="Send a CloudEvent (from flags, or from --file) to URL and print the "
        "response's status and body. Exits 1 unless the answer is 2xx.",
    )
    send.add_argument("url", metavar="URL", type=_url, help="an http:// or https:// URL")
    send.add_argument(
        "--mode",
        choices=("binary", "structured", "batch"),
        default="binary",
        help="the CloudEvents HTTP content mode (default: binary; an event that binary "
        "mode cannot carry as it is, such as JSON data without --datacontenttype from "
        "--file, is sent structured)",
    )
    send.add_argument(
        "--file",
        help="a JSON file ('-': standard input) holding the event in the CloudEvents JSON "
        "format (an array of them for several events)",
    )
    send.add_argument("--type", help="the event's type (required without --file)")
    send.add_argument("--source", default="urn:cloudevents-wsgi:cli", help="default: %(default)s")
    send.add_argument("--id", help="default: a random UUID")
    send.add_argument("--subject")
    send.add_argument("--time", help="an RFC 3339 timestamp (default: none)")
    send.add_argument(
        "--data",
        help="the data: JSON text, or @FILE for a file's content (@- for standard input); "
        "sent as application/json "
        "unless --datacontenttype names another type, then as it is",
    )
    send.add_argument("--datacontenttype", help="default: application/json when there is data")
    send.add_argument(
        "--extension",
        "-e",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extension attribute (repeatable)",
    )
    send.add_argument("--timeout", type=_seconds, default=30.0, help="seconds (default: 30)")
    send.set_defaults(run=_send)

    convert = commands.add_parser(
        "convert",
        help="print the CloudEvents a native event becomes",
        description="Print, as a CloudEvents JSON batch (an array), the CloudEvents that a "
        "native event (S3, SQS, EventBridge, Event Grid, Pub/Sub...) becomes.",
    )
    convert.add_argument(
        "event",
        metavar="EVENT",
        help="a JSON file ('-': standard input), or a bundled sample's name",
    )
    convert.add_argument(
        "--no-unwrap",
        dest="unwrap",
        action="store_false",
        help="keep SNS and SQS envelopes as the events, rather than what they carry",
    )
    convert.set_defaults(run=_convert)

    samples = commands.add_parser(
        "samples",
        help="list the bundled sample events, or print one",
        description="List the names of the bundled sample events, for invoke and convert; "
        "'samples show NAME' prints one as JSON, to edit and pass back as a file.",
    )
    samples.set_defaults(run=_samples)
    actions = samples.add_subparsers(title="actions", metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="print a bundled sample event as JSON",
        description="Print a bundled sample event as JSON (save it, edit it, and give the "
        "file to invoke or convert).",
    )
    show.add_argument("name", metavar="NAME", help="the sample's name (see 'samples')")
    show.set_defaults(run=_show_sample)
    return parser


# -- loading ------------------------------------------------------------------------


def load_object(spec: str) -> Any:
    """The object named ``module:attribute``, imported with the current
    directory first on ``sys.path`` (as ``python -m`` and gunicorn do).

    Raises :class:`UsageError` (one line) when it cannot be, saying which
    module failed to import, why, and where."""
    try:
        return _loading.load_object(spec, cwd_first=True)
    except _loading.LoadError as error:
        raise UsageError(_LOAD_MESSAGES[error.problem].format(error=error)) from None
    except (Exception, SystemExit) as error:
        # The app's module itself failed (a missing dependency, a syntax
        # error, settings that raise): its cause in one line, not a traceback.
        module = spec.partition(":")[0]
        frames = traceback.extract_tb(error.__traceback__)
        own = [f for f in frames if not f.filename.startswith("<frozen ")]
        where = f" ({own[-1].filename}:{own[-1].lineno})" if own else ""
        raise UsageError(
            f"{spec}: importing module {module!r} failed: {_one_line(error)}{where}"
        ) from None


_LOAD_MESSAGES = {
    "form": "APP must be module:attribute (e.g. books.wsgi:application), not {error.spec!r}",
    "module": "{error.spec}: there is no module {error.module!r} "
    "(run from the directory that holds it)",
    "attribute": "{error.spec}: module {error.module!r} has no {error.name!r}",
    "callable": "{error.spec}: {error.name!r} is not callable but {error.found}",
}


#: The stand-in Lambda context of ``invoke``: :class:`cloudevents_wsgi.testing.LambdaContext`.
LocalContext = LambdaContext


def load_sample(name: str) -> Any:
    """A bundled sample event, decoded (:func:`cloudevents_wsgi.testing.sample`);
    :class:`UsageError` for an unknown name."""
    try:
        return sample(name)
    except LookupError:
        raise UsageError(
            f"no file and no sample named {name!r} (samples: {', '.join(sample_names())})"
        ) from None


def _load_event(where: str) -> Any:
    """An event from a JSON file (``-``: standard input), or else a bundled sample's."""
    if where == "-":
        return _read_json(where)
    path = Path(where)
    if not path.is_file():
        if os.sep in where or "/" in where or where.endswith(".json"):
            raise UsageError(f"no event file {where!r}")
        return load_sample(where)
    return _read_json(where)


def _read_bytes(where: str) -> bytes:
    """The bytes of file ``where``, or of standard input for ``-``."""
    try:
        if where == "-":
            return sys.stdin.buffer.read()
        return Path(where).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {where!r}: {error.strerror or error}") from None


def _read_json(where: str) -> Any:
    name = "standard input" if where == "-" else repr(where)
    try:
        return json.loads(_read_bytes(where).decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text") from None
    except ValueError as error:
        raise UsageError(f"{name} is not JSON: {error}") from None


# -- invoke -------------------------------------------------------------------------


def _invoke(args: argparse.Namespace) -> int:
    event = _load_event(args.event)
    target = load_object(args.app)
    if args.wsgi:
        from .aws_lambda import make_lambda_handler
        from .errors import ConfigurationError

        try:
            target = make_lambda_handler(target, event_path=args.event_path)
        except ConfigurationError as error:
            raise UsageError(str(error)) from None
    elif _is_wsgi_app(target):
        raise UsageError(
            f"{args.app} is a WSGI application, not a Lambda handler: add --wsgi to run it "
            "behind the Lambda shim"
        )
    try:
        result = target(event, LambdaContext())
    except Exception as error:
        # What Lambda reports for a failed invocation (AWS then retries). The
        # package's own errors say all there is; others get their traceback.
        from .errors import CloudEventsWSGIError

        if not isinstance(error, CloudEventsWSGIError):
            traceback.print_exc()
        _print_json({"errorMessage": str(error), "errorType": type(error).__name__})
        return 1
    if args.body and isinstance(result, dict) and isinstance(result.get("body"), str):
        _print_body(result)
    else:
        _print_json(result)
    return 0


def _is_wsgi_app(target: Any) -> bool:
    """Whether ``target`` takes ``(environ, start_response)`` (PEP 3333's names,
    which Django, Flask and the middleware all use), not ``(event, context)``."""
    import inspect

    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return "start_response" in parameters


def _print_body(result: dict[str, Any]) -> None:
    body: str = result["body"]
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            sys.stdout.buffer.write(raw)
            sys.stdout.flush()
            return
    try:
        _print_json(json.loads(body))
    except ValueError:
        print(body)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


# -- serve --------------------------------------------------------------------------


class _EventLog:
    """Logs each event the app receives and what it answered."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from .environ import ADAPTER, CLOUDEVENT

        event: CloudEvent | None = environ.get(CLOUDEVENT)
        if event is None:
            return self.app(environ, start_response)

        def logged(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            via = environ.get(ADAPTER)
            logger.info(
                # repr: a value from the request never ends or forges a log line.
                "event %r id=%r source=%r%s%s -> %s",
                event.get_type(),
                event.get_id(),
                event.get_source(),
                "" if event.get_subject() is None else f" subject={event.get_subject()!r}",
                "" if via is None else f" (from {via})",
                status,
            )
            return start_response(status, headers, exc_info)

        return self.app(environ, logged)


def _serve(args: argparse.Namespace) -> int:
    import copy

    from werkzeug.serving import run_simple

    from .middleware import CloudEventsMiddleware

    app = load_object(args.app)
    if isinstance(app, CloudEventsMiddleware):
        served = copy.copy(app)  # log inside the user's middleware, leave theirs as it is
        served.app = _EventLog(app.app)
    else:
        served = CloudEventsMiddleware(_EventLog(app))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_simple(args.host, args.port, served, threaded=True)
    return 0


# -- send ---------------------------------------------------------------------------


def _send(args: argparse.Namespace) -> int:
    from .emitter import emit, emit_batch
    from .errors import ConfigurationError, EmitError, InvalidEventError

    events = _events_to_send(args)
    if len(events) != 1 and args.mode != "batch":
        raise UsageError(f"{len(events)} events can only be sent with --mode batch")
    try:
        if args.mode == "batch":
            answer = emit_batch(events, args.url, timeout=args.timeout)
        else:
            answer = emit(events[0], args.url, mode=args.mode, timeout=args.timeout)
    except (ConfigurationError, InvalidEventError) as error:
        raise UsageError(str(error)) from None
    except EmitError as error:
        if error.status is None:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return 1
        status, reason, content = error.status, error.reason, error.body
    else:
        status, reason, content = answer.status, answer.reason, answer.body
    print(f"{status} {reason}")
    if content:
        text = content.decode("utf-8", "replace")
        print(text if text.endswith("\n") else text + "\n", end="")
    return 0 if 200 <= status < 300 else 1


def _events_to_send(args: argparse.Namespace) -> list[CloudEvent]:
    from .errors import InvalidEventError
    from .message import Message
    from .receiver import from_http

    if args.file is not None:
        flags = (args.type, args.id, args.subject, args.time, args.data, args.datacontenttype)
        if args.extension or any(flag is not None for flag in flags):
            raise UsageError("--file and the event's flags (--type, --data...) do not mix")
        body = json.dumps(_read_json(args.file)).encode()
        batch = body.startswith(b"[")
        content_type = "application/cloudevents-batch+json" if batch else None
        try:
            events = from_http(
                Message(
                    headers={"content-type": content_type or "application/cloudevents+json"},
                    body=body,
                )
            )
        except InvalidEventError as error:
            raise UsageError(f"{args.file}: {error}") from None
        return events or []
    if not args.type:
        raise UsageError("give the event's --type (or --file)")
    attributes: dict[str, Any] = {
        "type": args.type,
        "source": args.source,
        "id": args.id or str(uuid.uuid4()),
        "subject": args.subject,
        "time": args.time,
    }
    for item in args.extension:
        name, equals, value = item.partition("=")
        if not equals:
            raise UsageError(f"--extension must be NAME=VALUE, not {item!r}")
        attributes[name] = value
    data, content_type = _data(args.data, args.datacontenttype)
    attributes["datacontenttype"] = content_type
    return [_event(attributes, data)]


def _data(raw: str | None, content_type: str | None) -> tuple[Any, str | None]:
    from .spec import is_json

    if raw is None:
        return None, content_type
    if raw.startswith("@"):
        try:
            content = _read_bytes(raw[1:])
        except UsageError as error:
            raise UsageError(f"--data: {error}") from None
    else:
        content = raw.encode("utf-8")
    essence = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if not is_json(essence):
        try:
            return content.decode("utf-8"), content_type
        except UnicodeDecodeError:
            return content, content_type
    try:
        return json.loads(content.decode("utf-8-sig")), content_type or "application/json"
    except ValueError:
        raise UsageError(
            "--data is not JSON (give --datacontenttype text/plain to send text)"
        ) from None


def _event(attributes: dict[str, Any], data: Any) -> CloudEvent:
    from .errors import InvalidEventError
    from .event import CloudEvent

    try:
        return CloudEvent(attributes, data)
    except InvalidEventError as error:
        raise UsageError(str(error)) from None


# -- convert ------------------------------------------------------------------------


def _convert(args: argparse.Namespace) -> int:
    from .aws_lambda import http_event_kind
    from .detect import find_adapter
    from .errors import InvalidEventError
    from .message import Message
    from .writer import event_to_json

    payload = _load_event(args.event)
    if _is_cloudevent(payload):
        raise UsageError(
            f"{args.event} is already a CloudEvent (the CloudEvents JSON format): there is "
            "nothing to convert; send it with: cloudevents-wsgi send URL --file FILE"
        )
    body = json.dumps(payload).encode()
    message = Message(headers={"content-type": "application/json"}, body=body)
    adapter = find_adapter(payload, message, unwrap=args.unwrap)
    if adapter is None:
        kind = http_event_kind(payload)
        if kind is not None:
            raise UsageError(
                f"{args.event} is an HTTP request ({kind}), not an event: "
                "the Lambda shim turns it into a request (try invoke)"
            )
        raise UsageError(f"no adapter recognises {args.event} as a native event")
    try:
        converted = adapter.convert(payload, message)
    except InvalidEventError as error:
        raise UsageError(f"{args.event}: {error}") from None
    _print_json([event_to_json(item.event) for item in converted])
    print(f"{len(converted)} event(s) from the {adapter.name} adapter", file=sys.stderr)
    return 0


def _is_cloudevent(payload: Any) -> bool:
    """A CloudEvent, or a batch of them, in the JSON format (``specversion``)."""
    if isinstance(payload, list):
        return bool(payload) and all(_is_cloudevent(item) for item in payload)
    return isinstance(payload, dict) and "specversion" in payload


# -- samples ------------------------------------------------------------------------


def _samples(args: argparse.Namespace) -> int:
    for name in sample_names():
        print(name)
    return 0


def _show_sample(args: argparse.Namespace) -> int:
    _print_json(load_sample(args.name))
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
