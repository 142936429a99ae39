"""The storefront's pages: async views reading and writing the provider through RemoteModels.

Each page costs a few requests to the provider, never one per book: the list
sends its count, its page and the genres at once (``asyncio.gather``), and
``select_related("author")`` loads the page's authors with one batched request.
``stats`` is a sync view, to show the sync twins (``count()``, iteration).
"""

import asyncio
import math
from collections.abc import Awaitable, Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import aget_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from django_api_orm import BadRequestError, QuerySet
from django_api_orm.forms import add_provider_errors

from .forms import BookFilterForm, BookForm
from .models import Author, Book, Genre

#: Books per page of the list.
PAGE_SIZE = 20
#: Page links shown on each side of the current page (plus the first and the last).
PAGE_WINDOW = 2


async def gather(*awaitables: Awaitable[Any]) -> list[Any]:
    """Await ``awaitables`` concurrently; on the first error cancel the rest, then raise it.

    ``asyncio.gather`` alone would leave the others running after an error (a 404
    for the book while its genres are still loading).
    """
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def as_list(queryset: QuerySet[Any]) -> list[Any]:
    return [obj async for obj in queryset]


def genre_names(book: Book, genres: Iterable[Genre]) -> list[str]:
    names = {genre.pk: genre.name for genre in genres}
    return [names[pk] for pk in book.genres if pk in names]


# --- books -----------------------------------------------------------------------------


@require_GET
async def book_list(request: HttpRequest) -> HttpResponse:
    """List books with filters, an ordering and numbered pages."""
    form = BookFilterForm(request.GET)
    form.is_valid()  # an invalid field shows its error and is left out of the query
    lookups = form.filters()
    books = Book.objects.filter(**lookups).order_by(form.order_by())
    page = page_number(request)
    start = (page - 1) * PAGE_SIZE
    try:
        total, page_books, genres = await gather(
            books.acount(),
            as_list(books.select_related("author")[start : start + PAGE_SIZE]),
            as_list(Genre.objects.all()),
        )
    except BadRequestError as error:
        # The provider refused a filter the form let through (a genre it does not
        # have): show its message on that filter, and no books, not a 500.
        form.add_provider_errors(error)
        total, page_books, genres = 0, [], await as_list(Genre.objects.all())
        refused = True
    else:
        refused = False
    form.show_genres(genres)
    num_pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > num_pages and not refused:
        raise Http404(f"There is no page {page}: the list has {num_pages}.")
    context = {
        "section": "books",
        "form": form,
        "books": page_books,
        "total": total,
        "first": start + 1,
        "last": start + len(page_books),
        "page": page,
        "num_pages": num_pages,
        "page_links": page_links(request, page, num_pages),
        "previous_url": page_url(request, page - 1) if page > 1 else None,
        "next_url": page_url(request, page + 1) if page < num_pages else None,
        "filtered": bool(lookups),
        "refused": refused,
    }
    return render(request, "storefront/book_list.html", context)


def page_number(request: HttpRequest) -> int:
    """Return the ``page`` query parameter (default 1); 404 if it is not a page number."""
    raw = request.GET.get("page") or "1"
    try:
        page = int(raw)
    except ValueError:
        raise Http404("The page number is not a whole number.") from None
    if page < 1:
        raise Http404("Pages are numbered from 1.")
    return page


def page_url(request: HttpRequest, page: int) -> str:
    """Return this list's URL (its filters kept) at ``page``."""
    params = request.GET.copy()
    params.pop("page", None)
    if page > 1:
        params["page"] = str(page)
    return f"?{params.urlencode()}" if params else request.path


def page_links(request: HttpRequest, page: int, num_pages: int) -> list[dict[str, Any] | None]:
    """Return the page links to show: the first, the last, a window around ``page``.

    ``None`` stands for a gap (drawn as an ellipsis).
    """
    shown = {1, num_pages, *range(page - PAGE_WINDOW, page + PAGE_WINDOW + 1)}
    links: list[dict[str, Any] | None] = []
    previous = 0
    for number in sorted(n for n in shown if 1 <= n <= num_pages):
        if number - previous > 1:
            links.append(None)
        links.append(
            {"number": number, "url": page_url(request, number), "current": number == page}
        )
        previous = number
    return links


@require_GET
async def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one book with its author and genres."""
    book, genres = await gather(
        aget_object_or_404(Book.objects.select_related("author"), pk=pk),
        as_list(Genre.objects.all()),
    )
    context = {"section": "books", "book": book, "genres": genre_names(book, genres)}
    return render(request, "storefront/book_detail.html", context)


@require_http_methods(["GET", "POST"])
async def book_create(request: HttpRequest) -> HttpResponse:
    """Add a book: POST it to the provider, showing the provider's errors on the form."""
    authors, genres = await gather(as_list(Author.objects.all()), as_list(Genre.objects.all()))
    if request.method == "POST":
        form = BookForm(request.POST, authors=authors, genres=genres)
        if form.is_valid():
            book = form.save(commit=False)
            try:
                await book.asave()
            except BadRequestError as error:
                add_provider_errors(form, error)
            else:
                messages.success(request, f"“{book.title}” was added.")
                return redirect("storefront:book_detail", pk=book.pk)
    else:
        initial = {"in_print": True, "author": request.GET.get("author")}
        form = BookForm(initial=initial, authors=authors, genres=genres)
    context = {"section": "create", "form": form, "book": None}
    return render(request, "storefront/book_form.html", context)


@require_http_methods(["GET", "POST"])
async def book_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a book: PATCH only the fields that changed."""
    book, authors, genres = await gather(
        aget_object_or_404(Book, pk=pk),
        as_list(Author.objects.all()),
        as_list(Genre.objects.all()),
    )
    if request.method == "POST":
        form = BookForm(request.POST, instance=book, authors=authors, genres=genres)
        if form.is_valid():
            changed = form.changed_data
            form.save(commit=False)  # the form's values, set on the book
            try:
                await book.asave(update_fields=changed)  # PATCH what changed (nothing: no request)
            except BadRequestError as error:
                add_provider_errors(form, error)
            except Book.DoesNotExist:
                raise Http404("This book has just been deleted.") from None
            else:
                if changed:
                    messages.success(request, f"Your changes to “{book.title}” were saved.")
                else:
                    messages.info(request, "Nothing to save: no field was changed.")
                return redirect("storefront:book_detail", pk=book.pk)
    else:
        form = BookForm(instance=book, authors=authors, genres=genres)
    context = {"section": "books", "form": form, "book": book}
    return render(request, "storefront/book_form.html", context)


@require_http_methods(["GET", "POST"])
async def book_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation, then DELETE the book."""
    book = await aget_object_or_404(Book.objects.select_related("author"), pk=pk)
    if request.method == "POST":
        title = book.title
        try:
            await book.adelete()
        except Book.DoesNotExist:
            raise Http404("This book has already been deleted.") from None
        messages.success(request, f"“{title}” was deleted.")
        return redirect("storefront:book_list")
    context = {"section": "books", "book": book}
    return render(request, "storefront/book_confirm_delete.html", context)


# --- authors ---------------------------------------------------------------------------


@require_GET
async def author_list(request: HttpRequest) -> HttpResponse:
    """List every author, by name."""
    authors = await as_list(Author.objects.all())
    context = {"section": "authors", "authors": authors}
    return render(request, "storefront/author_list.html", context)


@require_GET
async def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an author and the author's books."""
    # One after the other: the provider answers 400, not an empty list, for books
    # of an author that does not exist, and the page should then be a 404.
    author = await aget_object_or_404(Author, pk=pk)
    books = await as_list(Book.objects.filter(author=author.pk).order_by("title"))
    context = {"section": "authors", "author": author, "books": books}
    return render(request, "storefront/author_detail.html", context)


# --- a sync view -----------------------------------------------------------------------


@require_GET
def stats(request: HttpRequest) -> JsonResponse:
    """Return a few numbers as JSON, from a sync view: the sync twins at work."""
    total = Book.objects.count()
    in_print = Book.objects.filter(in_print=True).count()
    priciest = [
        {
            "id": book.pk,
            "title": book.title,
            "author": book.author.name,
            "price": str(book.price),
        }
        for book in Book.objects.select_related("author").order_by("-price")[:5]
    ]
    return JsonResponse(
        {
            "books": total,
            "in_print": in_print,
            "out_of_print": total - in_print,
            "authors": Author.objects.count(),
            "priciest": priciest,
        }
    )
