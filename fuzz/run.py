"""Run a fuzz harness for N inputs.

    python -m fuzz.run TARGET [--runs N] [--seed S] [--atheris] [--max-len B]
                              [--stop-on-failure] [--tolerate-known]

TARGET is ``receiver``, ``middleware``, ``adapters``, ``lambda``, ``complexity``
or ``all``.

Without ``--atheris`` the inputs are random byte strings from a generator
seeded with ``S`` (deterministic: the same seed gives the same inputs), and
every failing input is printed in hex with a one-line reproduction. With
``--atheris`` the harness runs under atheris/libFuzzer (coverage-guided;
``pip install atheris``) for N runs; a crash leaves a ``crash-*`` file that
``python -m fuzz.run TARGET --replay FILE`` replays.

The summary line gives the target, inputs run, failures, seconds and inputs
per second.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

TARGETS = ("receiver", "middleware", "adapters", "lambda", "complexity")


def load(target: str) -> Callable[[bytes], None]:
    module = importlib.import_module(f"fuzz.fuzz_{target}")
    harness: Callable[[bytes], None] = module.one_input
    return harness


def say(text: str) -> None:
    """Print, escaping what the terminal cannot take (lone surrogates)."""
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"), flush=True)


def quiet() -> None:
    """The package logs warnings for some inputs (SNS confirmations...): mute them."""
    logging.getLogger("cloudevents_wsgi").setLevel(logging.CRITICAL + 1)


def generate(rng: random.Random, max_len: int) -> bytes:
    length = rng.choice((16, 64, 256, max_len))
    return rng.randbytes(rng.randrange(length + 1))


def tolerant(target: str, harness: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """``harness``, with the already reported bugs (fuzz/known.py) swallowed."""
    from .known import known_bug

    def one_input(data: bytes) -> None:
        try:
            harness(data)
        except Exception as error:
            if not known_bug(target, error):
                raise

    return one_input


def run(
    target: str,
    runs: int,
    seed: int = 0,
    *,
    max_len: int = 1024,
    stop_on_failure: bool = False,
    tolerate_known: bool = False,
    report: Callable[[str], None] = say,
) -> tuple[int, dict[str, int]]:
    """Run ``runs`` deterministic inputs; return (inputs run, failures by kind)."""
    harness = load(target)
    if tolerate_known:
        harness = tolerant(target, harness)
    rng = random.Random(f"{target}:{seed}")
    seen: dict[str, int] = {}
    count = 0
    for count in range(1, runs + 1):
        data = generate(rng, max_len)
        try:
            harness(data)
        except Exception as error:
            key = signature(error)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] == 1:  # the first of each kind in full
                report(f"FAILURE in {target} at input {count}: {key}: {error!r}"[:400])
                report(traceback.format_exc())
                report(
                    f'reproduce: python -c "from fuzz.fuzz_{target} import one_input; '
                    f"one_input(bytes.fromhex('{data.hex()}'))\""
                )
            if stop_on_failure:
                break
    for key, times in seen.items():
        report(f"failure kind seen {times} times: {key}")
    return count, seen


def signature(error: BaseException) -> str:
    """The exception type and the innermost frame of the package (or harness) it came from."""
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        if "cloudevents_wsgi" in frame.filename or "fuzz" in frame.filename:
            where = f"{Path(frame.filename).name}:{frame.lineno}"
    return f"{type(error).__name__} at {where}"


def run_atheris(
    target: str, runs: int, max_len: int, extra: Sequence[str], *, tolerate_known: bool
) -> None:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    with atheris.instrument_imports(include=["cloudevents_wsgi"]):
        harness = load(target)
    if tolerate_known:
        harness = tolerant(target, harness)
    argv = [sys.argv[0], f"-runs={runs}", f"-max_len={max_len}", *extra]
    atheris.Setup(argv, harness)
    atheris.Fuzz()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=(*TARGETS, "all"))
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-len", type=int, default=1024)
    parser.add_argument("--atheris", action="store_true")
    parser.add_argument("--stop-on-failure", action="store_true")
    parser.add_argument(
        "--tolerate-known",
        action="store_true",
        help="do not count the failures already reported (fuzz/known.py)",
    )
    parser.add_argument("--replay", type=Path)
    args, extra = parser.parse_known_args(argv)
    quiet()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    if args.replay is not None:
        load(args.target)(args.replay.read_bytes())
        print("the input passes")
        return 0
    if args.atheris:
        run_atheris(args.target, args.runs, args.max_len, extra, tolerate_known=args.tolerate_known)
        return 0
    failed = 0
    for target in TARGETS if args.target == "all" else (args.target,):
        start = time.perf_counter()
        count, failures = run(
            target,
            args.runs,
            args.seed,
            max_len=args.max_len,
            stop_on_failure=args.stop_on_failure,
            tolerate_known=args.tolerate_known,
        )
        elapsed = time.perf_counter() - start
        total = sum(failures.values())
        failed += total
        say(
            f"target={target} seed={args.seed} inputs={count} failures={total} "
            f"kinds={len(failures)} seconds={elapsed:.1f} per_second={count / elapsed:.0f}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
