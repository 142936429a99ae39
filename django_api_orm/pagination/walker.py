"""Walk the pages of a list endpoint, returning exactly the rows of a slice.

Pages are followed through ``next``, but only its query string is used,
re-applied to the list path on the service's own URL: a ``next`` on another
origin raises and nothing is sent there, and so does a ``next`` without a query
string. A server that returns pages of another size than asked is detected and
walked correctly instead of yielding the wrong rows. The walker sends nothing
itself: it is given ``fetch``, the compiler's way of sending one list request.

A walk always ends, and never returns a row twice or skips one unnoticed. It
raises :class:`~django_api_orm.exceptions.InvalidResponseError` when a ``next``
link leads to a page already read, when a page repeats a row of the page before
it (the list changed under a positional walk, or the server loops), when the
server sends more rows than the ``count`` it reported, when that ``count``
changes between pages of a positional walk (rows were added or removed while
it was read, so some were skipped or repeated), and after
``PAGINATION["MAX_PAGES"]`` pages.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from django_api_orm.exceptions import HTTPStatusError, InvalidResponseError
from django_api_orm.pagination.styles import Page, PaginationStyle, Params, plan_page_size
from django_api_orm.urls import origin_of

__all__ = ["Fetch", "OutOfRange", "PageWalker", "plan_page_size"]

#: Send one list request (parameters, or a query string taken from ``next``) and
#: return the parsed page.
Fetch = Callable[[Params | str], Awaitable[Page]]
#: How many of the last ``next`` links followed are checked against a circle.
RECENT_LINKS = 32
#: Tell whether an error answer means "no such page" (the end) rather than a failure.
OutOfRange = Callable[[HTTPStatusError], bool]

_RETRY_HINT = (
    "Read it again, order by a key that new rows sort after, or use a provider "
    "endpoint with cursor pagination, which stays consistent while the list changes."
)


def _keys(rows: list[Any], key: str) -> set[Hashable]:
    """The ``key`` values of ``rows`` that can identify a row (``None`` and
    unhashable values cannot)."""
    try:
        found: set[Hashable] = set(map(operator.itemgetter(key), rows))  # the usual case, fast
    except (KeyError, TypeError, IndexError):
        found = set()
        for row in rows:
            value = row.get(key) if isinstance(row, dict) else None
            try:
                found.add(value)
            except TypeError:  # a list or an object: not an identity to compare
                continue
    found.discard(None)
    return found


def _same_link(query: str) -> tuple[str, ...]:
    """A query string in a form where ``a=1&b=2`` and ``b=2&a=1`` are the same link
    (its encoded parameters, sorted: cheap enough for every page)."""
    return tuple(sorted(query.split("&")))


class PageWalker:
    """Fetch the rows ``[low:high]`` of one list request, page by page.

    ``key`` names the rows' primary key on the wire; with it, a page repeating a
    row of the page before it raises instead of returning that row twice.
    """

    def __init__(
        self,
        fetch: Fetch,
        out_of_range: OutOfRange,
        style: PaginationStyle,
        params: Params,
        *,
        path: str,
        origin: str,
        key: str | None = None,
    ) -> None:
        self.fetch = fetch
        self.out_of_range = out_of_range
        self.style = style
        self.params = params
        self.path = path
        self.origin = origin
        self._on_origin = origin + "/"
        self.key = key
        #: The total the server reported on the first page, if it did.
        self.count: int | None = None

    def _follow(self, next_url: str) -> str:
        """Return the query string of ``next_url``, refusing a link to another origin,
        or one without a query string (re-applied to the list, it would read page 1)."""
        if (
            next_url.startswith(self._on_origin)
            # urlsplit() drops these from anywhere in a URL: such a link takes its path.
            and "\n" not in next_url
            and "\r" not in next_url
            and "\t" not in next_url
        ):
            # On our origin, as DRF writes its links (same scheme, host and port as
            # the service's origin, then a path): urlsplit()'s query without its cost.
            query = next_url.partition("#")[0].partition("?")[2]
            if query:
                return query
        parts = urlsplit(next_url)
        if parts.scheme or parts.netloc:
            origin = origin_of(next_url)
            if origin is None or str(origin) != self.origin:
                raise InvalidResponseError(
                    f"GET {self.path}: the server's 'next' link points to another origin "
                    f"({parts.scheme}://{parts.netloc}); it was not followed."
                )
        if not parts.query:
            raise InvalidResponseError(
                f"GET {self.path}: the server's 'next' link has no query string; only a "
                "next link's query string is followed, on the list endpoint, so it was not."
            )
        return parts.query

    def _page(self, start: int, size: int) -> Params:
        return self.params + self.style.page_params(start, size)

    def _broken(self, why: str) -> InvalidResponseError:
        return InvalidResponseError(f"GET {self.path}: {why}")

    async def rows(
        self,
        low: int = 0,
        high: int | None = None,
        *,
        size: int | None = None,
        prefetch: int = 0,
    ) -> AsyncIterator[list[Any]]:
        """Yield lists of rows, in order, that together are exactly rows ``[low:high]``.

        With ``prefetch=N``, a positional style (page number, limit/offset) and a
        server that reports ``count``, the N pages following the one being read are
        requested at once; rows come in the same order, and pass the same checks, as
        walking ``next`` one page at a time. At most N + 1 pages are held: the one
        just yielded and the N requested after it (each in flight, or received and
        waiting its turn). The next request is sent only when the walk moves on
        to the following page, and no page past ``MAX_PAGES`` is requested. Any
        other walk (a cursor, a Link header, no ``count``, a server that does not
        honour the page size) follows ``next``, one request at a time.
        """
        if high is not None and high <= low:
            return
        style = self.style
        largest = size or style.page_size
        wanted = None if high is None else high - low
        start, page_size = style.plan(low, high, largest)
        skip = low - start
        first_params = self._page(start, page_size)
        honoured = True
        try:
            page = await self.fetch(first_params)
        except HTTPStatusError as exc:
            if not (start > 0 and self.out_of_range(exc)):
                raise
            honoured = False  # past the end, or past the server's own pages
        else:
            honoured = start == 0 or self._size_honoured(page, start, page_size)
        if not honoured:
            # The server pages by another size than asked, so the page computed from
            # ours does not start at the row we want: its own first page tells more.
            found = await self._restart(low, page_size)
            if found is None:
                return
            start, page_size, page, first_params = found
            skip = low - start
        self.count = page.count
        end = high
        if self.count is not None:
            end = self.count if end is None else min(end, self.count)
        check = _Checks(self, start)
        pages = self._pages_from(page, first_params, start, page_size, end, prefetch)
        del page  # _pages_from hands the first page over, then lets it go
        async for current in pages:
            check(current)
            chunk = current.rows
            if skip:
                taken = min(skip, len(chunk))
                chunk = chunk[taken:]
                skip -= taken
            if wanted is not None and len(chunk) >= wanted:
                if wanted:
                    yield chunk[:wanted]
                return
            if chunk:
                yield chunk
                if wanted is not None:
                    wanted -= len(chunk)

    async def _pages_from(
        self,
        first: Page,
        first_params: Params,
        start: int,
        size: int,
        end: int | None,
        prefetch: int,
    ) -> AsyncIterator[Page]:
        """Yield ``first``, then the following pages: through ``next``, or, with
        ``prefetch``, up to that many planned requests in flight, in order.

        Pages are planned only where following ``next`` would read the same ones:
        the server reported a total and the first page is full (the size asked
        was honoured) and links to a next page.
        """
        yield first
        page = first
        del first  # no reference to the first page outlives its turn
        if (
            prefetch > 0
            and self.count is not None
            and end is not None
            and self.style.positional
            and page.next is not None
            and len(page.rows) == size
        ):
            # Pages 2 to MAX_PAGES + 1 at most: the checks raise on the one past
            # MAX_PAGES, as on a walk through next; a lazy range, not a list.
            requests = (self._page(row, size) for row in range(start + size, end, size))
            del page
            async for ahead in self._prefetched(
                itertools.islice(requests, self.style.max_pages), prefetch
            ):
                yield ahead
            return
        # A server that links in a circle would never end. The links followed most
        # recently are remembered, not all of them: streaming stays constant in memory
        # (and MAX_PAGES ends a longer circle).
        followed: collections.deque[tuple[str, ...]] = collections.deque(
            [_same_link(urlencode(first_params))], maxlen=RECENT_LINKS
        )
        while page.next:
            query = self._follow(page.next)
            link = _same_link(query)
            if link in followed:
                raise self._broken(
                    f"the server's 'next' link ({page.next}) leads back to a page already "
                    "read; it was not followed again."
                )
            followed.append(link)
            page = await self.fetch(query)
            yield page

    async def _prefetched(self, requests: Iterator[Params], window: int) -> AsyncIterator[Page]:
        """Fetch ``requests`` with at most ``window`` in flight; yield the pages in order.

        While a page is yielded, ``window`` more are requested after it (fewer near
        the end): the one request sent before each yield replaces the page just
        taken from the window, so window + 1 pages are held at most.
        """
        tasks: collections.deque[asyncio.Task[Page]] = collections.deque()
        try:
            for params in itertools.islice(requests, window):
                tasks.append(asyncio.ensure_future(self.fetch(params)))
            while tasks:
                page = await tasks.popleft()
                following = next(requests, None)
                if following is not None:
                    tasks.append(asyncio.ensure_future(self.fetch(following)))
                yield page
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _restart(self, low: int, size: int) -> tuple[int, int, Page, Params] | None:
        """Return ``(start, size, page, params)`` of the first page to walk from to reach
        row ``low`` when the page planned at ``size`` did not prove to hold it, or
        ``None`` when ``low`` is past the end.

        A first page of one row shows the total (is ``low`` past the end?) and
        whether the server honours the size at all: one that ignores it sends its
        own page size, and a positional style then asks for the page holding
        ``low`` at that size, kept only if it proves to hold those rows.
        Otherwise the walk starts from the first page.
        """
        params = self._page(0, 1)
        page = await self.fetch(params)
        self.count = page.count
        if page.count is not None and low >= page.count:
            return None
        own = len(page.rows)
        if own <= 1:
            # One row asked, one sent: the size is honoured; walk at the size planned.
            params = self._page(0, size)
            return 0, size, await self.fetch(params), params
        if self.style.positional and page.next and own <= low:
            start = (low // own) * own
            jump = self._page(start, own)
            try:
                found = await self.fetch(jump)
            except HTTPStatusError as exc:
                if not self.out_of_range(exc):
                    raise
            else:
                if self._size_honoured(found, start, own):
                    return start, own, found, jump
        return 0, own, page, params

    def _size_honoured(self, page: Page, start: int, size: int) -> bool:
        """Tell whether ``page`` provably holds the rows from ``start``, ``size`` per page."""
        got = len(page.rows)
        if got > size:
            return False
        if page.next:
            if got != size:
                return False
            # A link that says where it starts must start right after this page.
            following = self.style.link_start(urlsplit(page.next).query)
            return following is None or following == start + got
        # The last page holds every row from start (none past the end): only a count
        # can show it does.
        count = page.count
        return count is not None and (start + got == count or (got == 0 and start >= count))

    async def total(self) -> int:
        """Return the number of rows: one small page when the style reports ``count``."""
        if self.style.reports_count:
            page = await self.fetch(self._page(0, 1))
            if page.count is not None:
                return page.count
        total = 0
        async for chunk in self.rows():
            total += len(chunk)
        return total


class _Checks:
    """The checks of one walk, run on each page in order: raise where the walk would
    return a row twice, skip one unnoticed, or never end."""

    __slots__ = ("number", "previous", "read", "walker")

    def __init__(self, walker: PageWalker, start: int) -> None:
        self.walker = walker
        self.read = start  # rows up to the end of the last page, counted from row 0
        self.previous: set[Hashable] = set()
        self.number = 0

    def __call__(self, page: Page) -> None:
        walker = self.walker
        style = walker.style
        count = walker.count
        self.number += 1
        number = self.number
        if number > style.max_pages:
            raise walker._broken(
                f"the list has more than {style.max_pages} pages (PAGINATION['MAX_PAGES']); "
                "the walk stopped there. Filter the list, or raise MAX_PAGES if it really "
                "is that long."
            )
        changed = page.count is not None and count is not None and page.count != count
        if changed and not style.stable:
            raise walker._broken(
                f"the list changed while it was read: page {number} reports "
                f"count={page.count}, the first page count={count}, so rows may "
                f"have been skipped or repeated. {_RETRY_HINT}"
            )
        rows = page.rows
        self.read += len(rows)
        if rows and count is not None and self.read > count:
            raise walker._broken(
                f"the server sent more rows ({self.read}) than the count it reported "
                f"({count}); the pages overlap or repeat. {_RETRY_HINT}"
            )
        if walker.key is not None:
            keys = _keys(rows, walker.key)
            again = keys & self.previous
            if again:
                shown = ", ".join(sorted(map(repr, again))[:5])
                raise walker._broken(
                    f"page {number} repeats rows of the page before it ({shown}): the list "
                    "changed while it was read, the provider lists a row twice, or its pages "
                    f"loop. {_RETRY_HINT}"
                )
            self.previous = keys
