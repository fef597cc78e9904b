"""Native provider events into CloudEvents: one module per kind of message.

Every adapter satisfies :class:`cloudevents_wsgi.adapters.base.Adapter`.
"""
