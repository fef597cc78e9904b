"""The books app as a WSGI application, behind CloudEventsMiddleware.

``gunicorn books.wsgi`` (from ``examples/``) serves it; the Lambda handler in
``lambda_handler.py`` runs the same object. The database and its tables are
created here on first start, so there is no manual step.
"""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

from cloudevents_wsgi import CloudEventsMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "books.settings")


def _migrate() -> None:
    """Create or update the tables, once per process, one process at a time."""
    from django.conf import settings

    lock_path = str(settings.DATABASES["default"]["NAME"]) + ".lock"
    try:
        import fcntl
    except ImportError:  # Windows: one process at a time is up to you
        call_command("migrate", interactive=False, verbosity=0)
        return
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("migrate", interactive=False, verbosity=0)


application = CloudEventsMiddleware(get_wsgi_application())
_migrate()
