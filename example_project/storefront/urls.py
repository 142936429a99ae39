"""The storefront's pages, mounted at the site root (the provider's API is under /api/)."""

from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.book_list, name="book_list"),
    path("books/new/", views.book_create, name="book_create"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
    path("books/<int:pk>/edit/", views.book_edit, name="book_edit"),
    path("books/<int:pk>/delete/", views.book_delete, name="book_delete"),
    path("authors/", views.author_list, name="author_list"),
    path("authors/<int:pk>/", views.author_detail, name="author_detail"),
    path("stats/", views.stats, name="stats"),
]
