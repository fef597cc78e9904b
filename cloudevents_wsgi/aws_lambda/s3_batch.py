"""Amazon S3 Batch Operations: the Invoke Lambda function operation.

Event and answer: https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
(``invocationSchemaVersion`` ``1.0`` or ``2.0``, ``invocationId``, ``job``,
``tasks[]`` of ``taskId``, ``s3Key``, ``s3VersionId`` and ``s3BucketArn``
(1.0) or ``s3Bucket`` (2.0); the answer ``{"invocationSchemaVersion",
"treatMissingKeysAs", "invocationId", "results": [{"taskId", "resultCode",
"resultString"}]}``).

The app is called once per task with the CloudEvent:

==============  ===============================================================
``type``        ``com.amazonaws.s3.batch.task``
``source``      the bucket ARN (``s3BucketArn``, or ``arn:aws:s3:::`` + ``s3Bucket``)
``id``          ``taskId``
``subject``     ``s3Key``
data            ``{"job": job, "task": task}`` (``application/json``)
==============  ===============================================================

Its answer is the task's result: 2xx -> ``Succeeded``, 4xx ->
``PermanentFailure``, 5xx, an exception or a task not started before the
deadline -> ``TemporaryFailure`` (S3 retries it). ``resultString`` is the
answer's body as text (at most 1,024 characters), or the status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from . import _answered
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "s3-batch"
TYPE: Final = "com.amazonaws.s3.batch.task"


def infer(event: Any) -> bool:
    """``invocationSchemaVersion``, ``invocationId``, ``job`` and a ``tasks`` array."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("invocationSchemaVersion"), str)
        and isinstance(event.get("invocationId"), str)
        and isinstance(event.get("tasks"), list)
        and isinstance(event.get("job"), dict)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    results = []
    for task in event["tasks"]:
        task_id = task.get("taskId") if isinstance(task, dict) else None
        if _answered.deadline_passed(options, context):
            code, text = "TemporaryFailure", "not started: the Lambda deadline was near"
        elif not isinstance(task, dict) or not isinstance(task_id, str):
            code, text = "PermanentFailure", "the task has no taskId"
        else:
            response, ok = _answered.call(app, options, _cloudevent(event, task), context)
            if ok:
                code = "Succeeded"
            elif 400 <= response.code < 500:
                code = "PermanentFailure"
            else:
                code = "TemporaryFailure"
            text = response.body.decode("utf-8", "replace")[:1024] or response.status
        results.append({"taskId": task_id, "resultCode": code, "resultString": text})
    return {
        "invocationSchemaVersion": event["invocationSchemaVersion"],
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": event["invocationId"],
        "results": results,
    }


def _cloudevent(event: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    bucket = task.get("s3BucketArn")
    if not isinstance(bucket, str):
        bucket = f"arn:aws:s3:::{task.get('s3Bucket')}"
    cloudevent: dict[str, Any] = {
        "specversion": "1.0",
        "type": TYPE,
        "source": bucket,
        "id": task["taskId"],
        "datacontenttype": "application/json",
        "data": {"job": event["job"], "task": task},
    }
    if isinstance(task.get("s3Key"), str) and task["s3Key"]:
        cloudevent["subject"] = task["s3Key"]
    return cloudevent
