"""Google Cloud Functions legacy (background) events into CloudEvents.

Two shapes arrive: ``{"context": {eventId, timestamp, eventType, resource},
"data": ...}`` and the oldest, flat ``{eventId, timestamp, eventType,
resource, data}`` (Firebase events add ``params``, ``auth``, ``domain``).

The conversion is the one Google's Functions Frameworks share, specified in
https://github.com/GoogleCloudPlatform/functions-framework-conformance/blob/main/docs/mapping.md
and implemented in functions-framework-python's ``event_conversion.py``
https://github.com/GoogleCloudPlatform/functions-framework-python/blob/main/src/functions_framework/event_conversion.py
whose tables are restated here as data. Where the two differ, the expected
outputs of the conformance suite decide (``events/generate/data/*``):
Firebase Auth is ``firebaseauth.googleapis.com`` and the Realtime Database
``firebasedatabase.googleapis.com``. Firebase Analytics follows mapping.md
(``firebaseanalytics.googleapis.com/projects/P/apps/A``, as the .NET
Framework does; the Python one differs and has no conformance case), and
Remote Config is mapped as mapping.md's type table and the .NET Framework do.

* source: ``//<service>/<resource>``, the resource cut before the subject
  for the services of :data:`RESOURCE_PATTERNS`;
* subject: Storage ``objects/<name>`` (without the ``#<generation>`` that
  legacy ``object.change`` events append), Firestore ``documents/...``,
  Realtime Database ``refs/...``, Analytics ``events/<name>``, Firebase Auth
  ``users/<uid>``; none otherwise;
* data, ``application/json``: the event's data, reshaped into Google's
  CloudEvents data where the mapping says so (Pub/Sub: wrapped as
  ``{"message": ...}`` with ``messageId`` and ``publishTime``; Firebase Auth:
  metadata ``createdAt``/``lastSignedInAt`` renamed ``createTime`` /
  ``lastSignInTime``). The native payload is never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from .. import spec
from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message
from .base import Converted

__all__ = [
    "ADAPTER",
    "CLOUDEVENT_TYPES",
    "RESOURCE_PATTERNS",
    "SERVICES_BY_PREFIX",
    "LegacyEventAdapter",
]

FIREBASE_ANALYTICS: Final = "firebaseanalytics.googleapis.com"
FIREBASE_AUTH: Final = "firebaseauth.googleapis.com"
FIREBASE_DATABASE: Final = "firebasedatabase.googleapis.com"
FIREBASE_REMOTE_CONFIG: Final = "firebaseremoteconfig.googleapis.com"
FIRESTORE: Final = "firestore.googleapis.com"
PUBSUB: Final = "pubsub.googleapis.com"
STORAGE: Final = "storage.googleapis.com"

#: Legacy event type -> CloudEvents type (mapping.md, "GCF HTTP to CloudEvent").
CLOUDEVENT_TYPES: Final = {
    "google.pubsub.topic.publish": "google.cloud.pubsub.topic.v1.messagePublished",
    "providers/cloud.pubsub/eventTypes/topic.publish": (
        "google.cloud.pubsub.topic.v1.messagePublished"
    ),
    "google.storage.object.finalize": "google.cloud.storage.object.v1.finalized",
    "google.storage.object.delete": "google.cloud.storage.object.v1.deleted",
    "google.storage.object.archive": "google.cloud.storage.object.v1.archived",
    "google.storage.object.metadataUpdate": "google.cloud.storage.object.v1.metadataUpdated",
    # The legacy catch-all storage notification; event_conversion.py maps it so.
    "providers/cloud.storage/eventTypes/object.change": (
        "google.cloud.storage.object.v1.finalized"
    ),
    "providers/cloud.firestore/eventTypes/document.write": (
        "google.cloud.firestore.document.v1.written"
    ),
    "providers/cloud.firestore/eventTypes/document.create": (
        "google.cloud.firestore.document.v1.created"
    ),
    "providers/cloud.firestore/eventTypes/document.update": (
        "google.cloud.firestore.document.v1.updated"
    ),
    "providers/cloud.firestore/eventTypes/document.delete": (
        "google.cloud.firestore.document.v1.deleted"
    ),
    "providers/firebase.auth/eventTypes/user.create": "google.firebase.auth.user.v1.created",
    "providers/firebase.auth/eventTypes/user.delete": "google.firebase.auth.user.v1.deleted",
    "providers/firebase.remoteConfig/remoteconfig.update": (
        "google.firebase.remoteconfig.remoteConfig.v1.updated"
    ),
    "providers/google.firebase.analytics/eventTypes/event.log": (
        "google.firebase.analytics.log.v1.written"
    ),
    "providers/google.firebase.database/eventTypes/ref.create": (
        "google.firebase.database.ref.v1.created"
    ),
    "providers/google.firebase.database/eventTypes/ref.write": (
        "google.firebase.database.ref.v1.written"
    ),
    "providers/google.firebase.database/eventTypes/ref.update": (
        "google.firebase.database.ref.v1.updated"
    ),
    "providers/google.firebase.database/eventTypes/ref.delete": (
        "google.firebase.database.ref.v1.deleted"
    ),
}

#: Legacy event type prefix -> service, for events whose resource names none.
SERVICES_BY_PREFIX: Final = (
    ("providers/cloud.firestore/", FIRESTORE),
    ("providers/google.firebase.analytics/", FIREBASE_ANALYTICS),
    ("providers/firebase.auth/", FIREBASE_AUTH),
    ("providers/google.firebase.database/", FIREBASE_DATABASE),
    ("providers/firebase.remoteConfig/", FIREBASE_REMOTE_CONFIG),
    ("providers/cloud.pubsub/", PUBSUB),
    ("providers/cloud.storage/", STORAGE),
    ("google.pubsub.", PUBSUB),
    ("google.storage.", STORAGE),
)

#: Service -> how its resource name splits into (source resource, subject).
RESOURCE_PATTERNS: Final = {
    STORAGE: re.compile(r"(projects/[^/]+/buckets/[^/]+)/(objects/.+)"),
    FIRESTORE: re.compile(r"(projects/[^/]+/databases/[^/]+)/(documents/.+)"),
    FIREBASE_DATABASE: re.compile(r"projects/_/(instances/[^/]+)/(refs/.+)"),
    FIREBASE_ANALYTICS: re.compile(r"(projects/[^/]+)/(events/[^/]+)"),
}

#: Firebase Auth ``data.metadata`` member -> its CloudEvents name.
FIREBASE_AUTH_METADATA: Final = {"createdAt": "createTime", "lastSignedInAt": "lastSignInTime"}

#: The Realtime Database's ``domain`` for its default location.
FIREBASE_DATABASE_DEFAULT: Final = ("firebaseio.com", "us-central1")

DATA_CONTENT_TYPE: Final = "application/json"


class LegacyEventAdapter:
    """Legacy Cloud Functions background events into Google's CloudEvents."""

    name = "google.legacy"

    def matches(self, payload: Any, message: Message) -> bool:
        if type(payload) is not dict:
            return False
        context = payload.get("context")
        members = context if type(context) is dict else payload
        return all(name in members for name in ("eventId", "eventType", "resource"))

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        if type(payload) is not dict:
            raise InvalidEventError(
                "body", "a legacy event is a JSON object", spec.json_type(payload)
            )
        event_id, id_at = _member(payload, "eventId")
        if event_id is None:
            raise InvalidEventError(id_at, "is required")
        spec.check_non_empty(id_at, event_id)
        legacy_type, type_at = _member(payload, "eventType")
        spec.check_non_empty(type_at, legacy_type)
        ce_type = CLOUDEVENT_TYPES.get(legacy_type)
        if ce_type is None:
            raise InvalidEventError(
                type_at, "is not a legacy event type with a known CloudEvents type", legacy_type
            )
        timestamp, time_at = _member(payload, "timestamp")
        if "data" not in payload:
            raise InvalidEventError("data", "is required")
        parts = _Parts(*_service_and_resource(payload, legacy_type), None, payload["data"])
        pattern = RESOURCE_PATTERNS.get(parts.service)
        if pattern is not None:
            match = pattern.fullmatch(parts.resource)
            if match is None:
                raise InvalidEventError(
                    parts.resource_at,
                    f"does not have the form of a {parts.service} resource ({pattern.pattern})",
                    parts.resource,
                )
            parts.resource, parts.subject = match.groups()
        adjust = _ADJUSTMENTS.get(parts.service)
        if adjust is not None:
            adjust(parts, payload, event_id, timestamp)
        attributes: dict[str, Any] = {
            "id": event_id,
            "source": spec.check_uri_reference(
                parts.resource_at, f"//{parts.service}/{parts.resource}"
            ),
            "type": ce_type,
            "subject": parts.subject,
            "time": None if timestamp is None else spec.parse_timestamp(time_at, timestamp),
            "datacontenttype": DATA_CONTENT_TYPE,
        }
        return [Converted(event=CloudEvent(attributes, parts.data), native=payload)]


class _Parts:
    """What a legacy event's conversion collects, service by service."""

    __slots__ = ("data", "resource", "resource_at", "service", "subject")

    def __init__(
        self, service: str, resource: str, resource_at: str, subject: str | None, data: Any
    ) -> None:
        self.service = service
        self.resource = resource
        self.resource_at = resource_at
        self.subject = subject
        self.data = data


def _member(payload: dict[str, Any], name: str) -> tuple[Any, str]:
    """A context member, from ``context`` first, then from the top level."""
    context = payload.get("context")
    if type(context) is dict and context.get(name) is not None:
        return context[name], f"context.{name}"
    if type(context) is dict and name not in payload:
        return None, f"context.{name}"
    return payload.get(name), name


def _service_and_resource(payload: dict[str, Any], legacy_type: str) -> tuple[str, str, str]:
    resource, at = _member(payload, "resource")
    service: Any = None
    if type(resource) is dict:
        service = resource.get("service")
        if service is not None:
            spec.check_string(f"{at}.service", service)
        resource = resource.get("name")
        at += ".name"
    if resource is None:
        raise InvalidEventError(at, "is required")
    spec.check_non_empty(at, resource)
    if not service:
        service = next(
            (found for prefix, found in SERVICES_BY_PREFIX if legacy_type.startswith(prefix)),
            None,
        )
    if service is None:  # pragma: no cover - every type of CLOUDEVENT_TYPES has a prefix
        raise InvalidEventError(at, "names no service and none is known for the event type")
    return service, resource, at


# -- what each service changes (mapping.md, "Event-specific requirements") ---


def _storage(parts: _Parts, payload: dict[str, Any], event_id: str, timestamp: Any) -> None:
    # object.change resources end in "#<generation>", which is not part of the
    # object's name: cut it where it is the generation the data names.
    generation = parts.data.get("generation") if type(parts.data) is dict else None
    if parts.subject and type(generation) is str and parts.subject.endswith(f"#{generation}"):
        parts.subject = parts.subject[: -len(generation) - 1]


def _pubsub(parts: _Parts, payload: dict[str, Any], event_id: str, timestamp: Any) -> None:
    if type(parts.data) is not dict:
        raise InvalidEventError(
            "data", "a Pub/Sub message is a JSON object", spec.json_type(parts.data)
        )
    message = dict(parts.data)
    message.setdefault("messageId", event_id)
    if timestamp is not None:
        message.setdefault("publishTime", timestamp)
    parts.data = {"message": message}


def _firebase_auth(parts: _Parts, payload: dict[str, Any], event_id: str, timestamp: Any) -> None:
    if type(parts.data) is not dict:
        return
    data = dict(parts.data)
    metadata = data.get("metadata")
    if type(metadata) is dict:
        data["metadata"] = {
            FIREBASE_AUTH_METADATA.get(name, name): value for name, value in metadata.items()
        }
    uid = data.get("uid")
    if uid is not None:
        parts.subject = "users/" + spec.check_non_empty("data.uid", uid)
    parts.data = data


def _firebase_database(
    parts: _Parts, payload: dict[str, Any], event_id: str, timestamp: Any
) -> None:
    domain = payload.get("domain")
    if domain is None:
        raise InvalidEventError("domain", "is required in a Realtime Database event")
    spec.check_non_empty("domain", domain)
    default_domain, default_location = FIREBASE_DATABASE_DEFAULT
    location = default_location if domain == default_domain else domain.split(".")[0]
    parts.resource = f"projects/_/locations/{location}/{parts.resource}"


def _firebase_analytics(
    parts: _Parts, payload: dict[str, Any], event_id: str, timestamp: Any
) -> None:
    at = "data.userDim.appInfo.appId"
    found: Any = parts.data
    for name in at.split(".")[1:]:
        found = found.get(name) if type(found) is dict else None
    if found is None:
        raise InvalidEventError(at, "is required in a Firebase Analytics event")
    parts.resource += "/apps/" + spec.check_non_empty(at, found)


_ADJUSTMENTS: Final[dict[str, Callable[[_Parts, dict[str, Any], str, Any], None]]] = {
    STORAGE: _storage,
    PUBSUB: _pubsub,
    FIREBASE_AUTH: _firebase_auth,
    FIREBASE_DATABASE: _firebase_database,
    FIREBASE_ANALYTICS: _firebase_analytics,
}

ADAPTER: Final = LegacyEventAdapter()
