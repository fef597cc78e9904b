"""Amazon Data Firehose data transformation.

Event and answer: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
(``invocationId``, ``deliveryStreamArn``, ``region``, ``records[]`` of
``recordId``, ``approximateArrivalTimestamp`` and base64 ``data``; the answer
``{"records": [{"recordId", "result", "data"}]}``, one per record, same ids).

The app is called once per record, in order, with the CloudEvent:

==============  ===============================================================
``type``        ``com.amazonaws.firehose.record``
``source``      ``deliveryStreamArn``
``id``          ``recordId``
``time``        ``approximateArrivalTimestamp`` (epoch milliseconds)
data            the record's bytes: JSON when they are UTF-8 JSON of an object
                or array, else bytes
==============  ===============================================================

Its answer becomes the record's result: 2xx with a body -> ``Ok`` and the
body is the transformed data; 204 (or 2xx with no body) -> ``Dropped``;
anything else, an exception, or a record not started before the deadline ->
``ProcessingFailed`` with the original data (Firehose sends it to the error
output).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any, Final

from ..spec import datetime, timedelta, timezone
from . import _answered
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "firehose"
TYPE: Final = "com.amazonaws.firehose.record"


def infer(event: Any) -> bool:
    """``invocationId``, ``deliveryStreamArn`` and a ``records`` array."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("invocationId"), str)
        and isinstance(event.get("deliveryStreamArn"), str)
        and isinstance(event.get("records"), list)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    results = []
    for record in event["records"]:
        record_id = record.get("recordId") if isinstance(record, dict) else None
        data = record.get("data") if isinstance(record, dict) else None
        failed = {"recordId": record_id, "result": "ProcessingFailed", "data": data or ""}
        if _answered.deadline_passed(options, context):
            results.append(failed)
            continue
        cloudevent = _cloudevent(event, record)
        if cloudevent is None:
            results.append(failed)
            continue
        response, ok = _answered.call(app, options, cloudevent, context)
        body = response.body
        if not ok:
            results.append(failed)
        elif not body or response.code == 204:
            results.append({"recordId": record_id, "result": "Dropped", "data": data})
        else:
            encoded = base64.b64encode(body).decode("ascii")
            results.append({"recordId": record_id, "result": "Ok", "data": encoded})
    return {"records": results}


def _cloudevent(event: dict[str, Any], record: Any) -> dict[str, Any] | None:
    """The record as a CloudEvent in the JSON format; ``None`` for a record
    that cannot be one (no id, data that is not base64)."""
    if not isinstance(record, dict) or not isinstance(record.get("recordId"), str):
        return None
    try:
        raw = base64.b64decode(record.get("data") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    cloudevent: dict[str, Any] = {
        "specversion": "1.0",
        "type": TYPE,
        "source": event["deliveryStreamArn"],
        "id": record["recordId"],
    }
    arrival = record.get("approximateArrivalTimestamp")
    if type(arrival) is int:
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=arrival)
        cloudevent["time"] = moment.isoformat().replace("+00:00", "Z")
    from ..adapters._aws import json_or_bytes

    data, content_type = json_or_bytes(raw)
    cloudevent["datacontenttype"] = content_type
    if isinstance(data, bytes):
        cloudevent["data_base64"] = base64.b64encode(data).decode("ascii")
    else:
        cloudevent["data"] = data
    return cloudevent
