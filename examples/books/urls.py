from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("books", views.books),
    path("books/<int:book_id>", views.book),
    path("books/events", views.events),
]
