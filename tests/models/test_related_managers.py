"""Related managers that write, the reverse many-to-many accessor and Prefetch objects,
pinned with respx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from django.core.exceptions import SynchronousOnlyOperation
from django.db.models import Prefetch

from django_api_orm import NotSupportedError, RemoteModel, fields
from django_api_orm.models import aprefetch_related_objects, prefetch_related_objects
from django_api_orm.models.relations import reverse_relations
from tests.models.conftest import API, book, page
from tests.testapp.models import Author, Book


class Chapter(RemoteModel):
    """A child whose foreign key cannot be null: no remove() nor clear()."""

    title = fields.CharField()
    author = fields.ForeignKey(Author, related_name="chapters")

    class Meta:
        endpoint = "chapters/"
        filter_fields = {"author": ["exact", "in"]}
        ordering_fields = ["id"]


class Topic(RemoteModel):
    name = fields.CharField()

    class Meta:
        endpoint = "topics/"
        filter_fields = {"id": ["in"]}
        ordering_fields = ["id", "name"]


class Article(RemoteModel):
    """A many-to-many whose provider filters ``topics__in``."""

    title = fields.CharField()
    topics = fields.ManyToManyField(Topic, related_name="articles")

    class Meta:
        endpoint = "articles/"
        filter_fields = {"topics": ["exact", "in"]}
        ordering_fields = ["id"]


class Note(RemoteModel):
    """A many-to-many whose provider filters ``topics`` by one value only."""

    topics = fields.ManyToManyField(Topic)

    class Meta:
        endpoint = "notes/"
        filter_fields = {"topics": ["exact"]}
        ordering_fields = ["id"]


def paths(mock: respx.MockRouter) -> list[str]:
    return [f"{c.request.method} {c.request.url.raw_path.decode()}" for c in mock.calls]


def bodies(mock: respx.MockRouter) -> list[Any]:
    return [json.loads(c.request.content) for c in mock.calls if c.request.content]


def echo(extra: dict[str, Any]) -> Any:
    """Answer a PATCH of books/<pk>/ with the book as updated."""

    def answer(request: httpx.Request) -> httpx.Response:
        pk = int(request.url.path.rstrip("/").rsplit("/", 1)[1])
        return httpx.Response(200, json={**book(pk), **extra, **json.loads(request.content)})

    return answer


ann = {"id": 7, "name": "Ann"}


# --- reverse foreign key: add, remove, clear, set --------------------------------


async def test_aadd_patches_only_the_foreign_key(api: respx.MockRouter) -> None:
    """Sends PATCH {"author": 7} for each book, keeping the book's unsaved changes."""
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    b1, b2 = Book.from_api(book(1, author=3)), Book.from_api(book(2, author=None))
    b1.title = "Unsaved"
    await author.books.aadd(b1, b2)
    assert sorted(paths(api)) == ["PATCH /api/books/1/", "PATCH /api/books/2/"]
    assert bodies(api) == [{"author": 7}, {"author": 7}]
    assert (b1.author_id, b2.author_id) == (7, 7)
    assert b1.title == "Unsaved"
    assert b1.author is author  # no request to read it back


async def test_aadd_unsaved_object_needs_bulk_false(api: respx.MockRouter) -> None:
    """Raises ValueError as Django for an unsaved object; bulk=False POSTs it."""
    author = Author.from_api(ann)
    new = Book(title="New", price=1)
    with pytest.raises(ValueError, match=r"isn't saved\. Use bulk=False or save the object first"):
        await author.books.aadd(new)
    assert not api.calls
    route = api.post("books/").respond(201, json=book(9, author=7, title="New"))
    await author.books.aadd(new, bulk=False)
    assert json.loads(route.calls.last.request.content)["author"] == 7
    assert new.pk == 9


async def test_aadd_refuses_another_model(api: respx.MockRouter) -> None:
    """Raises TypeError as Django for an object of another model."""
    with pytest.raises(TypeError, match="'Book' instance expected"):
        await Author.from_api(ann).books.aadd(Author.from_api({"id": 1, "name": "B"}))


async def test_aremove_patches_null_and_checks_membership(api: respx.MockRouter) -> None:
    """Sends PATCH {"author": null}; a book of another author raises DoesNotExist first."""
    api.get("books/").respond(json=page([book(1, author=7)]))
    api.patch("books/1/").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    mine, other = Book.from_api(book(1, author=7)), Book.from_api(book(2, author=8))
    with pytest.raises(Author.DoesNotExist, match="is not related to"):
        await author.books.aremove(mine, other)
    assert not api.calls
    await author.books.aremove(mine)
    assert paths(api) == ["GET /api/books/?id__in=1&page_size=100", "PATCH /api/books/1/"]
    assert bodies(api) == [{"author": None}]
    assert mine.author_id is None


async def test_aremove_leaves_an_object_moved_to_another_parent_meanwhile(
    api: respx.MockRouter,
) -> None:
    """Reads the objects' parent at the provider first, as Django updates only the rows
    still related: a book moved to another author since it was loaded keeps that author."""
    api.get("books/").respond(json=page([book(1, author=7), book(2, author=8)]))
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    stale = Book.from_api(book(2, author=7))  # moved to author 8 at the provider since
    await author.books.aremove(Book.from_api(book(1, author=7)), stale)
    assert paths(api) == ["GET /api/books/?id__in=1,2&page_size=100", "PATCH /api/books/1/"]
    assert bodies(api) == [{"author": None}]


async def test_aclear_lists_every_page_then_patches(api: respx.MockRouter) -> None:
    """Lists the related books (following next) and PATCHes each to null."""
    api.get("books/", params={"page": "2"}).respond(json=page([book(3, author=7)], count=3))
    api.get("books/").respond(
        json=page(
            [book(1, author=7), book(2, author=7)],
            count=3,
            next=f"{API}books/?author=7&page=2&page_size=100",
        )
    )
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    await Author.from_api(ann).books.aclear()
    assert paths(api)[:2] == [
        "GET /api/books/?author=7&page_size=100",
        "GET /api/books/?author=7&page=2&page_size=100",
    ]
    assert sorted(paths(api)[2:]) == [f"PATCH /api/books/{i}/" for i in (1, 2, 3)]
    assert bodies(api) == [{"author": None}] * 3


async def test_aset_removes_the_others_and_adds_the_new(api: respx.MockRouter) -> None:
    """Keeps what stays, PATCHes the others to null and the new ones to the author."""
    api.get("books/").respond(json=page([book(1, author=7), book(2, author=7)]))
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    await author.books.aset([Book.from_api(book(2, author=7)), Book.from_api(book(5, author=1))])
    got = sorted((c.request.url.path, json.loads(c.request.content)) for c in api.calls[1:])
    assert paths(api)[0] == "GET /api/books/?author=7&page_size=100"
    assert got == [("/api/books/1/", {"author": None}), ("/api/books/5/", {"author": 7})]


async def test_aset_clear_clears_first(api: respx.MockRouter) -> None:
    """With clear=True every related book is set to null, then the given ones added."""
    api.get("books/").respond(json=page([book(1, author=7)]))
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    await Author.from_api(ann).books.aset([Book.from_api(book(1, author=7))], clear=True)
    assert paths(api) == [
        "GET /api/books/?author=7&page_size=100",
        "PATCH /api/books/1/",
        "PATCH /api/books/1/",
    ]
    assert bodies(api) == [{"author": None}, {"author": 7}]


@pytest.mark.parametrize("clear", [False, True])
async def test_aset_refuses_before_removing_anything(api: respx.MockRouter, clear: bool) -> None:
    """An object add() would refuse (another model; unsaved with bulk=True) raises before
    any PATCH: the related books are not left removed (Django's set() is atomic)."""
    api.get("books/").respond(json=page([book(1, author=7), book(2, author=7)]))
    api.patch(url__regex=r".*/books/\d+/$").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    chapter = Chapter.from_api({"id": 4, "title": "C", "author": 1})
    with pytest.raises(TypeError, match="'Book' instance expected"):
        await author.books.aset([Book.from_api(book(1, author=7)), chapter], clear=clear)
    with pytest.raises(ValueError, match="isn't saved"):
        await author.books.aset([Book(title="New", price=1)], clear=clear)
    assert not [p for p in paths(api) if not p.startswith("GET")]


def test_remove_and_clear_need_a_nullable_foreign_key() -> None:
    """As Django: a non-null foreign key's manager has no remove(), clear() nor twins."""
    manager = Author.from_api(ann).chapters
    for name in ("remove", "aremove", "clear", "aclear"):
        with pytest.raises(AttributeError):
            getattr(manager, name)
    assert callable(manager.aadd) and callable(manager.aset)
    assert callable(Author.from_api(ann).books.aremove)


async def test_aset_on_a_non_null_foreign_key_only_adds(api: respx.MockRouter) -> None:
    """aset() of a non-null foreign key adds (nothing is removed), as Django."""
    api.patch("chapters/4/").respond(json={"id": 4, "title": "C", "author": 7})
    chapter = Chapter.from_api({"id": 4, "title": "C", "author": 1})
    await Author.from_api(ann).chapters.aset([chapter])
    assert paths(api) == ["PATCH /api/chapters/4/"]


async def test_writes_forget_the_prefetched_books(api: respx.MockRouter) -> None:
    """A write through the manager drops the prefetched list: the next read asks."""
    api.get("authors/").respond(json=page([ann]))
    api.get("books/").respond(json=page([book(1, author=7)]))
    (author,) = [a async for a in Author.objects.prefetch_related("books")]
    assert len(author.books.all()) == 1
    api.patch("books/1/").mock(side_effect=echo({}))
    await author.books.aremove(author.books.all()[0])
    with pytest.raises(SynchronousOnlyOperation):
        len(author.books.all())


async def test_aget_or_create_sets_the_foreign_key(api: respx.MockRouter) -> None:
    """Looks up with the author's filter, then creates with the author in the body."""
    api.get("books/").respond(json=page([]))
    post = api.post("books/").respond(201, json=book(4, author=7, title="T"))
    obj, created = await Author.from_api(ann).books.aget_or_create(title="T", defaults={"price": 1})
    assert created and obj.author_id == 7
    assert paths(api)[0] == "GET /api/books/?author=7&title=T&page_size=2"
    assert json.loads(post.calls.last.request.content)["author"] == 7


def test_sync_twins(api: respx.MockRouter) -> None:
    """add(), remove(), clear() and set() run their async twins in sync code."""
    api.patch("books/1/").mock(side_effect=echo({}))
    author = Author.from_api(ann)
    one = Book.from_api(book(1, author=3))
    author.books.add(one)
    listed = api.get("books/").respond(json=page([book(1, author=7)]))
    author.books.remove(one)
    listed.respond(json=page([]))
    author.books.clear()
    author.books.set([])
    assert [p for p in paths(api) if p.startswith("PATCH")] == ["PATCH /api/books/1/"] * 2


# --- forward many-to-many: one PATCH of the new list ---------------------------------


def article(pk: int, topics: list[int]) -> dict[str, Any]:
    return {"id": pk, "title": f"A{pk}", "topics": topics}


def answer_list(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={**article(5, []), **json.loads(request.content)})


async def test_many_add_remove_set_clear_send_the_new_list(api: respx.MockRouter) -> None:
    """Each write is one PATCH {"topics": [...]}; genres_ids then holds the answer."""
    route = api.patch("articles/5/").mock(side_effect=answer_list)
    obj = Article.from_api(article(5, [1, 2]))
    await obj.topics.aadd(Topic.from_api({"id": 3, "name": "c"}), 2, "4")
    assert obj.topics_ids == [1, 2, 3, 4]
    await obj.topics.aremove(1, Topic.from_api({"id": 4, "name": "d"}))
    assert obj.topics_ids == [2, 3]
    await obj.topics.aset([3, 9])
    assert obj.topics_ids == [3, 9]
    await obj.topics.aset([9, 1], clear=True)
    assert obj.topics_ids == [9, 1]
    await obj.topics.aclear()
    assert obj.topics_ids == []
    assert [json.loads(c.request.content) for c in route.calls] == [
        {"topics": [1, 2, 3, 4]},
        {"topics": [2, 3]},
        {"topics": [3, 9]},
        {"topics": [9, 1]},
        {"topics": []},
    ]
    assert paths(api) == ["PATCH /api/articles/5/"] * 5


async def test_many_write_keeps_other_unsaved_values(api: respx.MockRouter) -> None:
    """Only the list is sent and reloaded: an unsaved title stays as it was."""
    api.patch("articles/5/").respond(json={**article(5, [2]), "title": "Server"})
    obj = Article.from_api(article(5, [1]))
    obj.title = "Local"
    await obj.topics.aset([2])
    assert (obj.title, obj.topics_ids) == ("Local", [2])


async def test_many_unchanged_list_sends_nothing(api: respx.MockRouter) -> None:
    """Adding what is there or removing what is not sends no request."""
    obj = Article.from_api(article(5, [1]))
    await obj.topics.aadd(1)
    await obj.topics.aremove(2)
    assert not api.calls


async def test_many_errors_as_django(api: respx.MockRouter) -> None:
    """An unsaved owner raises ValueError, another model TypeError, before any request."""
    with pytest.raises(ValueError, match="before this many-to-many relationship"):
        await Article(title="new").topics.aadd(1)
    obj = Article.from_api(article(5, [1]))
    with pytest.raises(TypeError, match="'Topic' instance expected"):
        await obj.topics.aadd(Author.from_api(ann))
    with pytest.raises(ValueError, match="is None"):
        await obj.topics.aadd(Topic(name="unsaved"))
    assert not api.calls


async def test_many_write_forgets_the_prefetched_list(api: respx.MockRouter) -> None:
    """After a write the prefetched topics are dropped and read again."""
    api.get("articles/").respond(json=page([article(5, [1])]))
    api.get("topics/").respond(json=page([{"id": 1, "name": "a"}]))
    (obj,) = [a async for a in Article.objects.prefetch_related("topics")]
    assert [t.pk for t in obj.topics.all()] == [1]
    api.patch("articles/5/").mock(side_effect=answer_list)
    await obj.topics.aadd(2)
    with pytest.raises(SynchronousOnlyOperation):
        list(obj.topics.all())


def test_many_sync_twins(api: respx.MockRouter) -> None:
    """add(), remove(), set() and clear() in sync code."""
    api.patch("articles/5/").mock(side_effect=answer_list)
    obj = Article.from_api(article(5, []))
    obj.topics.add(1)
    obj.topics.set([1, 2])
    obj.topics.remove(1)
    obj.topics.clear()
    assert obj.topics_ids == []
    assert len(api.calls) == 4


# --- reverse many-to-many -----------------------------------------------------------


async def test_reverse_many_lists_by_the_filter(api: respx.MockRouter) -> None:
    """topic.articles lists GET articles/?topics=3."""
    api.get("articles/").respond(json=page([article(1, [3])]))
    topic = Topic.from_api({"id": 3, "name": "c"})
    assert [a.pk async for a in topic.articles.all()] == [1]
    assert paths(api) == ["GET /api/articles/?topics=3&page_size=100"]
    assert {(r.name, r.field.name) for r in reverse_relations(Topic)} >= {
        ("articles", "topics"),
        ("note_set", "topics"),
    }


async def test_reverse_many_prefetch_batches_with_in(api: respx.MockRouter) -> None:
    """Prefetches topic.articles with articles/?topics__in=, grouping by each list."""
    api.get("topics/").respond(json=page([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]))
    api.get("articles/").respond(json=page([article(10, [1, 2]), article(11, [2, 9])]))
    topics = [t async for t in Topic.objects.prefetch_related("articles")]
    assert [[a.pk for a in t.articles.all()] for t in topics] == [[10], [10, 11]]
    assert paths(api) == [
        "GET /api/topics/?page_size=100",
        "GET /api/articles/?topics__in=1,2&page_size=100",
    ]


async def test_reverse_many_prefetch_without_in_is_per_object(api: respx.MockRouter) -> None:
    """Without topics__in, prefetches with one notes/?topics= request per topic."""
    api.get("topics/").respond(json=page([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]))
    api.get("notes/", params={"topics": "1"}).respond(json=page([{"id": 5, "topics": [1]}]))
    api.get("notes/", params={"topics": "2"}).respond(json=page([]))
    topics = [t async for t in Topic.objects.prefetch_related("note_set")]
    assert [[n.pk for n in t.note_set.all()] for t in topics] == [[5], []]
    assert sorted(paths(api)[1:]) == [
        "GET /api/notes/?topics=1&page_size=100",
        "GET /api/notes/?topics=2&page_size=100",
    ]


async def test_reverse_many_add_remove_patch_each_list(api: respx.MockRouter) -> None:
    """Adds and removes the topic in each article's own list, one PATCH each."""
    route = api.patch(url__regex=r".*/articles/\d+/$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={**article(int(r.url.path.split("/")[-2]), []), **json.loads(r.content)}
        )
    )
    topic = Topic.from_api({"id": 3, "name": "c"})
    a1, a2 = Article.from_api(article(1, [1])), Article.from_api(article(2, [3]))
    await topic.articles.aadd(a1, a2)  # a2 holds it already: no request
    assert paths(api) == ["PATCH /api/articles/1/"]
    assert json.loads(route.calls.last.request.content) == {"topics": [1, 3]}
    await topic.articles.aremove(a1)
    assert json.loads(route.calls.last.request.content) == {"topics": [1]}
    assert a1.topics_ids == [1]


async def test_reverse_many_aclear(api: respx.MockRouter) -> None:
    """Lists the articles holding the topic and PATCHes each without it."""
    api.get("articles/").respond(json=page([article(1, [3, 4])]))
    route = api.patch("articles/1/").respond(json=article(1, [4]))
    await Topic.from_api({"id": 3, "name": "c"}).articles.aclear()
    assert json.loads(route.calls.last.request.content) == {"topics": [4]}


# --- Prefetch objects ---------------------------------------------------------------


async def test_prefetch_queryset_narrows_and_orders(api: respx.MockRouter) -> None:
    """ANDs the queryset's filters with the relation's and keeps its ordering."""
    api.get("authors/").respond(json=page([ann, {"id": 8, "name": "Bob"}]))
    api.get("books/").respond(json=page([book(2, author=8), book(1, author=7)]))
    lookup = Prefetch("books", queryset=Book.objects.filter(in_print=True).order_by("title"))
    authors = [a async for a in Author.objects.prefetch_related(lookup)]
    assert [[b.pk for b in a.books.all()] for a in authors] == [[1], [2]]
    assert (
        paths(api)[1] == "GET /api/books/?in_print=true&author__in=7,8&ordering=title&page_size=100"
    )


async def test_prefetch_to_attr_is_a_plain_list(api: respx.MockRouter) -> None:
    """Stores a list under to_attr; the manager is not prefetched."""
    api.get("authors/").respond(json=page([ann]))
    api.get("books/").respond(json=page([book(1, author=7)]))
    lookup = Prefetch("books", queryset=Book.objects.filter(in_print=True), to_attr="printed")
    (author,) = [a async for a in Author.objects.prefetch_related(lookup)]
    assert isinstance(author.printed, list) and [b.pk for b in author.printed] == [1]
    assert author._state.prefetched_for("books") is None


def test_prefetch_errors_as_django() -> None:
    """A queryset of another model, values(), a to_attr naming a field: ValueError."""
    with pytest.raises(ValueError, match="takes a queryset of Book, got one of Author"):
        Author.objects.prefetch_related(Prefetch("books", queryset=Author.objects.all()))
    with pytest.raises(ValueError, match="values"):
        Author.objects.prefetch_related(Prefetch("books", queryset=Book.objects.values("id")))
    with pytest.raises(ValueError, match="to_attr=name conflicts with a field"):
        Author.objects.prefetch_related(Prefetch("books", to_attr="name"))
    with pytest.raises(NotSupportedError, match="sliced"):
        Author.objects.prefetch_related(Prefetch("books", queryset=Book.objects.all()[:3]))
    with pytest.raises(ValueError, match="no relation"):
        Author.objects.prefetch_related("books__nope")


async def test_prefetch_nested_lookup(api: respx.MockRouter) -> None:
    """author__books loads the authors, then their books, one request per level; the
    "author" lookup after it is already done."""
    api.get("chapters/").respond(json=page([{"id": 1, "title": "c", "author": 7}]))
    api.get("authors/").respond(json=page([ann]))
    api.get("books/").respond(json=page([book(4, author=7)]))
    (chapter,) = [c async for c in Chapter.objects.prefetch_related("author__books", "author")]
    assert [b.pk for b in chapter.author.books.all()] == [4]
    assert paths(api) == [
        "GET /api/chapters/?page_size=100",
        "GET /api/authors/?id__in=7&ordering=name&page_size=100",
        "GET /api/books/?author__in=7&page_size=100",
    ]


async def test_prefetch_related_none_clears(api: respx.MockRouter) -> None:
    """prefetch_related(None) forgets the lookups, as in Django."""
    assert (
        Author.objects.prefetch_related("books").prefetch_related(None).query.prefetch_related == ()
    )


async def test_module_level_prefetch_related_objects(api: respx.MockRouter) -> None:
    """aprefetch_related_objects() takes instances and lookups, as Django's."""
    api.get("books/").respond(json=page([book(1, author=7)]))
    authors = [Author.from_api(ann)]
    await aprefetch_related_objects(authors, Prefetch("books", to_attr="all_books"))
    assert [b.pk for b in authors[0].all_books] == [1]
    assert paths(api) == ["GET /api/books/?author__in=7&page_size=100"]


def test_sync_prefetch_related_objects(api: respx.MockRouter) -> None:
    """prefetch_related_objects() in sync code."""
    api.get("books/").respond(json=page([book(1, author=7)]))
    authors = [Author.from_api(ann)]
    prefetch_related_objects(authors, "books")
    assert [b.pk for b in authors[0].books.all()] == [1]


async def test_aupdate_or_create_sets_the_foreign_key(api: respx.MockRouter) -> None:
    """Creates with the author in the body when nothing matches."""
    api.get("books/").respond(json=page([]))
    post = api.post("books/").respond(201, json=book(4, author=7, title="T"))
    obj, created = await Author.from_api(ann).books.aupdate_or_create(
        title="T", defaults={"price": 2}
    )
    assert created and obj.author_id == 7
    assert json.loads(post.calls.last.request.content)["author"] == 7


async def test_many_acreate_creates_then_adds(api: respx.MockRouter) -> None:
    """POSTs the topic, then PATCHes the article's list with it."""
    api.post("topics/").respond(201, json={"id": 8, "name": "new"})
    route = api.patch("articles/5/").mock(side_effect=answer_list)
    obj = Article.from_api(article(5, [1]))
    created = await obj.topics.acreate(name="new")
    assert created.pk == 8
    assert json.loads(route.calls.last.request.content) == {"topics": [1, 8]}
    assert paths(api) == ["POST /api/topics/", "PATCH /api/articles/5/"]


async def test_reverse_many_add_by_pk_fetches_the_objects(api: respx.MockRouter) -> None:
    """A pk given to topic.articles.aadd() is fetched first (a detail GET: articles/ has
    no id__in filter): its list is needed. A pk that does not exist raises."""
    api.get("articles/1/").respond(json=article(1, []))
    api.get("articles/2/").respond(404)
    route = api.patch("articles/1/").respond(json=article(1, [3]))
    topic = Topic.from_api({"id": 3, "name": "c"})
    await topic.articles.aadd(1)
    assert paths(api) == ["GET /api/articles/1/", "PATCH /api/articles/1/"]
    assert json.loads(route.calls.last.request.content) == {"topics": [3]}
    with pytest.raises(Article.DoesNotExist, match="2"):
        await topic.articles.aadd(2)


async def test_reverse_many_aset_clear_adds_back_what_it_cleared(api: respx.MockRouter) -> None:
    """With clear=True an article given that held the topic is cleared, then added back
    (its list as the server answered the clear, not the given copy's): it still holds it."""
    lists = {1: [3], 2: [3, 4]}
    api.get("articles/").mock(
        side_effect=lambda r: httpx.Response(
            200, json=page([article(pk, t) for pk, t in lists.items() if 3 in t])
        )
    )

    def patch(request: httpx.Request) -> httpx.Response:
        pk = int(request.url.path.split("/")[-2])
        lists[pk] = json.loads(request.content)["topics"]
        return httpx.Response(200, json=article(pk, lists[pk]))

    api.patch(url__regex=r".*/articles/\d+/$").mock(side_effect=patch)
    topic = Topic.from_api({"id": 3, "name": "c"})
    await topic.articles.aset([Article.from_api(article(2, [3, 4]))], clear=True)
    assert lists == {1: [], 2: [4, 3]}


async def test_reverse_many_aset(api: respx.MockRouter) -> None:
    """Removes the topic from the articles not given, adds it to the new ones."""
    api.get("articles/").respond(json=page([article(1, [3]), article(2, [3, 4])]))
    api.patch(url__regex=r".*/articles/\d+/$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={**article(int(r.url.path.split("/")[-2]), []), **json.loads(r.content)}
        )
    )
    topic = Topic.from_api({"id": 3, "name": "c"})
    await topic.articles.aset(
        [Article.from_api(article(2, [3, 4])), Article.from_api(article(6, []))]
    )
    got = sorted((c.request.url.path, json.loads(c.request.content)) for c in api.calls[1:])
    assert got == [("/api/articles/1/", {"topics": []}), ("/api/articles/6/", {"topics": [3]})]


async def test_prefetch_forward_to_attr_is_the_object(api: respx.MockRouter) -> None:
    """A foreign key's to_attr holds the object (None when the queryset leaves it out)."""
    api.get("books/").respond(json=page([book(1, author=7), book(2, author=8)]))
    api.get("authors/").respond(json=page([ann]))
    lookup = Prefetch("author", queryset=Author.objects.filter(id__in=[7, 8]), to_attr="writer")
    b1, b2 = [b async for b in Book.objects.prefetch_related(lookup)]
    assert b1.writer.name == "Ann" and b2.writer is None


async def test_prefetch_many_in_the_querysets_order(api: respx.MockRouter) -> None:
    """A many-to-many prefetched with an ordered queryset keeps that order."""
    api.get("articles/").respond(json=page([article(5, [1, 2])]))
    api.get("topics/").respond(json=page([{"id": 2, "name": "a"}, {"id": 1, "name": "b"}]))
    lookup = Prefetch("topics", queryset=Topic.objects.order_by("name"))
    (obj,) = [a async for a in Article.objects.prefetch_related(lookup)]
    assert [t.pk for t in obj.topics.all()] == [2, 1]
    assert paths(api)[1] == "GET /api/topics/?id__in=1,2&ordering=name&page_size=100"


def test_a_lookup_seen_twice_with_a_queryset_raises(api: respx.MockRouter) -> None:
    """As Django: a lookup already done cannot come back with a queryset."""
    api.get("books/").respond(json=page([]))
    with pytest.raises(ValueError, match="already seen with a different queryset"):
        prefetch_related_objects(
            [Author.from_api(ann)], "books", Prefetch("books", queryset=Book.objects.all())
        )


def test_reverse_many_to_many_name_clash_raises() -> None:
    """A related_name taken on the target raises TypeError, as for foreign keys."""
    with pytest.raises(TypeError, match=r"related_name 'name' clashes with Topic\.name"):

        class Clashing(RemoteModel):
            topics = fields.ManyToManyField(Topic, related_name="name")

            class Meta:
                endpoint = "clashing/"
                filter_fields: dict[str, list[str]] = {}
                ordering_fields = ["id"]


def test_a_redeclared_model_takes_over_its_reverse_accessor() -> None:
    """Declaring a model again (a module imported twice) moves the accessor to the new class."""

    def declare() -> type[RemoteModel]:
        class Redeclared(RemoteModel):
            topics = fields.ManyToManyField(Topic, related_name="redeclared")

            class Meta:
                endpoint = "redeclared/"
                filter_fields = {"topics": ["exact"]}
                ordering_fields = ["id"]

        return Redeclared

    declare()
    second = declare()
    assert Topic.from_api({"id": 1, "name": "a"}).redeclared.model is second


async def test_assigning_the_many_to_many_sets_the_list(api: respx.MockRouter) -> None:
    """Article(topics=[...]) and article.topics = [...] set topics_ids, sent by the save
    (not silently dropped); the reverse sides refuse assignment, as Django's."""
    route = api.post("articles/").respond(201, json=article(3, [1, 2]))
    obj = Article(title="x", topics=[1, Topic.from_api({"id": 2, "name": "b"})])
    assert obj.topics_ids == [1, 2]
    await obj.asave()
    assert json.loads(route.calls.last.request.content) == {"title": "x", "topics": [1, 2]}
    obj.topics = [7]
    assert obj.topics_ids == [7]
    with pytest.raises(TypeError, match="'Topic' instance expected"):
        obj.topics = [Author.from_api(ann)]
    with pytest.raises(TypeError, match=r"Use books\.set"):
        Author.from_api(ann).books = []
    with pytest.raises(TypeError, match=r"Use articles\.set"):
        Topic.from_api({"id": 1, "name": "a"}).articles = []


async def test_aset_takes_a_queryset(api: respx.MockRouter) -> None:
    """A QuerySet given to aset() is evaluated with async for, then its pks sent."""
    api.get("topics/").respond(json=page([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]))
    route = api.patch("articles/5/").mock(side_effect=answer_list)
    obj = Article.from_api(article(5, [9]))
    await obj.topics.aset(Topic.objects.filter(id__in=[1, 2]))
    assert json.loads(route.calls.last.request.content) == {"topics": [1, 2]}


def test_reverse_many_sync_twins(api: respx.MockRouter) -> None:
    """add(), remove(), clear() and set() of the reverse accessor in sync code."""
    api.patch("articles/1/").mock(
        side_effect=lambda r: httpx.Response(200, json={**article(1, []), **json.loads(r.content)})
    )
    api.get("articles/").respond(json=page([]))
    topic = Topic.from_api({"id": 3, "name": "c"})
    one = Article.from_api(article(1, []))
    topic.articles.add(one)
    assert one.topics_ids == [3]
    topic.articles.remove(one)
    topic.articles.clear()
    topic.articles.set([])
    assert one.topics_ids == []
    assert [p for p in paths(api) if p.startswith("PATCH")] == ["PATCH /api/articles/1/"] * 2
