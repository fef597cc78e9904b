"""A plain WSGI app on AWS Lambda: HTTP requests, S3 uploads and SQS messages.

Run from the repository root:  python examples/lambda_handler.py

On Lambda, set the function's handler to ``lambda_handler.handler``. Here the
handler is invoked in-process with three events written after AWS's
documentation: an API Gateway HTTP API request, an S3 ObjectCreated
notification and an SQS batch of three messages, one of which the app
refuses. It prints what the app saw and what Lambda would get back; the
refused message comes back in ``batchItemFailures`` (for SQS to deliver it
again, the event source mapping needs ``ReportBatchItemFailures``).
"""

from __future__ import annotations

import json
from typing import Any

from cloudevents_wsgi.aws_lambda import make_lambda_handler

# CloudEvent type patterns -> the paths the app serves them at.
ROUTES = {
    "com.amazonaws.s3.ObjectCreated:*": "/uploads",
    "com.amazonaws.sqs.message": "/orders",
}


def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path = environ["PATH_INFO"]
    event = environ.get("cloudevent")
    if event is not None and path == "/uploads":
        size = event.get_data()["s3"]["object"]["size"]
        print(f"app: {event.get_type()}: stored {event.get_subject()} ({size} bytes)")
        start_response("204 No Content", [])
        return []
    if event is not None and path == "/orders":
        order = event.get_data()
        if order.get("quantity", 0) < 1:
            print(f"app: message {event.get_id()}: refused order {order['order']}")
            start_response("422 Unprocessable Entity", [("Content-Type", "text/plain")])
            return [b"quantity must be at least 1"]
        print(f"app: message {event.get_id()}: took order {order['order']}")
        start_response("204 No Content", [])
        return []
    if path == "/hello" and environ["REQUEST_METHOD"] == "GET":
        body = json.dumps({"hello": environ["QUERY_STRING"], "from": environ["REMOTE_ADDR"]})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body.encode()]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


handler = make_lambda_handler(application, routes=ROUTES)


# -- sample events (after the examples in AWS's documentation) --------------------

# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
HTTP_API_REQUEST = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/hello",
    "rawQueryString": "name=Ishmael",
    "headers": {
        "accept": "application/json",
        "host": "r3pmxmplak.execute-api.us-east-2.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "205.255.255.176",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    },
    "queryStringParameters": {"name": "Ishmael"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "r3pmxmplak",
        "domainName": "r3pmxmplak.execute-api.us-east-2.amazonaws.com",
        "http": {
            "method": "GET",
            "path": "/hello",
            "protocol": "HTTP/1.1",
            "sourceIp": "205.255.255.176",
            "userAgent": "curl/8.5.0",
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": "$default",
        "stage": "$default",
        "time": "10/Mar/2020:05:16:23 +0000",
        "timeEpoch": 1583817383220,
    },
    "isBase64Encoded": False,
}

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
S3_OBJECT_CREATED = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2019-09-03T19:37:27.192Z",
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
            "requestParameters": {"sourceIPAddress": "205.255.255.255"},
            "responseElements": {
                "x-amz-request-id": "D82B88E5F771F645",
                "x-amz-id-2": (
                    "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
                ),
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "828aa6fc-f7b5-4305-8584-487c791949c1",
                "bucket": {
                    "name": "DOC-EXAMPLE-BUCKET",
                    "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                    "arn": "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
                },
                "object": {
                    "key": "books/moby+dick.epub",
                    "size": 1048576,
                    "eTag": "b21b84d653bb07b05b1e6b33684dc11b",
                    "sequencer": "0C0F6F405D6ED209E1",
                },
            },
        }
    ]
}


# https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
def sqs_message(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:orders",
        "awsRegion": "us-east-2",
    }


SQS_BATCH = {
    "Records": [
        sqs_message("059f36b4-87a3-44ab-83d2-661975830a7d", {"order": "A-1", "quantity": 2}),
        sqs_message("2e1424d4-f796-459a-8184-9c92662be6da", {"order": "A-2", "quantity": 0}),
        sqs_message("7a3d1b5e-4c2f-4e8a-9d1b-3f6e2a8c9b04", {"order": "A-3", "quantity": 1}),
    ]
}


class LambdaContext:
    """What the Lambda runtime passes as ``context`` (the parts an app reads)."""

    function_name = "lambda-handler-example"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"


def main() -> None:
    for name, event in (
        ("API Gateway HTTP API request", HTTP_API_REQUEST),
        ("S3 ObjectCreated notification", S3_OBJECT_CREATED),
        ("SQS batch of three", SQS_BATCH),
    ):
        print(f"== {name}")
        result = handler(event, LambdaContext())
        print("Lambda result:", json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
