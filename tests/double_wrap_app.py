"""The repository's Flask example wrapped a second time, for gunicorn: the example
wraps its ``wsgi_app`` in the middleware, and this module wraps the Flask app
again, as a user who wraps every application they serve would."""

from __future__ import annotations

import sys
from pathlib import Path

from cloudevents_wsgi import CloudEventsMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import flask_app  # type: ignore[import-not-found]

application = CloudEventsMiddleware(flask_app.app)
