"""The books example: a Django project (and its one app) that keeps a list of
books, fed by S3 upload and delete events. See README.md beside this file."""
