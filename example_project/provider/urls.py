"""Routes of the provider, mounted under /api/ (see views.py for the list)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("authors", views.AuthorViewSet, basename="author")
router.register("genres", views.GenreViewSet, basename="genre")
router.register("books", views.BookViewSet, basename="book")
router.register("books-lo", views.BookLimitOffsetViewSet, basename="book-lo")
router.register("books-cursor", views.BookCursorViewSet, basename="book-cursor")
router.register("books-plain", views.BookPlainViewSet, basename="book-plain")
router.register("books-links", views.BookLinkHeaderViewSet, basename="book-links")

urlpatterns = [
    # The OpenAPI 3 schema of every route below (drf-spectacular), as NetBox serves its own.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "authors/<int:author_pk>/books/",
        views.AuthorBookList.as_view(),
        name="author-books",
    ),
    *router.urls,
]
