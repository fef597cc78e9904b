"""Lambda events for the tests and the benchmark, built with keyword-only
options whose defaults follow the example events of AWS's documentation.

- SQS: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
- Kinesis: https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
- DynamoDB streams: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
- S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
- API Gateway (REST, HTTP API), ALB: the pages named in
  ``cloudevents_wsgi/aws_lambda/http_*.py``.

Only what a test states differs from the defaults, so a test reads as the
difference it makes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

ACCOUNT = "123456789012"


def _text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body)


# -- SQS ------------------------------------------------------------------------------


def sqs_message(
    *,
    message_id: str = "059f36b4-87a3-44ab-83d2-661975830a7d",
    body: Any = "Test message.",
    queue: str = "my-queue",
    region: str = "us-east-2",
    sent: str | None = "1545082649183",
    group: str | None = None,
    sequence_number: str | None = None,
) -> dict[str, Any]:
    """One SQS message; ``body`` that is not a string is sent as JSON.

    ``group`` makes it a FIFO message (``MessageGroupId``); the queue's name
    must then end with ``.fifo`` for Lambda to treat it as one.
    """
    attributes = {
        "ApproximateReceiveCount": "1",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
    }
    if sent is not None:
        attributes["SentTimestamp"] = sent
    if group is not None:
        attributes["MessageGroupId"] = group
        attributes["MessageDeduplicationId"] = f"dedup-{message_id}"
        attributes["SequenceNumber"] = sequence_number or "18784479169029345280"
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": _text(body),
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT}:{queue}",
        "awsRegion": region,
    }


def sqs_batch(
    *bodies: Any,
    message_ids: Sequence[str] | None = None,
    id_format: str = "msg-{}",
    groups: Sequence[str] | None = None,
    queue: str = "my-queue",
    region: str = "us-east-2",
    sent: str | None = "1545082649183",
) -> dict[str, Any]:
    """An SQS batch, one message per body; ids from ``message_ids``, else
    ``id_format`` of the position; ``groups`` gives each its MessageGroupId."""
    records = []
    for index, body in enumerate(bodies):
        records.append(
            sqs_message(
                message_id=message_ids[index] if message_ids else id_format.format(index),
                body=body,
                queue=queue,
                region=region,
                sent=sent,
                group=groups[index] if groups else None,
            )
        )
    return {"Records": records}


# -- Kinesis and DynamoDB streams -------------------------------------------------------


def kinesis_record(
    *,
    sequence_number: str = "49590338271490256608559692538361571095921575989136588898",
    data: bytes = b"Hello, this is a test.",
    partition_key: str = "1",
    stream: str = "lambda-stream",
    region: str = "us-east-2",
    arrival: float | None = 1545084650.987,
) -> dict[str, Any]:
    """One Kinesis record; ``data`` is the payload's bytes (base64 in the event)."""
    kinesis: dict[str, Any] = {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": partition_key,
        "sequenceNumber": sequence_number,
        "data": base64.b64encode(data).decode("ascii"),
    }
    if arrival is not None:
        kinesis["approximateArrivalTimestamp"] = arrival
    return {
        "kinesis": kinesis,
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000006:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        "awsRegion": region,
        "eventSourceARN": f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{stream}",
    }


def kinesis_batch(*sequence_numbers: str) -> dict[str, Any]:
    """A Kinesis batch, one record per sequence number."""
    return {"Records": [kinesis_record(sequence_number=n) for n in sequence_numbers]}


def dynamodb_record(
    *,
    sequence_number: str = "111",
    event_id: str = "c4ca4238a0b923820dcc509a6f75849b",
    event_name: str = "INSERT",
    item_id: int = 101,
    table: str = "ExampleTable",
    region: str = "us-east-2",
    created: int | None = 1428537600,
) -> dict[str, Any]:
    """One DynamoDB stream record of an item ``{"Id": item_id, "Message": "New item!"}``."""
    stream: dict[str, Any] = {
        "Keys": {"Id": {"N": str(item_id)}},
        "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": str(item_id)}},
        "SequenceNumber": sequence_number,
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if created is not None:
        stream["ApproximateCreationDateTime"] = created
    return {
        "eventID": event_id,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": stream,
        "eventSourceARN": (
            f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}/stream/2015-06-27T00:48:05.899"
        ),
    }


def dynamodb_batch(*sequence_numbers: str) -> dict[str, Any]:
    """A DynamoDB stream batch, one INSERT per sequence number."""
    return {"Records": [dynamodb_record(sequence_number=n) for n in sequence_numbers]}


# -- S3 -----------------------------------------------------------------------------------


def s3_record(
    *,
    key: str = "HappyFace.jpg",
    bucket: str = "example-bucket",
    size: int = 1024,
    event_name: str = "ObjectCreated:Put",
    request_id: str = "C3D13FE58DE4C810",
    region: str = "us-east-1",
    time: str = "2024-05-01T10:00:00.000Z",
) -> dict[str, Any]:
    """One S3 event notification record."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": time,
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": request_id,
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "testConfigRule",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key, "size": size, "eTag": "0123456789abcdef0123456789abcdef"},
        },
    }


def s3_event(*keys: str, bucket: str = "example-bucket") -> dict[str, Any]:
    """An S3 notification, one record per key (request ids ``REQ0``, ``REQ1``...)."""
    return {
        "Records": [
            s3_record(key=key, bucket=bucket, request_id=f"REQ{index}")
            for index, key in enumerate(keys)
        ]
    }


# -- CloudEvents invoked directly -------------------------------------------------------------


def structured(**attributes: Any) -> dict[str, Any]:
    """A CloudEvent in the JSON format: id ``1``, source ``/tests``, type ``test.event``."""
    return {"specversion": "1.0", "id": "1", "source": "/tests", "type": "test.event", **attributes}


# -- HTTP events: defaults of a plain GET -----------------------------------------------


def rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    context_path: str | None = None,
    stage: str = "prod",
    headers: dict[str, list[str]] | None = None,
    query: dict[str, list[str]] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    source_ip: str | None = "203.0.113.9",
    domain: str | None = "abc123.execute-api.eu-west-1.amazonaws.com",
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0)."""
    multi = headers if headers is not None else {"Host": ["example.org"]}
    context: dict[str, Any] = {"stage": stage, "identity": {"sourceIp": source_ip}}
    if context_path is not None:
        context["path"] = context_path
    if domain is not None:
        context["domainName"] = domain
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def http_api_event(
    *,
    method: str = "GET",
    raw_path: str = "/",
    raw_query: str = "",
    stage: str = "$default",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    source_ip: str = "203.0.113.9",
    domain: str = "abc123.execute-api.eu-west-1.amazonaws.com",
) -> dict[str, Any]:
    """An HTTP API event (payload 2.0); a ``*.lambda-url.*.on.aws`` ``domain``
    makes it a function URL's."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers if headers is not None else {"host": domain},
        "requestContext": {
            "domainName": domain,
            "stage": stage,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
            },
        },
        "isBase64Encoded": base64_encoded,
    }
    if cookies is not None:
        event["cookies"] = cookies
    if body is not None:
        event["body"] = body
    return event


def alb_event(
    *,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    multi_headers: dict[str, list[str]] | None = None,
    query: dict[str, str] | None = None,
    multi_query: dict[str, list[str]] | None = None,
    body: str = "",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """An ALB target event; ``multi_headers`` makes it a multi-value one."""
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
        "httpMethod": method,
        "path": path,
        "body": body,
        "isBase64Encoded": base64_encoded,
    }
    if multi_headers is not None:
        event["multiValueHeaders"] = multi_headers
        event["multiValueQueryStringParameters"] = multi_query or {}
    else:
        event["headers"] = headers if headers is not None else {"host": "lb.example.org"}
        event["queryStringParameters"] = query or {}
    return event


def records(*events: dict[str, Any]) -> dict[str, Any]:
    """One Lambda event of the records of ``events``, in order."""
    return {"Records": [record for event in events for record in event["Records"]]}


__all__ = [
    "alb_event",
    "dynamodb_batch",
    "dynamodb_record",
    "http_api_event",
    "kinesis_batch",
    "kinesis_record",
    "records",
    "rest_event",
    "s3_event",
    "s3_record",
    "sqs_batch",
    "sqs_message",
    "sqs_messages",
    "structured",
]


def sqs_messages(
    *message_ids: str,
    queue: str = "my-queue",
    region: str = "us-east-2",
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """An SQS batch of messages with these ids (bodies ``{}``)."""
    return sqs_batch(
        *["{}"] * len(message_ids),
        message_ids=message_ids,
        queue=queue,
        region=region,
        groups=groups,
    )


# -- Kafka (Amazon MSK, self-managed) ------------------------------------------------------

MSK_ARN = (
    "arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/"
    "751d2973-a626-431c-9d4e-d7975eb44dd7-2"
)


def kafka_record(
    *,
    topic: str = "mytopic",
    partition: int = 0,
    offset: int = 15,
    value: bytes | None = b'{"n": 1}',
    key: bytes | None = b"order-1",
    headers: Sequence[tuple[str, bytes]] = (),
    timestamp: int = 1545084650987,
) -> dict[str, Any]:
    """One Kafka record as Lambda delivers it (with-msk.html): base64 key and
    value, headers as arrays of byte values."""
    return {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": timestamp,
        "timestampType": "CREATE_TIME",
        "key": None if key is None else base64.b64encode(key).decode("ascii"),
        "value": None if value is None else base64.b64encode(value).decode("ascii"),
        "headers": [{name: list(raw)} for name, raw in headers],
    }


def kafka_event(*records: dict[str, Any], self_managed: bool = False) -> dict[str, Any]:
    """A Kafka event, the records grouped by ``<topic>-<partition>`` in the given order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(f"{record['topic']}-{record['partition']}", []).append(record)
    event: dict[str, Any] = {
        "eventSource": "SelfManagedKafka" if self_managed else "aws:kafka",
        "bootstrapServers": "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,"
        "b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
        "records": grouped,
    }
    if not self_managed:
        event["eventSourceArn"] = MSK_ARN
    return event
