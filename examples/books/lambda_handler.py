"""The books app on AWS Lambda (handler: ``books.lambda_handler.handler``).

HTTP API requests become the requests they describe (``GET /books``...); every
other event, here the bucket's S3 notifications, becomes a POST to
``/books/events``, where the view takes it as a CloudEvent.
"""

from __future__ import annotations

from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .wsgi import application

handler = make_lambda_handler(application, event_path="/books/events")
