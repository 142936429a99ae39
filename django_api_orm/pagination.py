"""Walk the pages of a list endpoint, returning exactly the rows of a slice.

Styles: ``page_number`` (``page`` + a size parameter), ``limit_offset``,
``cursor``, and ``none`` (a bare JSON array). Pages are followed through
``next``, but only its query string is used, re-applied to the list path on the
service's own URL: a ``next`` on another origin raises and nothing is sent there.
A server that returns pages of another size than asked is detected and walked
correctly instead of yielding the wrong rows.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django_api_orm.client._urls import origin_of
from django_api_orm.dialects.base import BaseDialect, Page, Params
from django_api_orm.exceptions import HTTPStatusError, InvalidResponseError

if TYPE_CHECKING:
    from django_api_orm.client import AsyncServiceClient

__all__ = ["PageWalker", "PaginationSettings"]


@dataclass(frozen=True, slots=True)
class PaginationSettings:
    style: str
    page_size: int
    size_param: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PaginationSettings:
        return cls(config["STYLE"], int(config["PAGE_SIZE"]), config["PAGE_SIZE_PARAM"])


def plan_page_size(low: int, high: int, largest: int) -> int:
    """Return the page size covering ``[low, high)`` with the fewest pages, then fewest rows."""
    best = largest
    best_cost = (high - 1) // largest - low // largest + 1, largest
    for size in range(max(1, high - low), largest):
        pages = (high - 1) // size - low // size + 1
        cost = (pages, pages * size)
        if cost < best_cost:
            best, best_cost = size, cost
    return best


class PageWalker:
    """Fetch the rows ``[low:high]`` of one list request, page by page."""

    def __init__(
        self,
        client: AsyncServiceClient,
        dialect: BaseDialect,
        path: str,
        params: Params,
        pagination: PaginationSettings,
    ) -> None:
        self.client = client
        self.dialect = dialect
        self.path = path
        self.params = params
        self.pagination = pagination
        #: The total the server reported on the first page, if it did.
        self.count: int | None = None

    async def _get(self, params: Params | str) -> Any:
        query = params if isinstance(params, str) else self.dialect.encode_query(params)
        url = f"{self.path}?{query}" if query else self.path
        response = await self.client.get(url)
        return response.data

    def _follow(self, next_url: str) -> str:
        """Return the query string of ``next_url``, refusing a link to another origin."""
        parts = urlsplit(next_url)
        if parts.scheme or parts.netloc:
            origin = origin_of(next_url)
            if origin is None or str(origin) != self.client.origin:
                raise InvalidResponseError(
                    f"GET {self.path}: the server's 'next' link points to another origin "
                    f"({parts.scheme}://{parts.netloc}); it was not followed."
                )
        return parts.query

    async def fetch(self, params: Params | str) -> Page:
        data = await self._get(params)
        return self.dialect.parse_page(data, self.pagination.style, where=f"GET {self.path}")

    async def rows(
        self,
        low: int = 0,
        high: int | None = None,
        *,
        size: int | None = None,
        prefetch: int = 0,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield lists of rows, in order, that together are exactly rows ``[low:high]``.

        With ``prefetch`` and a server that reports ``count``, up to ``prefetch``
        following pages are requested at once; the order of rows is kept.
        """
        if high is not None and high <= low:
            return
        style = self.pagination.style
        largest = size or self.pagination.page_size
        if style == "none":
            page = await self.fetch(self.params)
            self.count = page.count
            chunk = page.rows[low:high]
            if chunk:
                yield chunk
            return
        wanted = None if high is None else high - low
        page_size = largest
        page_no = 1
        skip = low
        offset = 0
        if style == "page_number":
            if wanted is not None:
                page_size = plan_page_size(low, high or 0, largest)
            page_no = low // page_size + 1
            skip = low - (page_no - 1) * page_size
        elif style == "limit_offset":
            page_size = min(largest, wanted) if wanted is not None else largest
            offset, skip = low, 0
        first_params = self.params + self.dialect.page_params(
            style, self.pagination.size_param, page=page_no, size=page_size, offset=offset
        )
        try:
            page = await self.fetch(first_params)
        except HTTPStatusError as exc:
            if page_no > 1 and self.dialect.is_page_out_of_range(exc):
                return
            raise
        self.count = page.count
        if page_no > 1 and not self._size_honoured(page, page_no, page_size):
            # The server pages by another size than asked, so page N is not the rows we
            # computed: walk from the first page instead.
            page_no, skip = 1, low
            page = await self.fetch(self.params)
            self.count = page.count
        end = None if high is None else high
        if self.count is not None:
            end = self.count if end is None else min(end, self.count)
        pages = self._pages_from(page, style, page_no, page_size, offset, end, prefetch)
        async for current in pages:
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
        style: str,
        page_no: int,
        size: int,
        offset: int,
        end: int | None,
        prefetch: int,
    ) -> AsyncIterator[Page]:
        """Yield ``first``, then the following pages: through ``next``, or, with
        ``prefetch``, up to that many planned requests in flight, in order."""
        yield first
        full = len(first.rows) == size or not first.next
        if prefetch > 0 and end is not None and full and style in ("page_number", "limit_offset"):
            planned = []
            if style == "page_number":
                last_page = (end - 1) // size + 1
                for number in range(page_no + 1, last_page + 1):
                    planned.append((number, 0))
            else:
                planned = [(0, start) for start in range(offset + size, end, size)]
            requests = [
                self.params
                + self.dialect.page_params(
                    style, self.pagination.size_param, page=number, size=size, offset=start
                )
                for number, start in planned
            ]
            async for page in self._prefetched(requests, prefetch):
                yield page
            return
        page = first
        while page.next:
            page = await self.fetch(self._follow(page.next))
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
    def _size_honoured(page: Page, page_no: int, size: int) -> bool:
        got = len(page.rows)
        if page.next:
            return got == size
        if page.count is None:
            return got <= size
        return got == max(0, min(size, page.count - (page_no - 1) * size))

    async def total(self) -> int:
        """Return the number of rows: one small page when the server reports ``count``."""
        style = self.pagination.style
        if style in ("page_number", "limit_offset"):
            page = await self.fetch(
                self.params
                + self.dialect.page_params(
                    style, self.pagination.size_param, page=1, size=1, offset=0
                )
            )
            if page.count is not None:
                return page.count
        total = 0
        async for chunk in self.rows():
            total += len(chunk)
        return total
