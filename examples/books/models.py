from __future__ import annotations

from typing import Any

from django.db import models


class Book(models.Model):
    """A book file in the bucket: one per object key."""

    key = models.CharField(max_length=1024, unique=True)
    title = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.title

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "title": self.title,
            "size": self.size,
            "created": self.created.isoformat(),
        }
