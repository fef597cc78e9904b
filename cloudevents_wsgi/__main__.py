"""``python -m cloudevents_wsgi``: the ``cloudevents-wsgi`` command."""

from .cli import run

run()
