"""Native provider events into a plain WSGI app, over HTTP.

Run from the repository root:  python examples/native_events.py

Shows, in-process: the Azure Event Grid validation handshake and a delivery,
both opted in to and authenticated by a secret in the endpoint URL (Event
Grid sends back the URL's query parameters); a Google Pub/Sub push accepted
by opting in (unauthenticated here: in production put
cloudevents_wsgi.pubsub_auth.PubSubAuthMiddleware in front); a payload nobody
vouches for passing through untouched; and a user's own adapter (GitHub push
webhooks).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.test import Client

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, Message
from cloudevents_wsgi.adapters.base import Converted


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    event = environ.get("cloudevent")
    if event is None:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"not an event: handled as a plain request\n"]
    adapter = environ.get("cloudevents_wsgi.adapter", "-")
    print(f"  app got {event.get_type()} from {event.get_source()} (adapter {adapter})")
    start_response("204 No Content", [])
    return []


class GitHubPush:
    """A user's own adapter: GitHub push webhooks."""

    name = "github.push"

    def matches(self, payload: Any, message: Message) -> bool:
        return message.header("x-github-event") == "push"

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        event = CloudEvent(
            {
                "id": message.header("x-github-delivery"),
                "type": "com.github.push",
                "source": payload["repository"]["html_url"],
                "subject": payload["ref"],
            },
            payload,
        )
        return [Converted(event, payload)]


# In production, from the environment; the Event Grid subscription's endpoint
# is then https://<host>/events?code=<this secret>.
EVENTGRID_SECRET = "example-secret-1f0c9e2b7a"

client = Client(
    CloudEventsMiddleware(
        app,
        native_over_http={"azure.eventgrid", "google.pubsub"},
        eventgrid_secret=EVENTGRID_SECRET,
        adapters=[GitHubPush()],
    )
)
EVENTGRID_URL = f"/events?code={EVENTGRID_SECRET}"

print("Event Grid subscription validation handshake:")
handshake = [
    {
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/00000000-0000-0000-0000-000000000000",
        "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2024-05-01T10:00:00.0000000Z",
        "metadataVersion": "1",
        "dataVersion": "1",
    }
]
response = client.post(
    EVENTGRID_URL, json=handshake, headers={"aeg-event-type": "SubscriptionValidation"}
)
print(f"  Event Grid got {response.status}: {response.get_data(as_text=True)}")

print("Event Grid delivery (a blob was created):")
blob_created = {
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "topic": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/books"
    "/providers/Microsoft.Storage/storageAccounts/library",
    "subject": "/blobServices/default/containers/books/blobs/moby-dick.epub",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2024-05-01T10:00:00.1234567Z",
    "data": {
        "contentLength": 1048576,
        "url": "https://library.blob.core.windows.net/books/moby-dick.epub",
    },
    "dataVersion": "1",
    "metadataVersion": "1",
}
response = client.post(
    EVENTGRID_URL, json=[blob_created], headers={"aeg-event-type": "Notification"}
)
print(f"  Event Grid got {response.status}")

print("The same delivery without the secret (anyone could send it):")
response = client.post("/events", json=[blob_created], headers={"aeg-event-type": "Notification"})
print(f"  sender got {response.status}: {response.json['field']} {response.json['reason']}")

print("Google Pub/Sub push (accepted: native_over_http={'google.pubsub'}):")
push = {
    "message": {
        "data": base64.b64encode(b'{"book": "moby-dick.epub"}').decode(),
        "attributes": {"origin": "uploads"},
        "messageId": "2070443601311540",
        "publishTime": "2024-05-01T10:00:00.123Z",
    },
    "subscription": "projects/library/subscriptions/books-push",
}
response = client.post("/projects/library/topics/books", json=push)
print(f"  Pub/Sub got {response.status}")

print("An S3 notification POSTed over plain HTTP (nobody vouches for it):")
s3 = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}
response = client.post("/events", data=json.dumps(s3), content_type="application/json")
print(f"  sender got {response.status}: {response.get_data(as_text=True).strip()}")

print("A GitHub push webhook, through the user's own adapter:")
response = client.post(
    "/events",
    json={"ref": "refs/heads/main", "repository": {"html_url": "https://github.com/o/books"}},
    headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
)
print(f"  GitHub got {response.status}")
