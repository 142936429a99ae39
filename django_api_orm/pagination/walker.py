"""Walk the pages of a list endpoint, returning exactly the rows of a slice.

Pages are followed through ``next``, but only its query string is used,
re-applied to the list path on the service's own URL: a ``next`` on another
origin raises and nothing is sent there, and so does a ``next`` without a query
string or one already followed (which would read pages again, forever). A
server that returns pages of another size than asked is detected and walked
correctly instead of yielding the wrong rows. The walker sends nothing itself:
it is given ``fetch``, the compiler's way of sending one list request.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

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


class PageWalker:
    """Fetch the rows ``[low:high]`` of one list request, page by page."""

    def __init__(
        self,
        fetch: Fetch,
        out_of_range: OutOfRange,
        style: PaginationStyle,
        params: Params,
        *,
        path: str,
        origin: str,
    ) -> None:
        self.fetch = fetch
        self.out_of_range = out_of_range
        self.style = style
        self.params = params
        self.path = path
        self.origin = origin
        #: The total the server reported on the first page, if it did.
        self.count: int | None = None

    def _follow(self, next_url: str) -> str:
        """Return the query string of ``next_url``, refusing a link to another origin,
        or one without a query string (re-applied to the list, it would read page 1)."""
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

    async def rows(
        self,
        low: int = 0,
        high: int | None = None,
        *,
        size: int | None = None,
        prefetch: int = 0,
    ) -> AsyncIterator[list[Any]]:
        """Yield lists of rows, in order, that together are exactly rows ``[low:high]``.

        With ``prefetch`` and a server that reports ``count``, up to ``prefetch``
        following pages are requested at once; the order of rows is kept.
        """
        if high is not None and high <= low:
            return
        style = self.style
        largest = size or style.page_size
        wanted = None if high is None else high - low
        start, page_size = style.plan(low, high, largest)
        skip = low - start
        try:
            page = await self.fetch(self._page(start, page_size))
        except HTTPStatusError as exc:
            if start > 0 and self.out_of_range(exc):
                return
            raise
        self.count = page.count
        if start > 0 and not self._size_honoured(page, start, page_size):
            # The server pages by another size than asked, so this page does not start
            # at the row we computed: walk from the first page instead.
            start, skip = 0, low
            page = await self.fetch(self.params)
            self.count = page.count
        end = high
        if self.count is not None:
            end = self.count if end is None else min(end, self.count)
        async for current in self._pages_from(page, start, page_size, end, prefetch):
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
        self, first: Page, start: int, size: int, end: int | None, prefetch: int
    ) -> AsyncIterator[Page]:
        """Yield ``first``, then the following pages: through ``next``, or, with
        ``prefetch``, up to that many planned requests in flight, in order."""
        yield first
        full = len(first.rows) == size or not first.next
        if prefetch > 0 and end is not None and full and self.style.positional:
            requests = [self._page(row, size) for row in range(start + size, end, size)]
            async for page in self._prefetched(requests, prefetch):
                yield page
            return
        page = first
        # A server that links in a circle would never end. The links followed most
        # recently are remembered, not all of them: streaming stays constant in memory.
        followed: collections.deque[str] = collections.deque(maxlen=RECENT_LINKS)
        while page.next:
            query = self._follow(page.next)
            if query in followed:
                raise InvalidResponseError(
                    f"GET {self.path}: the server's 'next' link leads back to a page "
                    "already read; it was not followed again."
                )
            followed.append(query)
            page = await self.fetch(query)
            yield page

    async def _prefetched(self, requests: list[Params], window: int) -> AsyncIterator[Page]:
        """Fetch ``requests`` with at most ``window`` in flight; yield the pages in order."""
        tasks: collections.deque[asyncio.Task[Page]] = collections.deque()
        queued = iter(requests)
        try:
            for params in itertools.islice(queued, window):
                tasks.append(asyncio.ensure_future(self.fetch(params)))
            while tasks:
                page = await tasks.popleft()
                following = next(queued, None)
                if following is not None:
                    tasks.append(asyncio.ensure_future(self.fetch(following)))
                yield page
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    def _size_honoured(page: Page, start: int, size: int) -> bool:
        got = len(page.rows)
        if page.next:
            return got == size
        if page.count is None:
            return got <= size
        return got == max(0, min(size, page.count - start))

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
