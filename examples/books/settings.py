"""Settings of the books example.

Environment variables:

``BOOKS_DATABASE``
    the SQLite file (default: ``books.sqlite3`` beside this file, ignored by
    git, so that each checkout has its own; on Lambda, where only ``/tmp``
    is writable, ``books.sqlite3`` in the temporary folder). It is created,
    with its tables, when the app first starts.
``BOOKS_SECRET_KEY``
    Django's SECRET_KEY; the default is for trying the example only.
``BOOKS_DEBUG``
    ``1`` for Django's debug pages.
``BOOKS_ALLOWED_HOSTS``
    comma-separated; the default admits local servers, API Gateway and
    Lambda function URLs.
"""

from __future__ import annotations

import os
import tempfile

import django

SECRET_KEY = os.environ.get("BOOKS_SECRET_KEY", "books-example-not-a-secret")
DEBUG = os.environ.get("BOOKS_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get(
    "BOOKS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],.amazonaws.com,.on.aws"
).split(",")

INSTALLED_APPS = ["books"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Kept on purpose: the event view is exempt through cloudevent_required.
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "books.urls"
WSGI_APPLICATION = "books.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOOKS_DATABASE")
        or os.path.join(
            tempfile.gettempdir()
            if "AWS_LAMBDA_FUNCTION_NAME" in os.environ  # set by the Lambda runtime
            else os.path.dirname(os.path.abspath(__file__)),
            "books.sqlite3",
        ),
        # Several gunicorn workers share the file: wait for a lock rather
        # than fail with "database is locked". The timeout alone is not
        # enough: a transaction that starts as a reader and then writes
        # (update_or_create, delete) cannot wait for a writer in another
        # process and fails at once, unless it takes the write lock first
        # (BEGIN IMMEDIATE, Django 5.1 and later).
        "OPTIONS": {
            "timeout": 20,
            **({"transaction_mode": "IMMEDIATE"} if django.VERSION >= (5, 1) else {}),
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"books": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
