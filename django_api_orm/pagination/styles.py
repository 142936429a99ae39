"""Pagination styles: how to ask for a page, and how to read one (body and headers).

Each style is a class registered under the name ``PAGINATION["STYLE"]`` uses.
A style knows its own parameter names and envelope; it sends nothing itself
(the walker and the compiler do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl

from django.utils.module_loading import import_string

from django_api_orm.exceptions import InvalidResponseError

__all__ = [
    "MAX_PAGES",
    "STYLES",
    "Cursor",
    "LimitOffset",
    "LinkHeader",
    "NoPagination",
    "Page",
    "PageNumber",
    "PaginationStyle",
    "Params",
    "get_style",
    "link_targets",
    "plan_page_size",
    "register_style",
]

#: The most pages one walk reads unless ``PAGINATION["MAX_PAGES"]`` says otherwise.
MAX_PAGES = 10_000

#: Query parameters as ordered ``(name, value)`` pairs, values already strings, in
#: a list (not a dict) so that a key may repeat.
Params = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list answer: its rows, the ``next`` link and the total, if sent."""

    rows: list[Any]
    next: str | None
    count: int | None


class PaginationStyle:
    """How one kind of list endpoint pages. Subclass it and :func:`register_style` it."""

    #: The name ``PAGINATION["STYLE"]`` gives this style.
    name: ClassVar[str] = ""
    #: Whether a page can be asked for by its first row (a page number or an
    #: offset), so that a slice starts at its page and pages are requested ahead.
    positional: ClassVar[bool] = False
    #: Whether the first page reports the total, so that ``count()`` asks for one row.
    reports_count: ClassVar[bool] = False
    #: Whether each page is anchored to a row (a cursor) rather than a position, so
    #: that rows added or removed during a walk are neither skipped nor repeated.
    stable: ClassVar[bool] = False
    #: The most pages one walk reads: ``PAGINATION["MAX_PAGES"]``, set by the service.
    max_pages: int = MAX_PAGES
    #: How many following pages ``aiterator()`` and a full evaluation request ahead
    #: when no ``prefetch=`` is given: ``PAGINATION["PREFETCH"]``, set by the service.
    #: Only a positional style whose server reports the total requests ahead.
    prefetch: int = 0

    def __init__(self, page_size: int, size_param: str) -> None:
        self.page_size = page_size
        self.size_param = size_param

    def plan(self, low: int, high: int | None, largest: int) -> tuple[int, int]:
        """Return ``(start, size)``: the first row of the first page to ask for, and
        the page size, to read rows ``[low:high]`` with pages of at most ``largest``."""
        return 0, largest

    def page_params(self, start: int, size: int) -> Params:
        """Return the parameters asking for the page of ``size`` rows starting at ``start``."""
        raise NotImplementedError

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        """Read one list answer; raise ``InvalidResponseError`` if it is not a page."""
        raise NotImplementedError

    def link_start(self, query: str) -> int | None:
        """Return the first row of the page a ``next`` link's query string asks for,
        or ``None`` when the link does not say (the walker then checks it otherwise)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} page_size={self.page_size}>"


S = TypeVar("S", bound=type[PaginationStyle])

#: Registered styles by name.
STYLES: dict[str, type[PaginationStyle]] = {}


def register_style(cls: S) -> S:
    """Register a style class under its ``name``; usable as a class decorator.

    The class must set ``name`` itself: a subclass inheriting its parent's name
    would silently replace the parent for every service.
    """
    if not cls.__dict__.get("name"):
        inherited = f" (it inherits {cls.name!r})" if cls.name else ""
        raise TypeError(f"{cls.__name__} must set a name to be registered{inherited}.")
    STYLES[cls.name] = cls
    return cls


def get_style(name: str) -> type[PaginationStyle]:
    """Return the style registered as ``name``, or the class a dotted path names.

    Raise ``LookupError`` naming the registered styles if there is none.
    """
    found = STYLES.get(name)
    if found is not None:
        return found
    if "." in name:
        try:
            imported = import_string(name)
        except ImportError as exc:
            raise LookupError(f"Cannot import the pagination style {name!r}: {exc}") from None
        if isinstance(imported, type) and issubclass(imported, PaginationStyle):
            return imported
        raise LookupError(f"{name!r} is not a PaginationStyle subclass.")
    raise LookupError(
        f"Unknown pagination style {name!r}. Registered styles: {', '.join(sorted(STYLES))}; "
        "or give the dotted path of a PaginationStyle subclass."
    )


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


class _Envelope(PaginationStyle):
    """A page in an object: rows under ``results``, the ``next`` URL, the ``count``."""

    results_key: ClassVar[str] = "results"
    next_key: ClassVar[str] = "next"
    count_key: ClassVar[str] = "count"

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        rows = data.get(self.results_key) if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise InvalidResponseError(
                f"{where}: expected a {self.name} page (a JSON object with a "
                f"'{self.results_key}' list), got {_shape(data)}. Set PAGINATION STYLE to "
                "'none' if the provider does not paginate."
            )
        next_url = data.get(self.next_key)
        count = data.get(self.count_key)
        if next_url is not None and not isinstance(next_url, str):
            raise InvalidResponseError(f"{where}: '{self.next_key}' is not a URL: {next_url!r}.")
        if count is not None and (type(count) is not int or count < 0):
            raise InvalidResponseError(f"{where}: '{self.count_key}' is not a count: {count!r}.")
        return Page(rows, next_url or None, count)


@register_style
class PageNumber(_Envelope):
    """``?page=N&page_size=M``: DRF's ``PageNumberPagination``."""

    name = "page_number"
    positional = True
    reports_count = True
    page_param: ClassVar[str] = "page"

    def plan(self, low: int, high: int | None, largest: int) -> tuple[int, int]:
        size = largest if high is None else plan_page_size(low, high, largest)
        return (low // size) * size, size

    def page_params(self, start: int, size: int) -> Params:
        params = [(self.size_param, str(size))]
        page = start // size + 1
        return [(self.page_param, str(page)), *params] if page != 1 else params

    def link_start(self, query: str) -> int | None:
        values = dict(parse_qsl(query))
        page, size = _natural(values.get(self.page_param)), _natural(values.get(self.size_param))
        return None if page is None or size is None or page < 1 else (page - 1) * size


@register_style
class LimitOffset(_Envelope):
    """``?limit=M&offset=N``: DRF's ``LimitOffsetPagination``."""

    name = "limit_offset"
    positional = True
    reports_count = True
    limit_param: ClassVar[str] = "limit"
    offset_param: ClassVar[str] = "offset"

    def plan(self, low: int, high: int | None, largest: int) -> tuple[int, int]:
        return low, largest if high is None else min(largest, high - low)

    def page_params(self, start: int, size: int) -> Params:
        params = [(self.limit_param, str(size))]
        return [*params, (self.offset_param, str(start))] if start else params

    def link_start(self, query: str) -> int | None:
        values = dict(parse_qsl(query))
        if self.offset_param not in values:
            return 0 if self.limit_param in values else None
        return _natural(values[self.offset_param])


@register_style
class Cursor(_Envelope):
    """``?cursor=...``: DRF's ``CursorPagination``, followed through ``next`` only."""

    name = "cursor"
    stable = True

    def page_params(self, start: int, size: int) -> Params:
        return [(self.size_param, str(size))]


@register_style
class NoPagination(PaginationStyle):
    """No pages: the list answers a bare JSON array of every row."""

    name = "none"

    def page_params(self, start: int, size: int) -> Params:
        return []

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        if isinstance(data, list):
            return Page(data, None, len(data))
        raise InvalidResponseError(
            f"{where}: expected a JSON array (PAGINATION STYLE 'none'), got "
            f"{type(data).__name__}. Set PAGINATION STYLE to the provider's pagination."
        )


# RFC 8288 section 3: a link-value is "<" target ">" followed by parameters, each
# ";" name ["=" (token | quoted-string)]; link-values are separated by ",". A quoted
# string is read whole (it may hold ";", ",", "<" or an escaped quote), so a rel=
# inside another parameter's value is never taken for the link's relation. No
# pattern can backtrack over the header: a target holds no "<" or ">".
_TARGET = re.compile(r"<([^<>]*)>")
_PARAM = re.compile(r'\s*;\s*([^\s;,="]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,"]*)))?')
_ESCAPE = re.compile(r"\\(.)")


def link_targets(header: str) -> dict[str, str]:
    """Return ``{rel: target}`` from an RFC 8288 ``Link`` header (first target per rel).

    ``rel`` may be quoted or not and name several relation types
    (``rel="next last"``); relation types are compared in lower case, and only a
    link-value's first ``rel`` parameter counts. A target is returned as written
    (it may be relative).
    """
    out: dict[str, str] = {}
    position = 0
    while (link := _TARGET.search(header, position)) is not None:
        target, position = link.group(1).strip(), link.end()
        rel = None
        while (param := _PARAM.match(header, position)) is not None:
            position = param.end()
            if rel is None and param.group(1).lower() == "rel":
                quoted = param.group(2)
                rel = _ESCAPE.sub(r"\1", quoted) if quoted is not None else param.group(3) or ""
        for name in (rel or "").split():
            out.setdefault(name.lower(), target)
    return out


@register_style
class LinkHeader(PaginationStyle):
    """A bare JSON array per page, the next page in ``Link: <...>; rel="next"``.

    As GitHub-style APIs page: the size parameter (``PAGE_SIZE_PARAM``, such as
    ``per_page``) is sent, the next page is followed through the ``Link``
    header, and the total is read from ``total_header`` when the server sends it.
    """

    name = "link_header"
    reports_count = True
    total_header: ClassVar[str] = "X-Total-Count"

    def plan(self, low: int, high: int | None, largest: int) -> tuple[int, int]:
        # Pages cannot be jumped to, but a slice ending early needs no bigger first
        # page than its end: afirst() and aexists() ask for one row, aget() for two.
        return 0, largest if high is None else min(largest, high)

    def page_params(self, start: int, size: int) -> Params:
        return [(self.size_param, str(size))]

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        if not isinstance(data, list):
            raise InvalidResponseError(
                f"{where}: expected a JSON array (PAGINATION STYLE 'link_header'), got "
                f"{_shape(data)}."
            )
        link = headers.get("link")
        next_url = link_targets(link).get("next") if link else None
        total = headers.get(self.total_header)
        count = None
        if total is not None:
            text = total.strip()
            if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true too
                raise InvalidResponseError(
                    f"{where}: the {self.total_header} header is not a count: {total!r}."
                )
            count = int(text)
        return Page(data, next_url or None, count)


def _natural(text: str | None) -> int | None:
    """``text`` as an integer >= 0, or ``None``."""
    if text is None or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _shape(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:8])
        return f"an object with keys {keys or 'none'}"
    return f"a {type(data).__name__}"
