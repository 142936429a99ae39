"""The provider's endpoints (all under /api/, all behind ``Authorization: Token <key>``).

=============================  ==================================================
``authors/``                   authors; page-number pages
``genres/``                    genres; page-number pages
``books/``                     books; page-number pages (``page``, ``page_size``)
``books-lo/``                  the same books; ``limit`` / ``offset`` pages
``books-cursor/``              the same books; cursor pages (``cursor``, ``page_size``)
``books-plain/``               the same books; the list is a bare JSON array
``books-links/``               the same books; bare JSON array pages (``page``,
                               ``per_page``), ``Link`` and ``X-Total-Count`` headers
``authors/<author_pk>/books/`` one author's books (list and create); page-number pages
``books/<pk>/publish/``        POST: an action (DRF ``@action``) putting the book in
                               print, published on ``{"published": date}`` or today
``books/recent/``              GET: an action listing books, latest published first
                               (unpublished last); the list's filters and pages apply
=============================  ==================================================

The two actions are served under every ``books*/`` prefix, each with its pages.

Each resource serves list, create (201), retrieve, update (PUT), partial update
(PATCH) and destroy (204); a missing pk answers 404. Every list accepts the
filters in ``filters.py``, ``search=`` and ``ordering=`` (``-price,title``); a
list's order always ends with ``id``, so equal values never make rows jump
between pages.
"""

from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, generics, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filters import AuthorFilterSet, BookFilterSet
from .models import Author, Book, Genre
from .pagination import Cursor, LimitOffset, LinkHeader, PageNumber
from .serializers import (
    AuthorSerializer,
    BookSerializer,
    GenreSerializer,
    NestedBookSerializer,
    PublishSerializer,
)


class StableOrderingFilter(filters.OrderingFilter):
    """DRF's OrderingFilter, ending every order with ``id`` to make pages stable."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering = [*ordering, "id"]
        return ordering


#: Every list view filters (django-filter), searches (``search=``) and orders (``ordering=``).
FILTER_BACKENDS = [DjangoFilterBackend, filters.SearchFilter, StableOrderingFilter]


class AuthorViewSet(viewsets.ModelViewSet):
    filter_backends = FILTER_BACKENDS
    queryset = Author.objects.order_by("id")
    serializer_class = AuthorSerializer
    pagination_class = PageNumber
    filterset_class = AuthorFilterSet
    ordering_fields = ["id", "name", "born"]
    ordering = ["id"]
    search_fields = ["name"]


class GenreViewSet(viewsets.ModelViewSet):
    filter_backends = FILTER_BACKENDS
    queryset = Genre.objects.order_by("id")
    serializer_class = GenreSerializer
    pagination_class = PageNumber
    ordering_fields = ["id", "name"]
    ordering = ["id"]
    search_fields = ["name"]


class BookViewSet(viewsets.ModelViewSet):
    filter_backends = FILTER_BACKENDS
    queryset = Book.objects.prefetch_related("genres").order_by("id")
    serializer_class = BookSerializer
    pagination_class = PageNumber
    filterset_class = BookFilterSet
    ordering_fields = ["id", "title", "price", "published", "created_at", "author"]
    ordering = ["id"]
    search_fields = ["title"]

    @extend_schema(request=PublishSerializer, responses=BookSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Put the book in print, published on the date sent (default: today)."""
        book = self.get_object()
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        book.published = body.validated_data.get("published") or timezone.localdate()
        book.in_print = True
        book.save(update_fields=["published", "in_print"])
        return Response(self.get_serializer(book).data)

    @action(detail=False)
    def recent(self, request):
        """List the books latest published first (unpublished last), with the list's
        filters and pages."""
        queryset = self.filter_queryset(self.get_queryset()).order_by(
            F("published").desc(nulls_last=True), "-id"
        )
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(queryset, many=True).data)


class BookLimitOffsetViewSet(BookViewSet):
    pagination_class = LimitOffset


class BookCursorViewSet(BookViewSet):
    pagination_class = Cursor


class BookPlainViewSet(BookViewSet):
    pagination_class = None


class BookLinkHeaderViewSet(BookViewSet):
    pagination_class = LinkHeader


class AuthorBookList(generics.ListCreateAPIView):
    """List or create the books of the author in the URL (404 for a missing author)."""

    serializer_class = NestedBookSerializer
    filter_backends = FILTER_BACKENDS
    pagination_class = PageNumber
    filterset_class = BookFilterSet
    ordering_fields = BookViewSet.ordering_fields
    ordering = ["id"]
    search_fields = ["title"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication: an anonymous caller gets 401, not a 404 that leaks ids.
        self.author = get_object_or_404(Author, pk=self.kwargs["author_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the schema
            return Book.objects.none()
        return self.author.books.prefetch_related("genres").order_by("id")

    def perform_create(self, serializer):
        serializer.save(author=self.author)
