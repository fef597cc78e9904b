"""Amazon SES email receiving (Lambda action) to CloudEvents.

``{"Records": [{"eventSource": "aws:ses", "ses": {"mail": ..., "receipt": ...}}]}``
(https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html)
becomes one CloudEvent per record:

==============  ===========================================================
``type``        ``com.amazonaws.ses.receipt``
``source``      ``aws:ses``
``id``          ``mail.messageId``
``subject``     ``mail.commonHeaders.subject`` (left out when absent or empty)
``time``        ``mail.timestamp``
data            the record's ``ses`` object (``application/json``)
==============  ===========================================================
"""

from __future__ import annotations

from typing import Any, Final

from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "SESAdapter"]

TYPE: Final = "com.amazonaws.ses.receipt"
EVENT_SOURCE: Final = "aws:ses"
SOURCE: Final = "aws:ses"


class SESAdapter(_aws.RecordsAdapter):
    """SES receipt notifications delivered to Lambda."""

    name = "aws.ses"
    event_source = EVENT_SOURCE

    def convert_record(self, record: dict[str, Any], where: str) -> Converted:
        return _record(record, where)


def _record(record: dict[str, Any], where: str) -> Converted:
    ses = _aws.obj_member(record, "ses", where)
    mail_path = f"{where}.ses.mail"
    mail = _aws.obj_member(ses, "mail", f"{where}.ses")
    subject = None
    headers = mail.get("commonHeaders")
    if headers is not None:
        headers = _aws.obj(headers, f"{mail_path}.commonHeaders")
        subject = _aws.optional_string(headers, "subject", f"{mail_path}.commonHeaders")
    attributes = {
        "type": TYPE,
        "source": SOURCE,
        "id": _aws.string(mail, "messageId", mail_path),
        "subject": subject or None,
        "time": _aws.timestamp(mail, "timestamp", mail_path),
        "datacontenttype": _aws.JSON,
    }
    paths = {
        "id": f"{mail_path}.messageId",
        "subject": f"{mail_path}.commonHeaders.subject",
    }
    return Converted(_aws.event(attributes, ses, paths), record)


ADAPTER: Final = SESAdapter()
