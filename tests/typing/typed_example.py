"""What type checkers infer from models declared with no annotations.

Checked by ``mypy --strict`` and by pyright in strict mode (``make types``, and
tests/typing/test_checkers.py); never imported by the suite, and nothing here
sends a request: the checks are function bodies no one calls.
"""

# pyright: strict

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, assert_type

from django_api_orm import Manager, QuerySet, RemoteModel, fields


class Author(RemoteModel):
    name = fields.CharField(max_length=100)
    born = fields.DateField(null=True, blank=True)

    class Meta:
        app_label = "testapp"
        endpoint = "authors/"
        filter_fields = {"name": ["exact"]}
        ordering_fields = ["name"]


class Genre(RemoteModel):
    name = fields.CharField(max_length=50)

    class Meta:
        app_label = "testapp"
        endpoint = "genres/"
        filter_fields = {"name": ["exact"]}
        ordering_fields = ["name"]


class Address(RemoteModel):
    city = fields.CharField()

    class Meta:
        embedded = True


class Book(RemoteModel):
    title = fields.CharField(max_length=200)
    summary = fields.TextField(blank=True, default="")
    subtitle = fields.CharField(null=True, blank=True)
    author = fields.ForeignKey(Author, related_name="books")
    editor = fields.ForeignKey(Author, null=True, related_name="edited")
    editor_id: int | None  # declared: typed (undeclared, author_id is Any)
    series = fields.ForeignKey("Series", null=True, related_name="books")
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    rating = fields.FloatField(null=True)
    pages = fields.IntegerField()
    published = fields.DateField(null=True, blank=True)
    in_print = fields.BooleanField(default=True)
    created_at = fields.DateTimeField(read_only=True)
    reading_time = fields.DurationField(null=True)
    opens_at = fields.TimeField(null=True)
    isbn = fields.UUIDField()
    contact = fields.EmailField(blank=True, default="")
    homepage = fields.URLField(null=True)
    extra = fields.JSONField(default=dict)
    tags = fields.ListField(fields.CharField(max_length=50), default=list)
    notes = fields.ListField(default=list)
    prices = fields.DictField(fields.DecimalField(), default=dict)
    shop = fields.EmbeddedField(Address, null=True)
    genres = fields.ManyToManyField(Genre)

    class Meta:
        app_label = "testapp"
        endpoint = "books/"
        filter_fields = {"title": ["exact"], "in_print": ["exact"]}
        ordering_fields = ["title"]


class Novel(Book):
    genre_name = fields.CharField()

    # pyright sees Book.Meta as an attribute this class overrides (the metaclass
    # removes it at run time); mypy does not.
    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        app_label = "testapp"
        endpoint = "novels/"
        filter_fields = {"title": ["exact"]}
        ordering_fields = ["title"]


# --- custom managers ---------------------------------------------------------


class PublisherManager(Manager["Publisher"]):
    def active(self) -> QuerySet[Publisher]:
        return self.filter(active=True)


class Publisher(RemoteModel):
    name = fields.CharField()
    active = fields.BooleanField()

    objects = PublisherManager()

    class Meta:
        app_label = "testapp"
        endpoint = "publishers/"
        filter_fields = {"active": ["exact"]}
        ordering_fields = ["name"]


class SeriesQuerySet(QuerySet["Series"]):
    def finished(self) -> SeriesQuerySet:
        return self.filter(finished=True)


class Series(RemoteModel):
    name = fields.CharField()
    finished = fields.BooleanField()

    objects = SeriesQuerySet.as_manager()

    class Meta:
        app_label = "testapp"
        endpoint = "series/"
        filter_fields = {"finished": ["exact"]}
        ordering_fields = ["name"]


class ShopQuerySet(QuerySet["Shop"]):
    def open(self) -> ShopQuerySet:
        return self.filter(open=True)


class Shop(RemoteModel):
    name = fields.CharField()
    open = fields.BooleanField()

    objects = Manager.from_queryset(ShopQuerySet)()

    class Meta:
        app_label = "testapp"
        endpoint = "shops/"
        filter_fields = {"name": ["exact"]}
        ordering_fields = ["name"]


# --- what is inferred --------------------------------------------------------


async def async_queries() -> None:
    assert_type(Book.objects, Manager[Book])
    assert_type(await Book.objects.aget(pk=1), Book)
    assert_type(await Book.objects.afirst(), Book | None)
    assert_type(await Book.objects.alast(), Book | None)
    assert_type(await Book.objects.alatest("created_at"), Book)
    assert_type(await Book.objects.acount(), int)
    assert_type(await Book.objects.aexists(), bool)
    assert_type(await Book.objects.acreate(title="Dune"), Book)
    assert_type(await Book.objects.aget_or_create(title="Dune"), tuple[Book, bool])
    assert_type(await Book.objects.aupdate_or_create(title="Dune"), tuple[Book, bool])
    assert_type(await Book.objects.ain_bulk([1, 2]), dict[Any, Book])
    assert_type(await Book.objects.abulk_create([Book(title="Dune")]), list[Book])

    books = Book.objects.filter(title="Dune")
    assert_type(books, QuerySet[Book])
    assert_type(books.exclude(in_print=False).order_by("title").all(), QuerySet[Book])
    assert_type(books.select_related("author").prefetch_related("genres"), QuerySet[Book])
    assert_type(books.using("default").nocache().reverse().none()[:10], QuerySet[Book])
    assert_type(await books.afirst(), Book | None)
    assert_type([b async for b in Book.objects.all()], list[Book])
    assert_type([b async for b in books.aiterator()], list[Book])
    assert_type(Book.objects.values("title"), QuerySet[Any])
    assert_type(Book.objects.values_list("title", flat=True), QuerySet[Any])

    book = await Book.objects.aget(pk=1)
    assert_type(book.title, str)
    assert_type(book.summary, str)
    assert_type(book.subtitle, str | None)
    assert_type(book.price, decimal.Decimal)
    assert_type(book.rating, float | None)
    assert_type(book.pages, int)
    assert_type(book.published, datetime.date | None)
    assert_type(book.in_print, bool)
    assert_type(book.created_at, datetime.datetime)
    assert_type(book.reading_time, datetime.timedelta | None)
    assert_type(book.opens_at, datetime.time | None)
    assert_type(book.isbn, uuid.UUID)
    assert_type(book.contact, str)
    assert_type(book.homepage, str | None)
    assert_type(book.extra, Any)
    assert_type(book.tags, list[str])
    assert_type(book.notes, list[Any])
    assert_type(book.prices, dict[str, decimal.Decimal])
    assert_type(book.shop, Address | None)
    assert_type(book.author, Author)
    assert_type(book.author.name, str)
    assert_type(book.editor, Author | None)
    assert_type(book.series, Any)  # a relation named by a string
    assert_type(book.author_id, Any)  # set by the field, not declared: Any
    assert_type(book.editor_id, int | None)
    assert_type(book.pk, Any)
    assert_type(await book.genres.all().afirst(), Genre | None)
    assert_type([g async for g in book.genres.all()], list[Genre])
    genre = await Genre.objects.aget(pk=1)
    await book.genres.aadd(genre, 2)
    await book.genres.aset([genre])
    book.genres.remove(genre)
    book.genres = [genre, 2]

    # A subclass is queried as itself, and keeps its parent's fields.
    assert_type(Novel.objects, Manager[Novel])
    novel = await Novel.objects.aget(pk=1)
    assert_type(novel, Novel)
    assert_type(novel.title, str)
    assert_type(Book.objects.get_queryset(), QuerySet[Book])
    try:
        await Book.objects.aget(title="Dune")
    except Book.DoesNotExist as missing:
        print(missing)

    assert_type(book.call("publish", method="POST"), Any)
    assert_type(book.call("similar", as_instances=True), Book | list[Book] | None)
    assert_type(Book.objects.call("recent", as_instances=True), Book | list[Book] | None)

    book.title = "Dune Messiah"
    book.published = None
    book.author = await Author.objects.aget(pk=1)
    await book.asave(update_fields=["title"])

    # The field itself, on the class.
    assert_type(Book.title, fields.CharField[str])
    assert_type(Book.published, fields.DateField[datetime.date | None])
    assert_type(Book.author, fields.ForeignKey[Author])

    # Custom managers keep their own methods.
    assert_type(Publisher.objects, PublisherManager)
    assert_type(Publisher.objects.active(), QuerySet[Publisher])
    assert_type(await Publisher.objects.aget(pk=1), Publisher)
    # as_manager() and from_queryset(): a Manager of the queryset's model.
    assert_type(Series.objects, Manager[Series, SeriesQuerySet])
    assert_type(await Series.objects.aget(pk=1), Series)
    assert_type(Series.objects.filter().finished(), SeriesQuerySet)
    assert_type(Shop.objects, Manager[Any, ShopQuerySet])
    assert_type(Shop.objects.filter().open(), ShopQuerySet)
    assert_type(await Shop.objects.all().afirst(), Shop | None)


def sync_queries() -> None:
    assert_type(Book.objects.get(pk=1), Book)
    assert_type(Book.objects.first(), Book | None)
    assert_type(Book.objects.count(), int)
    assert_type(Book.objects.create(title="Dune"), Book)
    assert_type(Book.objects.get_or_create(title="Dune"), tuple[Book, bool])
    assert_type(Book.objects.in_bulk([1]), dict[Any, Book])
    for each in Book.objects.all():
        assert_type(each, Book)
    assert_type(list(Book.objects.filter(in_print=True)), list[Book])
    assert_type(Book.objects.all()[0], Book)
    for book in Book.objects.iterator(chunk_size=100):
        assert_type(book, Book)
        assert_type(book.price, decimal.Decimal)
        book.save()
