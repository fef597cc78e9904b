"""Every shared sample through every adapter in ADAPTER_MODULES: each sample
matches at most one, and each native sample exactly its own, so the order in
which adapters are tried never decides. Add a module to ADAPTER_MODULES (and
its sample folders to OWNERS) to bring another adapter under the same test."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.detect import BUILTIN_MODULES

from .conftest import FIXTURES, load_fixture

# Every built-in adapter, as the middleware finds them.
ADAPTER_MODULES = [f"cloudevents_wsgi.adapters.{name}" for name in BUILTIN_MODULES]

# Sample folder -> the adapter (by name) that must recognise every file in it.
# Folders not listed must be recognised by none of the adapters above.
OWNERS = {
    "aws/s3": "aws.s3",
    "aws/eventbridge": "aws.eventbridge",
    "aws/scheduled": "aws.eventbridge",
    "aws/sns": "aws.sns",
    "aws/sqs": "aws.sqs",
    "aws/dynamodb": "aws.dynamodb",
    "aws/kinesis": "aws.kinesis",
    "aws/cloudwatch-logs": "aws.logs",
    "aws/ses": "aws.ses",
    "azure/eventgrid": "azure.eventgrid",
    "gcp/pubsub-push": "google.pubsub",
    "gcp/legacy": "google.legacy",
}
# Files in an owned folder that are not that adapter's kind: Event Grid's
# CloudEvents schema is plain CloudEvents JSON, read by the core receiver.
NOT_OWNED = ("java-core-cloudevents-schema-", "java-sdk-cloudevents-schema-")

ADAPTERS = [importlib.import_module(name).ADAPTER for name in ADAPTER_MODULES]
NO_HEADERS = Message()


def sample_paths() -> list[Any]:
    if not FIXTURES.is_dir():
        return [pytest.param(None, id="no-fixtures", marks=pytest.mark.skip("no ../shared"))]
    paths = sorted(
        path
        for path in FIXTURES.rglob("*")
        if path.is_file() and path.suffix in (".json", ".yaml", ".yml")
    )
    return [pytest.param(path, id=str(path.relative_to(FIXTURES))) for path in paths]


def payloads(path: Path) -> list[Any]:
    """The payloads a sample file holds (a YAML file holds several)."""
    if path.suffix == ".json":
        return [load_fixture(path)]
    yaml = pytest.importorskip("yaml")
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8-sig")))


def test_adapter_names_are_unique() -> None:
    names = [adapter.name for adapter in ADAPTERS]
    assert len(set(names)) == len(names)
    assert set(OWNERS.values()) <= set(names)


@pytest.mark.parametrize("path", sample_paths())
def test_each_sample_matches_only_its_own_adapter(path: Path) -> None:
    folder = path.parent.relative_to(FIXTURES).as_posix()
    owner = None if path.name.startswith(NOT_OWNED) else OWNERS.get(folder)
    for payload in payloads(path):
        matched = [adapter.name for adapter in ADAPTERS if adapter.matches(payload, NO_HEADERS)]
        assert len(matched) <= 1, matched
        assert matched == ([owner] if owner else []), matched


@pytest.mark.parametrize("path", sample_paths())
def test_each_record_of_a_sample_matches_at_most_one_adapter(path: Path) -> None:
    # A bare record, or an element of a batch, is never claimed by two adapters.
    for payload in payloads(path):
        records = payload.get("Records") if isinstance(payload, dict) else payload
        if isinstance(records, list):
            for record in records:
                owners = [a.name for a in ADAPTERS if a.matches(record, NO_HEADERS)]
                assert len(owners) <= 1, owners


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "Records",
        "eventSource",
        "EventSource",
        "Type",
        "MessageId",
        "TopicArn",
        "awslogs",
        "data",
        "messageType",
        "logEvents",
        "detail-type",
        "source",
        "detail",
        "Service",
        "Event",
    ]
)
VALUES = st.sampled_from(
    [
        "aws:s3",
        "aws:sqs",
        "aws:sns",
        "aws:dynamodb",
        "aws:kinesis",
        "aws:ses",
        "Notification",
        "DATA_MESSAGE",
        "Amazon S3",
        "s3:TestEvent",
    ]
)
SHAPED = st.recursive(
    JSON | VALUES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=15,
)


@given(st.one_of(JSON, SHAPED))
def test_matches_never_raises_and_convert_only_raises_invalid_event(payload: Any) -> None:
    for adapter in ADAPTERS:
        if adapter.matches(payload, NO_HEADERS):
            try:
                converted = adapter.convert(payload, NO_HEADERS)
            except InvalidEventError:
                continue
            assert isinstance(converted, list)
